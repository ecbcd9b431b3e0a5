//! VIP accounts never stay with the AI: customers on configured tiers, or whose
//! account ranks within the top N, are hard-escalated with high priority to
//! the enterprise queue.

use escalator_sdk::{
    Input, InputParts, PluginInfo, Rule, SettingType, SettingValue, Settings, Vote,
};

/// The rule; public so benchmarks can run it natively.
pub struct VipAccounts;

const DEFAULT_TOP_N: i64 = 100;
const DEFAULT_PRIORITY: i64 = 90;

impl Rule for VipAccounts {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "vip-accounts",
            env!("CARGO_PKG_VERSION"),
            "Hard-escalates VIP tiers and top-ranked accounts with high priority",
        )
        // Only the customer record: a conversation of forty messages is
        // not copied in to read a tier.
        .reads(InputParts::CUSTOMER)
        .setting(
            "tiers",
            SettingType::TextList,
            Some(SettingValue::TextList(vec![
                "enterprise".into(),
                "vip".into(),
            ])),
            "customer tiers that always go to a human (case-insensitive)",
        )
        .setting(
            "top_n",
            SettingType::Integer,
            Some(SettingValue::Integer(DEFAULT_TOP_N)),
            "accounts ranked 1..=top_n always go to a human; 0 turns this off",
        )
        .setting(
            "priority",
            SettingType::Integer,
            Some(SettingValue::Integer(DEFAULT_PRIORITY)),
            "priority (0-100) asked for",
        )
        .setting(
            "queue",
            SettingType::Text,
            Some(SettingValue::Text("enterprise".into())),
            "queue VIP conversations are routed to",
        )
    }

    fn validate_settings(settings: &Settings<'_>) -> Result<(), String> {
        let top_n = settings.integer("top_n").unwrap_or(DEFAULT_TOP_N);
        if top_n < 0 {
            return Err(format!("top_n must be 0 or more, got {top_n}"));
        }
        let priority = settings.integer("priority").unwrap_or(DEFAULT_PRIORITY);
        if !(0..=100).contains(&priority) {
            return Err(format!("priority must be 0-100, got {priority}"));
        }
        Ok(())
    }

    fn evaluate(input: &Input) -> Result<Vote, String> {
        let s = input.settings();
        let priority = s
            .integer("priority")
            .unwrap_or(DEFAULT_PRIORITY)
            .clamp(0, 100) as u8;
        let queue = s.text("queue").unwrap_or("enterprise");
        let top_n = s.integer("top_n").unwrap_or(DEFAULT_TOP_N);
        let customer = &input.customer;

        let detail = if let Some(tier) = customer.tier.as_deref().filter(|t| {
            s.text_list("tiers")
                .iter()
                .any(|v| v.eq_ignore_ascii_case(t))
        }) {
            format!("customer is on the '{tier}' tier")
        } else if let Some(rank) = customer
            .account_rank
            .filter(|r| *r >= 1 && i64::from(*r) <= top_n)
        {
            format!("account ranks #{rank}, within the top {top_n}")
        } else {
            return Ok(Vote::abstain());
        };
        Ok(Vote::escalate("vip_account", &detail)
            .hard()
            .priority(priority)
            .queue(queue)
            .skill("account-management"))
    }
}

escalator_sdk::export_rule!(VipAccounts);

#[cfg(test)]
mod tests {
    use super::*;
    use escalator_sdk::Verdict;
    use escalator_sdk::testing::InputBuilder;

    fn input(b: InputBuilder) -> Input {
        let mut b = b.customer_says("hi");
        for spec in VipAccounts::describe().settings {
            b = b.setting(&spec.name, spec.default.unwrap());
        }
        b.build()
    }

    #[test]
    fn configured_tier_is_hard_escalated_with_priority() {
        let vote = VipAccounts::evaluate(&input(InputBuilder::new().tier("Enterprise"))).unwrap();
        assert_eq!(vote.verdict, Verdict::Escalate);
        assert!(vote.hard);
        assert_eq!(vote.priority, Some(90));
        assert_eq!(vote.routing.unwrap().queue.as_deref(), Some("enterprise"));
    }

    #[test]
    fn rank_boundary_is_inclusive() {
        let inside = VipAccounts::evaluate(&input(InputBuilder::new().account_rank(100))).unwrap();
        assert_eq!(inside.verdict, Verdict::Escalate);
        let outside = VipAccounts::evaluate(&input(InputBuilder::new().account_rank(101))).unwrap();
        assert_eq!(outside.verdict, Verdict::Abstain);
    }

    #[test]
    fn top_n_zero_disables_ranking() {
        let i = input(InputBuilder::new().account_rank(1)).clone();
        let mut i = i;
        for s in &mut i.settings {
            if s.name == "top_n" {
                s.value = SettingValue::Integer(0);
            }
        }
        assert_eq!(VipAccounts::evaluate(&i).unwrap().verdict, Verdict::Abstain);
    }

    #[test]
    fn negative_top_n_is_rejected() {
        let items = vec![escalator_sdk::Setting {
            name: "top_n".into(),
            value: SettingValue::Integer(-1),
        }];
        assert!(VipAccounts::validate_settings(&Settings::new(&items)).is_err());
    }
}
