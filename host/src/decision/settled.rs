//! Which customer messages close a problem: "thanks, that worked" does
//! outright; "great" or "got it" does after an AI answer that was not shaky,
//! and then either ends the conversation or moves on to a new question.
//! Budgets restart there, and a problem raised before the customer's last
//! word that all is well no longer needs a human.

use std::sync::Arc;

use crate::config::Config;
use crate::decision::emotion::EmotionPoint;
use crate::decision::input::{Conversation, Role};
use crate::decision::reading::{Mood, Reading};

/// For each customer message, in order.
#[derive(Debug, Clone, Default)]
pub struct Settled {
    /// It says the problem is solved, with no sign of frustration.
    pub solved: Vec<bool>,
    /// It acknowledges an answer and asks something new.
    pub moved_on: Vec<bool>,
}

/// Reads every customer message of `conversation` for whether it closes a
/// problem.
pub fn settled(
    conversation: &Conversation,
    readings: &[Arc<Reading>],
    emotions: &[EmotionPoint],
    config: &Config,
) -> Settled {
    let budget = &config.triggers.budget;
    let confidence = &config.triggers.confidence;
    let mut out = Settled::default();
    let mut answered_well = false;
    let mut customer = readings.iter().zip(emotions);
    for m in &conversation.messages {
        match m.role {
            Role::Ai => {
                answered_well = m.ai.as_ref().is_some_and(|ai| {
                    let outcome = ai.outcome.as_deref().unwrap_or("");
                    let resolved = budget
                        .resolved_outcomes
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(outcome));
                    let failed = confidence
                        .could_not_answer
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(outcome));
                    resolved
                        || (!failed && ai.confidence.unwrap_or(1.0) >= confidence.streak_threshold)
                });
            }
            Role::Customer => {
                let Some((reading, point)) = customer.next() else {
                    break;
                };
                // "Thanks, but it still fails" solves nothing.
                let strong = reading.states(&budget.resolved_phrases) && !point.strong;
                let acknowledged = answered_well
                    && point.cues.is_empty()
                    && reading
                        .find(&budget.thanks_phrases)
                        .is_some_and(|f| f.mood == Mood::Stated);
                let question = reading.ends_with_question();
                out.solved.push(strong || (acknowledged && !question));
                out.moved_on.push(acknowledged && question);
                answered_well = false;
            }
            Role::Agent | Role::System => {}
        }
    }
    out
}
