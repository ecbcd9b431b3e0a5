//! Secret plugin settings on the plugin side: which of a loaded plugin's
//! settings are secret (declared so by the plugin, or made so by the
//! operator), how they are shown, and scrubbing their values from what a
//! plugin produces.
//!
//! A secret is handed to the plugin as any setting is. Everything the plugin
//! hands back — what it prints or logs, its vote's reason, detail and
//! routing, the errors it returns from `evaluate` or `validate-settings` —
//! has every occurrence of a secret value replaced by [`REDACTED`] before
//! it reaches a log line, a decision or an API answer. Scrubbing finds the
//! value as written: it guards against a plugin leaking a credential by
//! accident (a debug print, an error quoting its input), not against one
//! that encodes it on purpose; a plugin given a credential is trusted with
//! it.

use std::borrow::Cow;
use std::ops::Range;

use serde_json::Value;

use super::bindings::types::{Setting, SettingSpec, SettingValue};
use super::loaded::LoadedPlugin;
use super::registry::PluginSet;
use crate::config::plugin_settings::{PluginSettings, ShownSecret, toml_text};
use crate::config::{Config, PluginConfig};
use crate::decision::vote::Vote;

/// What replaces a secret value in text a plugin produced.
pub const REDACTED: &str = "[secret]";

/// Values shorter than this are not scrubbed: replacing every `7` or `on`
/// in a plugin's output would destroy it and hide nothing worth hiding.
pub const MIN_SCRUBBED_CHARS: usize = 4;

/// The secret values of one plugin, to scrub from what it produces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// The secret values among `settings`: those `secret` says are.
    pub fn of(settings: &[Setting], secret: impl Fn(&str) -> bool) -> Secrets {
        let mut values: Vec<String> = settings
            .iter()
            .filter(|s| secret(&s.name))
            .flat_map(|s| match &s.value {
                SettingValue::Text(t) => vec![t.clone()],
                SettingValue::TextList(l) => l.clone(),
                SettingValue::Integer(i) => vec![i.to_string()],
                SettingValue::Number(x) => vec![x.to_string()],
                SettingValue::Flag(_) => vec![],
            })
            .filter(|v| v.chars().count() >= MIN_SCRUBBED_CHARS)
            .collect();
        values.sort();
        values.dedup();
        Secrets { values }
    }

    /// Whether there is nothing to scrub.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every occurrence of a secret value replaced by
    /// [`REDACTED`]. Occurrences that overlap (of one value, or of two) are
    /// replaced as one, so no part of either is left.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut found: Vec<Range<usize>> = Vec::new();
        for value in &self.values {
            let mut from = 0;
            while let Some(at) = text[from..].find(value.as_str()) {
                let start = from + at;
                found.push(start..start + value.len());
                // The next match may overlap this one: resume one
                // character further, not past the whole value.
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            }
        }
        if found.is_empty() {
            return Cow::Borrowed(text);
        }
        found.sort_by_key(|r| r.start);
        let mut out = String::with_capacity(text.len());
        let mut written = 0;
        let mut current: Option<Range<usize>> = None;
        for r in found {
            match &mut current {
                Some(c) if r.start <= c.end => c.end = c.end.max(r.end),
                _ => {
                    if let Some(c) = current.take() {
                        out.push_str(&text[written..c.start]);
                        out.push_str(REDACTED);
                        written = c.end;
                    }
                    current = Some(r);
                }
            }
        }
        if let Some(c) = current {
            out.push_str(&text[written..c.start]);
            out.push_str(REDACTED);
            written = c.end;
        }
        out.push_str(&text[written..]);
        Cow::Owned(out)
    }

    /// Scrubs `text` in place.
    pub fn scrub_string(&self, text: &mut String) {
        if let Cow::Owned(scrubbed) = self.scrub(text) {
            *text = scrubbed;
        }
    }

    /// Scrubs every text of a plugin's vote: reason, detail, routing and
    /// error.
    pub fn scrub_vote(&self, vote: &mut Vote) {
        if self.is_empty() {
            return;
        }
        self.scrub_string(&mut vote.reason);
        self.scrub_string(&mut vote.detail);
        if let Some(r) = &mut vote.routing {
            if let Some(q) = &mut r.queue {
                self.scrub_string(q);
            }
            for skill in &mut r.skills {
                self.scrub_string(skill);
            }
        }
        if let Some(e) = &mut vote.error {
            self.scrub_string(&mut e.message);
        }
    }
}

