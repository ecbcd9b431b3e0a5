//! Test fixture: a rule built against the frozen `escalator:rules@0.2.0`
//! (`wit/v0.2`) with wit-bindgen directly, as a plugin compiled before 0.3
//! was. While the AI owns the conversation it escalates when the customer's
//! latest message contains its `keyword` setting (default `legacy`) and
//! says `stay` otherwise; while a human owns it, it votes to hand it back.
//! Its detail repeats what it was given (messages, events, ownership), so a
//! test can see the input reached it whole, and it logs.

#![allow(missing_docs)]

wit_bindgen::generate!({ world: "rule", path: "../../../wit/v0.2" });

use escalator::rules::host::{Level, log};
use escalator::rules::types::{Owner, Role, SettingSpec, SettingType, SettingValue, Verdict};

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
        priority: Some(56),
        routing: None,
    }
}

impl Guest for Legacy {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "legacy-v02".into(),
            version: "0.2.0".into(),
            description: "Escalates on a keyword; built against interface 0.2".into(),
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
        let messages = &input.conversation.messages;
        let events = messages.iter().filter(|m| m.event.is_some()).count();
        let seen = format!(
            "{} messages, {events} events, segment from {}, {} customer turns",
            messages.len(),
            input.ownership.segment_start,
            input.signals.customer_turns
        );
        log(Level::Info, &format!("seen: {seen}"));
        if input.ownership.owner == Owner::Human {
            return Ok(vote(Verdict::HandBack, "human-owns", seen));
        }
        let latest = messages
            .iter()
            .rev()
            .find(|m| m.role == Role::Customer)
            .map(|m| m.text.to_lowercase())
            .unwrap_or_default();
        Ok(if latest.contains(&word) {
            vote(
                Verdict::Escalate,
                "keyword",
                format!("the customer wrote '{word}' ({seen})"),
            )
        } else {
            vote(Verdict::Stay, "no-keyword", seen)
        })
    }
}

export!(Legacy);
