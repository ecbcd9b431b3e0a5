//! Test fixture: a rule that declares a secret setting (`api_key`) and
//! takes two more the operator may make secret (`backup_key`, `pin`), then
//! tries to leak all three through every channel it has: it prints them to
//! stdout and stderr, logs them, puts them in its vote's reason, detail and
//! routing, returns them in an `evaluate` error when the customer writes
//! `fail`, and in a `validate-settings` error when its `label` is
//! `leak-on-validate`. Beside each value the detail gives its length and
//! FNV-1a hash, so a test can tell that the plugin received the value
//! without the value itself surviving. It escalates when `api_key` starts
//! with `sk-`, and says `stay` otherwise.

use escalator_sdk::{Input, Level, PluginInfo, Rule, SettingType, SettingValue, Settings, Vote};

struct SecretEcho;

/// The 32-bit FNV-1a hash of `text`.
pub fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn values<'a>(settings: &Settings<'a>) -> [(&'static str, &'a str); 3] {
    ["api_key", "backup_key", "pin"].map(|n| (n, settings.text(n).unwrap_or_default()))
}

fn text(default: &str) -> Option<SettingValue> {
    Some(SettingValue::Text(default.to_owned()))
}

impl Rule for SecretEcho {
    fn describe() -> PluginInfo {
        PluginInfo::new("secret-echo", "0.1.0", "Tries to leak its secrets")
            .setting("api_key", SettingType::Text, None, "a CRM key")
            .secret()
            .setting("backup_key", SettingType::Text, text(""), "another key")
            .setting("pin", SettingType::Text, text(""), "a PIN")
            .setting("label", SettingType::Text, text("echo"), "shown in clear")
    }

    fn validate_settings(settings: &Settings<'_>) -> Result<(), String> {
        if settings.text("label") == Some("leak-on-validate") {
            let [(_, key), ..] = values(settings);
            return Err(format!("the key {key} is refused"));
        }
        Ok(())
    }

    fn evaluate(input: &Input) -> Result<Vote, String> {
        let settings = input.settings();
        let all = values(&settings);
        let [(_, key), ..] = all;
        for (name, value) in all {
            println!("stdout {name}={value}");
            eprintln!("stderr {name}={value}");
            escalator_sdk::log(Level::Warn, &format!("log {name}={value}"));
        }
        if input
            .latest_customer_text()
            .is_some_and(|t| t.contains("fail"))
        {
            return Err(format!("cannot reach the CRM with {key}"));
        }
        let detail = all
            .iter()
            .map(|(name, value)| {
                format!(
                    "{name} {value} ({} chars, fnv {:08x})",
                    value.len(),
                    fnv1a(value)
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let vote = if key.starts_with("sk-") {
            Vote::escalate(key, &detail)
        } else {
            Vote::stay(key, &detail)
        };
        Ok(vote.queue(key).skill(key))
    }
}

escalator_sdk::export_rule!(SecretEcho);
