//! Turn and time budgets: a conversation the AI has not resolved by the
//! customer's Nth message, or N seconds after the customer's first message,
//! goes to a human. Both budgets count from the customer's side, since that
//! is the wait the customer feels.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Check, Context, Trigger, escalate};
use crate::config::BudgetConfig;
use crate::decision::clock::clock;
use crate::decision::input::{Conversation, Role};
use crate::decision::reasons::Code;

/// Priority of a spent budget: the customer has waited long enough.
const PRIORITY: u8 = 40;

/// The budget trigger.
pub struct Budget<'a>(pub &'a BudgetConfig);

fn resolved(conversation: &Conversation, config: &BudgetConfig) -> bool {
    conversation
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::Ai)
        .and_then(|m| m.ai.as_ref()?.outcome.as_deref())
        .is_some_and(|o| {
            config
                .resolved_outcomes
                .iter()
                .any(|r| r.eq_ignore_ascii_case(o))
        })
}

/// The instant the time budget runs out, while it has not yet: the caller
/// should ask again then. `None` when the budget is off, spent, not started
/// (no customer message) or the conversation is resolved.
pub fn re_evaluate_at(conversation: &Conversation, config: &BudgetConfig) -> Option<DateTime<Utc>> {
    if !config.enabled || config.max_seconds == 0 || resolved(conversation, config) {
        return None;
    }
    let first = conversation.customer_messages().next()?.at;
    let deadline = first + chrono::Duration::seconds(config.max_seconds as i64);
    (conversation.now < deadline).then_some(deadline)
}

impl Trigger for Budget<'_> {
    fn name(&self) -> &'static str {
        "budget"
    }

    fn check(&self, ctx: &Context<'_>) -> Check {
        let c = self.0;
        let turns = ctx.signals.customer_turns;
        let elapsed_ms = ctx.signals.elapsed_ms;
        let is_resolved = resolved(ctx.conversation, c);
        let vote = if is_resolved {
            None
        } else if c.max_customer_turns > 0 && turns >= c.max_customer_turns {
            Some(escalate(
                Code::TurnBudget,
                format!(
                    "{turns} customer messages without resolution (budget {})",
                    c.max_customer_turns
                ),
                PRIORITY,
            ))
        } else if c.max_seconds > 0 && turns > 0 && elapsed_ms >= (c.max_seconds as i64) * 1000 {
            Some(escalate(
                Code::TimeBudget,
                format!(
                    "unresolved {} after the customer's first message (budget {})",
                    clock(elapsed_ms),
                    clock(c.max_seconds as i64 * 1000)
                ),
                PRIORITY,
            ))
        } else {
            None
        };
        Check::new(
            ctx,
            vote,
            || {
                json!({
                    "customer_turns": turns,
                    "elapsed_ms": elapsed_ms,
                    "elapsed": clock(elapsed_ms),
                    "resolved": is_resolved,
                })
            },
            || {
                json!({
                    "max_customer_turns": c.max_customer_turns,
                    "max_seconds": c.max_seconds,
                })
            },
        )
    }
}
