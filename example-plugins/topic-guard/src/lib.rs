//! Always-escalate topics: cancellations, account compromise, legal and
//! regulatory threats. Each is caught either from the upstream AI's topic
//! category or from keywords in the customer's messages, and is a hard
//! escalation routed to the team that owns the topic.

use escalator_sdk::text::Words;
use escalator_sdk::{
    Input, InputParts, PluginInfo, Rule, SettingType, SettingValue, Settings, Vote,
};

/// The rule; public so benchmarks can run it natively.
pub struct TopicGuard;

/// One always-escalate topic: where to look and where to route.
struct Guarded {
    reason: &'static str,
    queue: &'static str,
    categories_setting: &'static str,
    keywords_setting: &'static str,
    default_categories: &'static [&'static str],
    default_keywords: &'static [&'static str],
}

const TOPICS: &[Guarded] = &[
    Guarded {
        reason: "account_compromise",
        queue: "security",
        categories_setting: "security_categories",
        keywords_setting: "security_keywords",
        default_categories: &["security", "account-compromise", "fraud"],
        default_keywords: &[
            "hacked",
            "someone logged into my account",
            "unauthorized",
            "unauthorised",
            "stolen account",
            "account was compromised",
            "password was changed",
            "fraudulent charge",
        ],
    },
    Guarded {
        reason: "legal_threat",
        queue: "legal",
        categories_setting: "legal_categories",
        keywords_setting: "legal_keywords",
        default_categories: &["legal", "regulatory", "complaint-regulatory"],
        default_keywords: &[
            "lawyer",
            "attorney",
            "sue",
            "lawsuit",
            "legal action",
            "ombudsman",
            "regulator",
            "gdpr",
            "data protection authority",
            "small claims",
        ],
    },
    Guarded {
        reason: "cancellation",
        queue: "retention",
        categories_setting: "cancellation_categories",
        keywords_setting: "cancellation_keywords",
        default_categories: &["cancellation", "churn"],
        default_keywords: &[
            "cancel my subscription",
            "cancel my account",
            "cancel my plan",
            "close my account",
            "terminate my contract",
            "i want to cancel",
        ],
    },
];

fn list(items: &[&str]) -> Option<SettingValue> {
    Some(SettingValue::TextList(
        items.iter().map(|s| s.to_string()).collect(),
    ))
}

impl Rule for TopicGuard {
    fn describe() -> PluginInfo {
        let mut info = PluginInfo::new(
            "topic-guard",
            env!("CARGO_PKG_VERSION"),
            "Hard-escalates cancellations, account compromise and legal threats",
        )
        // The topic and the messages, nothing else: Escalator need not copy
        // the customer record or the signals into each call.
        .reads(InputParts::MESSAGES | InputParts::TOPIC)
        .setting(
            "priority",
            SettingType::Integer,
            Some(SettingValue::Integer(80)),
            "priority (0-100) asked for when a guarded topic is found",
        );
        for t in TOPICS {
            info = info
                .setting(
                    t.categories_setting,
                    SettingType::TextList,
                    list(t.default_categories),
                    "topic categories from the upstream AI that always escalate",
                )
                .setting(
                    t.keywords_setting,
                    SettingType::TextList,
                    list(t.default_keywords),
                    "phrases in customer messages that always escalate",
                );
        }
        info
    }

    fn validate_settings(settings: &Settings<'_>) -> Result<(), String> {
        let priority = settings.integer("priority").unwrap_or(80);
        if !(0..=100).contains(&priority) {
            return Err(format!("priority must be 0-100, got {priority}"));
        }
        Ok(())
    }

    fn evaluate(input: &Input) -> Result<Vote, String> {
        let settings = input.settings();
        let priority = settings.integer("priority").unwrap_or(80).clamp(0, 100) as u8;
        let category = input.topic.category.as_deref().map(str::to_lowercase);
        // Split each message into words once, not once per topic.
        let messages: Vec<Words> = input
            .customer_messages()
            .map(|m| Words::new(&m.text))
            .collect();
        for t in TOPICS {
            let by_category = category.as_deref().filter(|c| {
                settings
                    .text_list(t.categories_setting)
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(c))
            });
            let detail = if let Some(c) = by_category {
                Some(format!("the AI classified the topic as '{c}'"))
            } else {
                messages.iter().find_map(|m| {
                    m.first_of(settings.text_list(t.keywords_setting))
                        .map(|p| format!("the customer wrote '{p}'"))
                })
            };
            if let Some(detail) = detail {
                return Ok(Vote::escalate(t.reason, &detail)
                    .hard()
                    .priority(priority)
                    .queue(t.queue));
            }
        }
        Ok(Vote::abstain())
    }
}

escalator_sdk::export_rule!(TopicGuard);

#[cfg(test)]
mod tests {
    use super::*;
    use escalator_sdk::Verdict;
    use escalator_sdk::testing::InputBuilder;

    fn with_defaults(b: InputBuilder) -> Input {
        let mut b = b;
        for spec in TopicGuard::describe().settings {
            b = b.setting(&spec.name, spec.default.unwrap());
        }
        b.build()
    }

    #[test]
    fn keyword_in_any_customer_message_hard_escalates_to_the_owning_queue() {
        let input = with_defaults(
            InputBuilder::new()
                .customer_says("I think I was HACKED yesterday")
                .ai_says("Let me check", 0.9)
                .customer_says("ok"),
        );
        let vote = TopicGuard::evaluate(&input).unwrap();
        assert_eq!(vote.verdict, Verdict::Escalate);
        assert!(vote.hard);
        assert_eq!(vote.reason, "account_compromise");
        assert_eq!(vote.routing.unwrap().queue.as_deref(), Some("security"));
        assert_eq!(vote.priority, Some(80));
    }

    #[test]
    fn topic_category_alone_is_enough() {
        let input = with_defaults(
            InputBuilder::new()
                .customer_says("hello")
                .topic("Cancellation"),
        );
        let vote = TopicGuard::evaluate(&input).unwrap();
        assert_eq!(vote.reason, "cancellation");
    }

    #[test]
    fn ordinary_conversation_abstains() {
        let input = with_defaults(InputBuilder::new().customer_says("Where is my parcel?"));
        assert_eq!(
            TopicGuard::evaluate(&input).unwrap().verdict,
            Verdict::Abstain
        );
    }

    #[test]
    fn ai_messages_do_not_trigger() {
        let input = with_defaults(
            InputBuilder::new()
                .customer_says("what are your terms?")
                .ai_says(
                    "You may cancel my subscription... I mean yours, any time",
                    0.9,
                ),
        );
        assert_eq!(
            TopicGuard::evaluate(&input).unwrap().verdict,
            Verdict::Abstain
        );
    }

    #[test]
    fn out_of_range_priority_is_rejected() {
        let items = vec![escalator_sdk::Setting {
            name: "priority".into(),
            value: SettingValue::Integer(101),
        }];
        let err = TopicGuard::validate_settings(&Settings::new(&items)).unwrap_err();
        assert!(err.contains("0-100"));
    }
}
