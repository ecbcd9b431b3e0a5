//! Test fixture: a rule built against the frozen `escalator:rules@0.1.0`
//! (`wit/v0.1`) with wit-bindgen directly, as a plugin compiled before 0.2
//! was. It escalates when the customer's latest message contains its
//! `keyword` setting (default `legacy`), says `stay` otherwise, and logs.

#![allow(missing_docs)]

wit_bindgen::generate!({ world: "rule", path: "../../../wit/v0.1" });

use escalator::rules::host::{Level, log};
use escalator::rules::types::{Role, SettingSpec, SettingType, SettingValue, Verdict};

struct Legacy;

fn keyword(settings: &[Setting]) -> String {
    settings
        .iter()
        .find(|s| s.name == "keyword")
        .and_then(|s| match &s.value {
            SettingValue::Text(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "legacy".into())
}

fn vote(verdict: Verdict, reason: &str, detail: String) -> Vote {
    Vote {
        verdict,
        weight: 1.0,
        hard: false,
        reason: reason.into(),
        detail,
        priority: Some(55),
        routing: None,
    }
}

impl Guest for Legacy {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "legacy-v01".into(),
            version: "0.1.0".into(),
            description: "Escalates on a keyword; built against interface 0.1".into(),
            settings: vec![SettingSpec {
                name: "keyword".into(),
                kind: SettingType::Text,
                default: Some(SettingValue::Text("legacy".into())),
                description: "The word that escalates".into(),
            }],
        }
    }

    fn validate_settings(settings: Vec<Setting>) -> Result<(), String> {
        if keyword(&settings).trim().is_empty() {
            return Err("keyword must not be empty".into());
        }
        Ok(())
    }

    fn evaluate(input: Input) -> Result<Vote, String> {
        let word = keyword(&input.settings);
        let latest = input
            .conversation
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::Customer)
            .map(|m| m.text.to_lowercase())
            .unwrap_or_default();
        log(
            Level::Info,
            &format!("{} messages seen", input.conversation.messages.len()),
        );
        Ok(if latest.contains(&word) {
            vote(
                Verdict::Escalate,
                "keyword",
                format!(
                    "the customer wrote '{word}' ({} messages, {} customer turns)",
                    input.conversation.messages.len(),
                    input.signals.customer_turns
                ),
            )
        } else {
            vote(Verdict::Stay, "no-keyword", "nothing to report".into())
        })
    }
}

export!(Legacy);
