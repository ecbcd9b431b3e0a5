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

        let vote =
            if let Some(outcome) = latest_outcome.as_deref().filter(|o| could_not_answer(c, o)) {
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
fn could_not_answer(c: &ConfidenceConfig, outcome: &str) -> bool {
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