/// Whether setting `name` is secret: the plugin declares it so in `specs`,
/// or the operator made it so in `configured`.
pub fn is_secret(specs: &[SettingSpec], configured: &PluginSettings, name: &str) -> bool {
    configured.is_secret(name) || specs.iter().any(|s| s.name == name && s.secret)
}

/// A setting value as JSON, in clear.
pub fn value_json(value: &SettingValue) -> Value {
    match value {
        SettingValue::Flag(b) => Value::from(*b),
        SettingValue::Integer(i) => Value::from(*i),
        SettingValue::Number(n) => Value::from(*n),
        SettingValue::Text(t) => Value::from(t.as_str()),
        SettingValue::TextList(l) => Value::from(l.clone()),
    }
}

/// The text a setting value is digested as; the same as the config side's
/// for the value it was converted from.
fn value_text(value: &SettingValue) -> String {
    match value {
        SettingValue::Text(t) => t.clone(),
        SettingValue::TextList(l) => l.join("\n"),
        SettingValue::Integer(i) => i.to_string(),
        SettingValue::Number(x) => x.to_string(),
        SettingValue::Flag(b) => b.to_string(),
    }
}

impl LoadedPlugin {
    /// Whether setting `name` of this plugin is secret.
    pub fn is_secret(&self, name: &str) -> bool {
        is_secret(&self.specs, &self.config.settings, name)
    }

    /// One setting as shown to operators: its value, or for a secret
    /// whether it is set and a short digest.
    pub fn setting_json(&self, setting: &Setting) -> Value {
        if self.is_secret(&setting.name) {
            let source = self.config.settings.source(&setting.name);
            ShownSecret::of(Some(&value_text(&setting.value)), source).to_json()
        } else {
            value_json(&setting.value)
        }
    }

    /// The settings it runs with, defaults filled in, as shown to
    /// operators (`GET /v1/plugins`).
    pub fn settings_json(&self) -> Value {
        Value::Object(
            self.settings
                .iter()
                .map(|s| (s.name.clone(), self.setting_json(s)))
                .collect(),
        )
    }
}

