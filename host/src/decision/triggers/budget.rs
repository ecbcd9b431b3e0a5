//! Turn and time budgets: a problem the AI has not resolved by the
//! customer's Nth message about it, or N seconds after the customer first
//! raised it, goes to a human. Both count from the customer's side, since
//! that is the wait the customer feels, and both restart when the customer
//! says a problem is solved ("thanks, that worked"): several questions each
//! answered are not one problem left open. An AI outcome of `resolved`, or
//! the customer's own word in the latest message, stops them. Each channel
//! may have its own budgets: an e-mail thread is not a six-minute chat.

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

/// The budgets for `conversation`'s channel.
fn limits(conversation: &Conversation, config: &BudgetConfig) -> (u32, u64) {
    conversation
        .channel
        .as_deref()
        .and_then(|ch| {
            config
                .channels
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(ch))
        })
        .map_or((config.max_customer_turns, config.max_seconds), |(_, c)| {
            (c.max_customer_turns, c.max_seconds)
        })
}

/// The open problem: how many customer messages it has had, and when the
/// first of them was sent. Counting restarts after each customer message
/// that says a problem was solved.
fn open_problem(ctx: &Context<'_>) -> (u32, Option<DateTime<Utc>>) {
    let mut turns = 0;
    let mut since = None;
    let customer = ctx.conversation.customer_messages().zip(ctx.readings);
    let closes = ctx.solved.iter().zip(ctx.moved_on).map(|(s, m)| *s || *m);
    for ((m, reading), closes) in customer.zip(closes) {
        if closes {
            turns = 0;
            since = None;
            // "Thanks, that worked! And how do I…?" closes one problem and
            // opens the next.
            if !reading.ends_with_question() {
                continue;
            }
        }
        turns += 1;
        since.get_or_insert(m.at);
    }
    (turns, since)
}

/// The instant the time budget runs out, while it has not yet: the caller
/// should ask again then. `None` when the budget is off, spent, not started
/// (no customer message) or the conversation is resolved.
pub fn re_evaluate_at(conversation: &Conversation, config: &BudgetConfig) -> Option<DateTime<Utc>> {
    let (_, max_seconds) = limits(conversation, config);
    if !config.enabled || max_seconds == 0 || resolved(conversation, config) {
        return None;
    }
    let first = conversation.customer_messages().next()?.at;
    let deadline = first + chrono::Duration::seconds(max_seconds as i64);
    (conversation.now < deadline).then_some(deadline)
}

impl Trigger for Budget<'_> {
    fn name(&self) -> &'static str {
        "budget"
    }

    fn check(&self, ctx: &Context<'_>) -> Check {
        let c = self.0;
        let (max_turns, max_seconds) = limits(ctx.conversation, c);
        let (turns, since) = open_problem(ctx);
        let elapsed_ms = since.map_or(0, |s| (ctx.conversation.now - s).num_milliseconds());
        let is_resolved = resolved(ctx.conversation, c) || turns == 0;
        let vote = if is_resolved {
            None
        } else if max_turns > 0 && turns >= max_turns {
            Some(escalate(
                Code::TurnBudget,
                format!("{turns} customer messages without resolution (budget {max_turns})"),
                PRIORITY,
            ))
        } else if max_seconds > 0 && elapsed_ms >= (max_seconds as i64) * 1000 {
            Some(escalate(
                Code::TimeBudget,
                format!(
                    "unresolved {} after the customer raised it (budget {})",
                    clock(elapsed_ms),
                    clock(max_seconds as i64 * 1000)
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
                    "max_customer_turns": max_turns,
                    "max_seconds": max_seconds,
                })
            },
        )
    }
}
