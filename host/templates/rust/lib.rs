//! {{name}}: escalates when a customer message contains one of the
//! configured keywords. Replace the logic with your own rule.

use escalator_sdk::text::first_phrase;
use escalator_sdk::{Input, PluginInfo, Rule, SettingType, SettingValue, Settings, Vote};

struct Plugin;

impl Rule for Plugin {
    fn describe() -> PluginInfo {
        PluginInfo::new("{{name}}", env!("CARGO_PKG_VERSION"), "Escalates on configured keywords").setting(
            "keywords",
            SettingType::TextList,
            Some(SettingValue::TextList(vec!["refund".into()])),
            "phrases in customer messages that escalate",
        )
    }

    fn validate_settings(settings: &Settings<'_>) -> Result<(), String> {
        if settings.text_list("keywords").is_empty() {
            return Err("keywords must not be empty".into());
        }
        Ok(())
    }

    fn evaluate(input: &Input) -> Result<Vote, String> {
        let keywords = input.settings().text_list("keywords");
        Ok(input
            .customer_messages()
            .find_map(|m| first_phrase(&m.text, keywords))
            .map(|k| Vote::escalate("keyword", &format!("the customer wrote '{k}'")).priority(50))
            .unwrap_or_else(Vote::abstain))
    }
}

escalator_sdk::export_rule!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;
    use escalator_sdk::Verdict;
    use escalator_sdk::testing::InputBuilder;

    #[test]
    fn keyword_escalates() {
        let input = InputBuilder::new()
            .customer_says("I want a refund")
            .setting("keywords", SettingValue::TextList(vec!["refund".into()]))
            .build();
        assert_eq!(Plugin::evaluate(&input).unwrap().verdict, Verdict::Escalate);
    }
}