/// The configuration as `GET /v1/config` shows it. Secrets the operator
/// marked are hidden by the configuration itself; a setting written in
/// clear is shown only when a serving version of its plugin declares it,
/// and not as secret. A plugin that is not serving (it failed to load,
/// is disabled, or has no file) has no known declaration, so every value
/// of its section is hidden: better an operator reads `secret` on a
/// harmless value than a credential in clear.
pub fn config_json(config: &Config, set: &PluginSet) -> Value {
    let mut json = serde_json::to_value(config).unwrap_or(Value::Null);
    let Some(sections) = json.get_mut("plugins").and_then(Value::as_object_mut) else {
        return json;
    };
    for (name, pc) in &config.plugins {
        let Some(shown) = sections
            .get_mut(name)
            .and_then(|s| s.get_mut("settings"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let serving = set.active.iter().find(|p| *p.name == **name);
        hide_undeclared(shown, pc, serving.map(|p| p.specs.as_slice()));
    }
    json
}

/// Hides, in the shown settings of section `pc`, every clear value that
/// `specs` (the serving plugin's declaration, if known) does not declare
/// as a setting that is not secret.
fn hide_undeclared(
    shown: &mut serde_json::Map<String, Value>,
    pc: &PluginConfig,
    specs: Option<&[SettingSpec]>,
) {
    for (name, value) in pc.settings.iter() {
        if pc.settings.is_secret(name) {
            continue;
        }
        let public = specs.is_some_and(|specs| specs.iter().any(|s| s.name == *name && !s.secret));
        if !public {
            shown.insert(
                name.clone(),
                ShownSecret::of(Some(&toml_text(value)), None).to_json(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::source::Source;
    use crate::decision::vote::{FailureKind, Routing, Verdict};

    fn text(name: &str, value: &str) -> Setting {
        Setting {
            name: name.into(),
            value: SettingValue::Text(value.into()),
        }
    }

    #[test]
    fn every_occurrence_is_scrubbed_and_overlaps_leave_nothing() {
        let settings = [
            text("key", "sk-abcdef"),
            text("other", "cdefgh"),
            text("short", "abc"),
            text("open", "visible-value"),
            Setting {
                name: "list".into(),
                value: SettingValue::TextList(vec!["tok-1111".into(), "x".into()]),
            },
        ];
        let s = Secrets::of(&settings, |n| n != "open");
        assert_eq!(s.scrub("a sk-abcdef b sk-abcdef"), "a [secret] b [secret]");
        // Two secrets overlapping: one marker, no tail of either.
        assert_eq!(s.scrub("<sk-abcdefgh>"), "<[secret]>");
        assert_eq!(s.scrub("tok-1111tok-1111"), "[secret]");
        // Short values and settings that are not secret stay.
        assert_eq!(s.scrub("abc visible-value x"), "abc visible-value x");
        assert!(matches!(s.scrub("nothing here"), Cow::Borrowed(_)));
        // Multi-byte text around a secret is cut on character boundaries.
        assert_eq!(s.scrub("é sk-abcdef ü"), "é [secret] ü");
        let aaaa = Secrets::of(&[text("k", "aaaa")], |_| true);
        assert_eq!(aaaa.scrub("aaaaa!"), "[secret]!");
    }

    #[test]
    fn a_vote_is_scrubbed_everywhere_a_plugin_writes() {
        let s = Secrets::of(&[text("key", "hunter22")], |_| true);
        let mut v = Vote::new(Source::Plugin("p".into()), Verdict::Escalate)
            .because("hunter22", "the key is hunter22".into());
        v.routing = Some(Routing {
            queue: Some("q-hunter22".into()),
            skills: vec!["hunter22".into()],
            senior: false,
        });
        s.scrub_vote(&mut v);
        let mut failed = Vote::failed(
            Source::Plugin("p".into()),
            FailureKind::PluginError,
            "bad key hunter22".into(),
        );
        s.scrub_vote(&mut failed);
        let json = serde_json::to_string(&[v, failed]).unwrap();
        assert!(!json.contains("hunter22"), "{json}");
        assert_eq!(json.matches(REDACTED).count(), 5, "{json}");
    }

    #[test]
    fn numbers_are_scrubbed_by_their_text_and_flags_not_at_all() {
        let settings = [
            Setting {
                name: "pin".into(),
                value: SettingValue::Integer(93417),
            },
            Setting {
                name: "on".into(),
                value: SettingValue::Flag(true),
            },
        ];
        let s = Secrets::of(&settings, |_| true);
        assert_eq!(s.scrub("pin 93417, on true"), "pin [secret], on true");
    }

    #[test]
    fn config_sections_of_unknown_plugins_hide_every_clear_value() {
        let config = Config::parse(
            "[plugins.crm]\nsecret_settings = [\"pin\"]\nsettings = { pin = \"2468\", queue = \"billing\" }\n",
        )
        .unwrap();
        let json = config_json(&config, &PluginSet::default());
        let shown = &json["plugins"]["crm"]["settings"];
        assert_eq!(shown["pin"]["secret"], true);
        // Not serving, so its declaration is unknown: hidden too.
        assert_eq!(shown["queue"]["secret"], true, "{shown}");
        assert_eq!(shown["queue"]["set"], true);
        assert!(!json.to_string().contains("2468"));

        // With a declaration, a declared setting that is not secret shows.
        let mut shown = serde_json::Map::new();
        shown.insert("queue".into(), Value::from("billing"));
        shown.insert("token".into(), Value::from("abcd-efgh"));
        let spec = |name: &str, secret| SettingSpec {
            name: name.into(),
            kind: crate::plugin::bindings::types::SettingType::Text,
            default: None,
            description: String::new(),
            secret,
        };
        let mut pc = PluginConfig::default();
        pc.settings.insert("queue".into(), "billing".into());
        pc.settings.insert("token".into(), "abcd-efgh".into());
        hide_undeclared(
            &mut shown,
            &pc,
            Some(&[spec("queue", false), spec("token", true)]),
        );
        assert_eq!(shown["queue"], "billing");
        assert_eq!(shown["token"]["secret"], true);
    }
}
