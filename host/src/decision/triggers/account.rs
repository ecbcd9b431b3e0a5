//! Priority accounts never stay with the AI *for a sustained interaction*:
//! configured tiers, or an account rank within the top N, are offered a
//! human at once (the vote weighs `offer_weight`), and handed to one — hard,
//! with high priority — once the customer has written `sustained_turns`
//! messages. Anything going wrong escalates them sooner: any other
//! trigger's vote adds to this one.

use serde_json::json;

use super::{Check, Context, Trigger, escalate};
use crate::config::AccountConfig;
use crate::decision::reasons::Code;
use crate::decision::vote::Routing;

/// The priority-account trigger.
pub struct Account<'a>(pub &'a AccountConfig);

impl Trigger for Account<'_> {
    fn name(&self) -> &'static str {
        "account"
    }

    fn check(&self, ctx: &Context<'_>) -> Check {
        let c = self.0;
        let customer = &ctx.conversation.customer;
        let tier = customer
            .tier
            .as_deref()
            .filter(|t| c.tiers.iter().any(|x| x.eq_ignore_ascii_case(t)));
        let rank = customer.account_rank.filter(|r| *r >= 1 && *r <= c.top_n);
        let detail = match (tier, rank) {
            (Some(t), _) => Some(format!("the customer is on the '{t}' tier")),
            (None, Some(r)) => Some(format!(
                "the account ranks #{r}, within the top {}",
                c.top_n
            )),
            _ => None,
        };
        let turns = ctx.signals.customer_turns;
        let sustained = turns >= c.sustained_turns;
        let vote = detail.map(|d| {
            let mut v = if sustained {
                let mut v = escalate(
                    Code::PriorityAccount,
                    format!("{d}, and the interaction is sustained ({turns} customer messages)"),
                    c.priority,
                );
                v.hard = true;
                v
            } else {
                let mut v = escalate(
                    Code::PriorityAccount,
                    format!("{d}: offer a human"),
                    c.priority,
                );
                v.weight = c.offer_weight;
                v
            };
            v.routing = Some(Routing {
                queue: Some(c.queue.clone()),
                skills: vec!["account-management".to_owned()],
                senior: false,
            });
            v
        });
        Check::new(
            ctx,
            vote,
            || {
                json!({
                    "tier": customer.tier,
                    "account_rank": customer.account_rank,
                    "customer_turns": turns,
                })
            },
            || {
                json!({
                    "tiers": c.tiers,
                    "top_n": c.top_n,
                    "sustained_turns": c.sustained_turns,
                })
            },
        )
    }
}
