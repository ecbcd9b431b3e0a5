//! Priority accounts never stay with the AI: configured tiers, or an account
//! rank within the top N, are a hard escalation to a human-led conversation
//! with high priority.

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
        let vote = detail.map(|d| {
            let mut v = escalate(Code::PriorityAccount, d, c.priority);
            v.hard = true;
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
            || json!({ "tier": customer.tier, "account_rank": customer.account_rank }),
            || json!({ "tiers": c.tiers, "top_n": c.top_n }),
        )
    }
}
