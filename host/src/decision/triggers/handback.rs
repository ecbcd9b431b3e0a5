//! While a human owns the conversation: may it go back to the AI? This
//! trigger speaks for the conversation's own state; sentiment, topic and
//! account speak for the customer's mood, a guarded topic and a priority
//! account, and any of them firing holds the conversation with the human.
//!
//! - A conversation that changed hands more than
//!   `handback.max_ownership_changes` times has bounced: it is held, for a
//!   senior agent.
//! - A customer who has not written since the handoff has not been heard
//!   calm: held.
//! - Otherwise the remaining request is judged routine by
//!   `handback.routine`: by default, the AI (still classifying and drafting
//!   in the background) answered the customer's latest message with
//!   confidence at or above the threshold and did not fall back. Routine,
//!   this trigger votes `hand_back`; not routine, it votes to keep the
//!   conversation with weight 0, so the reason is on record and a plugin
//!   may still vote it back.

use serde_json::json;

use super::{Check, Context, Trigger, could_not_answer};
use crate::config::{ConfidenceConfig, HandbackConfig, RoutineTest};
use crate::decision::input::Role;
use crate::decision::ownership::Ownership;
use crate::decision::reasons::Code;
use crate::decision::source::Source;
use crate::decision::vote::{Routing, Verdict, Vote};

/// Priority of a bounced conversation: it needs someone senior soon.
const PRIORITY_BOUNCED: u8 = 70;

/// The hand-back trigger.
pub struct Handback<'a> {
    /// `[handback]`.
    pub config: &'a HandbackConfig,
    /// `[triggers.confidence]`, for the default routine test.
    pub confidence: &'a ConfidenceConfig,
    /// The conversation's ownership.
    pub ownership: &'a Ownership,
}

fn vote(verdict: Verdict, code: Code, detail: String) -> Vote {
    Vote::new(Source::Builtin(""), verdict).because_of(code, detail)
}

impl Handback<'_> {
    /// Whether the conversation has bounced too often to go back.
    pub fn bounced(&self) -> bool {
        self.ownership.changes > self.config.max_ownership_changes
    }

    /// The AI turn answering the customer's latest message, if the AI has
    /// drafted one since.
    fn latest_answer<'c>(ctx: &'c Context<'_>) -> Option<&'c crate::decision::input::AiTurn> {
        let messages = &ctx.conversation.messages;
        let last_customer = messages.iter().rposition(|m| m.role == Role::Customer)?;
        messages[last_customer..]
            .iter()
            .rev()
            .find(|m| m.role == Role::Ai)?
            .ai
            .as_ref()
    }
}

impl Trigger for Handback<'_> {
    fn name(&self) -> &'static str {
        "handback"
    }

    fn check(&self, ctx: &Context<'_>) -> Check {
        let c = self.config;
        let min_confidence = c.min_confidence.unwrap_or(self.confidence.threshold);
        let heard = ctx.readings.len();
        let answer = Handback::latest_answer(ctx);
        let v = if self.bounced() {
            let mut v = vote(
                Verdict::Escalate,
                Code::RepeatHandoff,
                format!(
                    "the conversation changed hands {} times (more than {}): it stays with a \
                     senior agent",
                    self.ownership.changes, c.max_ownership_changes
                ),
            );
            v.hard = true;
            v.priority = Some(PRIORITY_BOUNCED);
            v.routing = Some(Routing {
                queue: None,
                skills: Vec::new(),
                senior: true,
            });
            v
        } else if !c.enabled {
            let mut v = vote(
                Verdict::Escalate,
                Code::NotRoutine,
                "hand-back is switched off (handback.enabled)".into(),
            );
            v.hard = true;
            v
        } else if heard == 0 {
            let mut v = vote(
                Verdict::Escalate,
                Code::AwaitingCustomer,
                "the customer has not written since a human took over".into(),
            );
            v.hard = true;
            v
        } else {
            let routine = match (c.routine, answer) {
                (RoutineTest::Plugin, _) => Err("only a plugin's hand-back vote decides".into()),
                (_, None) => {
                    Err("the AI has drafted no answer to the customer's latest message".to_owned())
                }
                (_, Some(ai))
                    if ai
                        .outcome
                        .as_deref()
                        .is_some_and(|o| could_not_answer(self.confidence, o)) =>
                {
                    Err(format!(
                        "the AI's draft ended with outcome '{}'",
                        ai.outcome.as_deref().unwrap_or_default()
                    ))
                }
                (RoutineTest::AiConfidence, Some(ai)) => match ai.confidence {
                    Some(x) if x >= min_confidence => Ok(format!(
                        "the AI answered the customer's latest message with confidence {x:.2} \
                         (at least {min_confidence:.2})"
                    )),
                    Some(x) => Err(format!(
                        "the AI's draft has confidence {x:.2}, below {min_confidence:.2}"
                    )),
                    None => Err("the AI's draft reports no confidence".into()),
                },
                (RoutineTest::Intents, Some(ai)) => match ai.intent.as_deref() {
                    Some(i) if c.routine_intents.iter().any(|r| r.eq_ignore_ascii_case(i)) => {
                        Ok(format!("the customer's latest request is routine ('{i}')"))
                    }
                    Some(i) => Err(format!("intent '{i}' is not a routine one")),
                    None => Err("the AI's draft reports no intent".into()),
                },
            };
            match routine {
                Ok(why) => vote(Verdict::HandBack, Code::RoutineRequest, why),
                Err(why) => {
                    let mut v = vote(Verdict::Escalate, Code::NotRoutine, why);
                    v.weight = 0.0;
                    v
                }
            }
        };
        Check::new(
            ctx,
            Some(v),
            || {
                json!({
                    "owner": self.ownership.owner,
                    "agent": self.ownership.agent,
                    "ownership_changes": self.ownership.changes,
                    "customer_messages_since_handoff": heard,
                    "latest_ai_confidence": answer.and_then(|a| a.confidence),
                    "latest_ai_intent": answer.and_then(|a| a.intent.clone()),
                })
            },
            || {
                json!({
                    "routine": c.routine,
                    "min_confidence": min_confidence,
                    "routine_intents": c.routine_intents,
                    "max_ownership_changes": c.max_ownership_changes,
                })
            },
        )
    }
}
