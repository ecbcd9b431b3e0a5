//! The AI is out of its depth: its latest confidence is below the threshold,
//! several turns in a row were shaky, or its latest turn says it could not
//! answer (fallback, not understood, tool error).

use serde_json::json;

use super::{Check, Context, Trigger, escalate};
use crate::config::ConfidenceConfig;
use crate::decision::input::{AiTurn, Role};
use crate::decision::reasons::Code;

/// Priority of an AI that could not answer: the customer is stuck now.
const PRIORITY_COULD_NOT_ANSWER: u8 = 50;
/// Priority of low confidence: the answer may be wrong.
const PRIORITY_LOW_CONFIDENCE: u8 = 40;

/// The confidence trigger.
pub struct Confidence<'a>(pub &'a ConfidenceConfig);

impl Trigger for Confidence<'_> {
    fn name(&self) -> &'static str {
        "confidence"
    }

    fn check(&self, ctx: &Context<'_>) -> Check {
        let c = self.0;
        let ai_turns: Vec<_> = ctx
            .conversation
            .messages
            .iter()
            .filter(|m| m.role == Role::Ai)
            .filter_map(|m| m.ai.as_ref())
            .collect();
        let latest_outcome = ai_turns.last().and_then(|a| a.outcome.clone());
        let recent: Vec<f64> = ai_turns
            .iter()
            .rev()
            .map_while(|a| a.confidence)
            .take(c.streak as usize)
            .collect();
        let latest = ctx.signals.latest_ai_confidence;
        let streak_low =
            recent.len() == c.streak as usize && recent.iter().all(|x| *x < c.streak_threshold);
        let chit_chat = small_talk_around_latest_ai_turn(ctx, c);

        let disputed = latest_reply_disputes(ctx, c);
        let vote = if let Some(phrase) = disputed {
            Some(escalate(
                Code::AnswerDisputed,
                format!("the customer says the AI's answer is wrong ('{phrase}')"),
                PRIORITY_COULD_NOT_ANSWER,
            ))
        } else if chit_chat {
            None
        } else if let Some(outcome) = latest_outcome.as_deref().filter(|o| could_not_answer(c, o)) {
            Some(escalate(
                Code::AiCouldNotAnswer,
                format!("the AI's latest turn ended with outcome '{outcome}'"),
                PRIORITY_COULD_NOT_ANSWER,
            ))
        } else if let Some(l) = latest.filter(|l| *l < c.threshold) {
            Some(escalate(
                Code::LowConfidence,
                format!(
                    "the AI's latest confidence {l:.2} is below {:.2}",
                    c.threshold
                ),
                PRIORITY_LOW_CONFIDENCE,
            ))
        } else if streak_low {
            Some(escalate(
                Code::LowConfidenceStreak,
                format!(
                    "the AI's last {} confidences ({}) are all below {:.2}",
                    c.streak,
                    recent
                        .iter()
                        .rev()
                        .map(|x| format!("{x:.2}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    c.streak_threshold
                ),
                PRIORITY_LOW_CONFIDENCE,
            ))
        } else {
            None
        };
        Check::new(
            ctx,
            vote,
            || {
                json!({
                    "latest_confidence": latest,
                    "lowest_confidence": ctx.signals.lowest_ai_confidence,
                    "recent_confidences": recent.iter().rev().collect::<Vec<_>>(),
                    "latest_outcome": latest_outcome,
                "small_talk": chit_chat,
                "disputed": disputed,
                })
            },
            || {
                json!({
                    "threshold": c.threshold,
                    "streak": c.streak,
                    "streak_threshold": c.streak_threshold,
                    "could_not_answer": c.could_not_answer,
                })
            },
        )
    }
}

/// Whether `outcome` is one of those that mean the AI could not answer.
pub fn could_not_answer(c: &ConfidenceConfig, outcome: &str) -> bool {
    c.could_not_answer
        .iter()
        .any(|x| x.eq_ignore_ascii_case(outcome))
}

/// Whether an AI turn failed by this trigger's measure: it ended with an
/// outcome that means it could not answer, or its confidence is below the
/// threshold. The handoff context marks failed attempts by the same test.
pub fn turn_failed(c: &ConfidenceConfig, ai: &AiTurn) -> bool {
    ai.outcome
        .as_deref()
        .is_some_and(|o| could_not_answer(c, o))
        || ai.confidence.is_some_and(|x| x < c.threshold)
}

/// Whether the customer message the AI's latest turn answered, or the
/// customer's reply to it, is mostly a greeting, thanks or goodbye: a shaky
/// AI reply to "hi" or "thanks, bye" is no reason for a human.
fn small_talk_around_latest_ai_turn(ctx: &Context<'_>, c: &ConfidenceConfig) -> bool {
    let messages = &ctx.conversation.messages;
    let Some(ai_at) = messages.iter().rposition(|m| m.role == Role::Ai) else {
        return false;
    };
    let before = messages[..ai_at]
        .iter()
        .filter(|m| m.role == Role::Customer)
        .count();
    let after = messages[ai_at..]
        .iter()
        .filter(|m| m.role == Role::Customer)
        .count();
    let chatty = |i: usize| {
        ctx.readings
            .get(i)
            .is_some_and(|r| !r.is_empty() && r.len() <= 12 && r.coverage(&c.small_talk) >= 0.5)
    };
    (before > 0 && chatty(before - 1)) || (after > 0 && chatty(ctx.readings.len() - 1))
}

/// The phrase with which the customer's latest message, written after an AI
/// turn, says that turn was wrong.
fn latest_reply_disputes<'c>(ctx: &Context<'_>, c: &'c ConfidenceConfig) -> Option<&'c str> {
    let messages = &ctx.conversation.messages;
    let last = messages.last()?;
    let ai_before = messages
        .iter()
        .rev()
        .skip(1)
        .find(|m| m.role != Role::Customer)?;
    if last.role != Role::Customer || ai_before.role != Role::Ai {
        return None;
    }
    ctx.readings
        .last()?
        .find(&c.disputed_phrases)
        .filter(|f| f.mood == crate::decision::reading::Mood::Stated)
        .map(|f| f.phrase)
}
