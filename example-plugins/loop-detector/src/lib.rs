//! Catches a conversation going round in circles: the customer says the same
//! thing again and again, or asks outright for a human.

use escalator_sdk::text::Words;
use escalator_sdk::{
    Input, InputParts, Level, PluginInfo, Rule, SettingType, SettingValue, Settings, Vote,
};

/// The rule; public so benchmarks can run it natively.
pub struct LoopDetector;

const DEFAULT_REPEATS: i64 = 3;
const DEFAULT_SIMILARITY: f64 = 0.7;

fn default_phrases() -> Vec<String> {
    [
        "talk to a human",
        "speak to a human",
        "talk to a person",
        "speak to a person",
        "real person",
        "talk to an agent",
        "speak to an agent",
        "human agent",
        "representative",
        "supervisor",
        "manager",
        "operator",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

impl Rule for LoopDetector {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "loop-detector",
            env!("CARGO_PKG_VERSION"),
            "Escalates when the customer repeats themselves or asks for a human",
        )
        .reads(InputParts::MESSAGES)
        .setting(
            "repeats",
            SettingType::Integer,
            Some(SettingValue::Integer(DEFAULT_REPEATS)),
            "how many similar customer messages make a loop (2 or more)",
        )
        .setting(
            "similarity",
            SettingType::Number,
            Some(SettingValue::Number(DEFAULT_SIMILARITY)),
            "word-overlap (0-1] above which two messages count as the same",
        )
        .setting(
            "human_phrases",
            SettingType::TextList,
            Some(SettingValue::TextList(default_phrases())),
            "phrases with which a customer asks for a human",
        )
    }

    fn validate_settings(settings: &Settings<'_>) -> Result<(), String> {
        let repeats = settings.integer("repeats").unwrap_or(DEFAULT_REPEATS);
        if repeats < 2 {
            return Err(format!("repeats must be 2 or more, got {repeats}"));
        }
        let sim = settings.number("similarity").unwrap_or(DEFAULT_SIMILARITY);
        if !(sim > 0.0 && sim <= 1.0) {
            return Err(format!("similarity must be in (0, 1], got {sim}"));
        }
        Ok(())
    }

    fn evaluate(input: &Input) -> Result<Vote, String> {
        let s = input.settings();
        // Each message is split into words once, then compared.
        let texts: Vec<Words> = input
            .customer_messages()
            .map(|m| Words::new(&m.text))
            .collect();
        let Some(latest) = texts.last() else {
            return Ok(Vote::abstain());
        };

        if let Some(phrase) = latest.first_of(s.text_list("human_phrases")) {
            return Ok(Vote::escalate(
                "asked_for_human",
                &format!("the customer asked for a human ('{phrase}')"),
            )
            .priority(60));
        }

        let repeats = s.integer("repeats").unwrap_or(DEFAULT_REPEATS).max(2) as usize;
        let threshold = s.number("similarity").unwrap_or(DEFAULT_SIMILARITY);
        let same = texts
            .iter()
            .filter(|t| t.similarity(latest) >= threshold)
            .count();
        if same >= repeats {
            escalator_sdk::log(
                Level::Info,
                &format!("customer repeated themselves {same} times"),
            );
            return Ok(Vote::escalate(
                "customer_repeating",
                &format!("the customer has said the same thing {same} times"),
            )
            .priority(50));
        }
        Ok(Vote::abstain())
    }
}

escalator_sdk::export_rule!(LoopDetector);

#[cfg(test)]
mod tests {
    use super::*;
    use escalator_sdk::Verdict;
    use escalator_sdk::testing::InputBuilder;

    fn decide(b: InputBuilder) -> Vote {
        let mut b = b;
        for spec in LoopDetector::describe().settings {
            b = b.setting(&spec.name, spec.default.unwrap());
        }
        LoopDetector::evaluate(&b.build()).unwrap()
    }

    #[test]
    fn third_repetition_escalates_but_second_does_not() {
        let two = InputBuilder::new()
            .customer_says("My refund has not arrived")
            .ai_says("It takes 5 days", 0.8)
            .customer_says("my refund has NOT arrived!");
        assert_eq!(decide(two.clone()).verdict, Verdict::Abstain);
        let three = two
            .ai_says("It takes 5 days", 0.8)
            .customer_says("My refund has not arrived.");
        let vote = decide(three);
        assert_eq!(vote.verdict, Verdict::Escalate);
        assert_eq!(vote.reason, "customer_repeating");
    }

    #[test]
    fn asking_for_a_human_escalates() {
        let vote = decide(InputBuilder::new().customer_says("Can I speak to a person please?"));
        assert_eq!(vote.reason, "asked_for_human");
    }

    #[test]
    fn different_messages_abstain() {
        let vote = decide(
            InputBuilder::new()
                .customer_says("Where is my order?")
                .customer_says("It was order 1234")
                .customer_says("Thanks, that works"),
        );
        assert_eq!(vote.verdict, Verdict::Abstain);
    }

    #[test]
    fn bad_settings_are_rejected() {
        let items = vec![escalator_sdk::Setting {
            name: "similarity".into(),
            value: SettingValue::Number(1.5),
        }];
        assert!(LoopDetector::validate_settings(&Settings::new(&items)).is_err());
    }
}
