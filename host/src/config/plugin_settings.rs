//! `[plugins.NAME] settings` and `secret_settings`: the values handed to a
//! plugin, and which of them the operator made secret.
//!
//! A value may be read from an environment variable or a file instead of
//! being written in the config text (`api_key = { env = "CRM_API_KEY" }`,
//! `{ file = "crm.key" }`); such a value is secret by definition. A value
//! written in clear is secret when its name is listed in `secret_settings`.
//! A plugin may also declare a setting secret itself; that is known only
//! once it is loaded (see `plugin::secrets`).
//!
//! A secret is kept in memory, since it is handed to the plugin on every
//! call, but is shown only as set or unset and a short digest.

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::error::{ConfigError, invalid};
use super::secret::SecretSource;

/// A plugin's settings as configured: every value the operator gave (those
/// read from the environment or a file included, as text), and which of
/// them are secret. Dereferences to the table of values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PluginSettings {
    values: toml::Table,
    /// The settings the operator made secret, with where each value came
    /// from (`env NAME`, `file NAME`), or `None` for a value written in
    /// clear and listed in `secret_settings`.
    secret: BTreeMap<String, Option<String>>,
}

impl PluginSettings {
    /// Settings written in clear, none of them secret.
    pub fn new(values: toml::Table) -> PluginSettings {
        PluginSettings {
            values,
            secret: BTreeMap::new(),
        }
    }

    /// Reads the `settings` table and the `secret_settings` list of the
    /// section `section` (`plugins.NAME`): a value given as a table names
    /// where a secret comes from and is read now, a relative file against
    /// `base` (the config file's directory). An error names the setting and
    /// the source, never a value.
    pub(crate) fn read(
        mut values: toml::Table,
        secret_settings: Vec<String>,
        base: &Path,
        section: &str,
    ) -> Result<PluginSettings, ConfigError> {
        let mut secret = BTreeMap::new();
        for (name, value) in values.iter_mut() {
            let toml::Value::Table(source) = value else {
                continue;
            };
            let key = format!("{section}.settings.{name}");
            let mut source = match (source.len(), source.get("env"), source.get("file")) {
                (1, Some(toml::Value::String(var)), None) => SecretSource::Env(var.clone()),
                (1, None, Some(toml::Value::String(path))) => {
                    SecretSource::File(PathBuf::from(path))
                }
                _ => {
                    return Err(invalid(
                        &key,
                        "a table reads a secret value from elsewhere: give exactly one of \
                         `env = \"VARIABLE\"` or `file = \"PATH\"`",
                    ));
                }
            };
            source.resolve(base);
            let text = source.read(&key)?;
            secret.insert(name.clone(), Some(source.describe()));
            *value = toml::Value::String(text);
        }
        for name in secret_settings {
            if name.is_empty() {
                return Err(invalid(
                    &format!("{section}.secret_settings"),
                    "a setting's name cannot be empty",
                ));
            }
            secret.entry(name).or_insert(None);
        }
        Ok(PluginSettings { values, secret })
    }

    /// Whether the operator made setting `name` secret.
    pub fn is_secret(&self, name: &str) -> bool {
        self.secret.contains_key(name)
    }

    /// Where secret setting `name` was read from (`env NAME`, `file NAME`),
    /// if it was not written in the config text.
    pub fn source(&self, name: &str) -> Option<&str> {
        self.secret.get(name)?.as_deref()
    }
}

impl Deref for PluginSettings {
    type Target = toml::Table;

    fn deref(&self) -> &toml::Table {
        &self.values
    }
}

impl DerefMut for PluginSettings {
    fn deref_mut(&mut self) -> &mut toml::Table {
        &mut self.values
    }
}

/// The values in clear, the operator's secrets as [`ShownSecret`]s.
impl Serialize for PluginSettings {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.values.len()))?;
        for (name, value) in &self.values {
            if self.is_secret(name) {
                let shown = ShownSecret::of(Some(&toml_text(value)), self.source(name));
                map.serialize_entry(name, &shown)?;
            } else {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}

/// What is shown of a secret setting wherever its value would be:
/// `{"secret": true, "set": true, "sha256": "…", "from": "env NAME"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShownSecret {
    /// Always true: tells a hidden value from a shown one.
    pub secret: bool,
    /// Whether the setting has a value (a non-empty one).
    pub set: bool,
    /// The first 12 hex digits of the value's SHA-256, so an operator can
    /// tell which value is in force (after a rotation, say) without seeing
    /// it. A short or guessable value can be found from it by trying
    /// candidates: secrets are meant to be long and random.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Where the value was read from, when not from the config text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl ShownSecret {
    /// The shown form of a secret whose value, in text form, is `text`.
    pub fn of(text: Option<&str>, from: Option<&str>) -> ShownSecret {
        let text = text.filter(|t| !t.is_empty());
        ShownSecret {
            secret: true,
            set: text.is_some(),
            sha256: text.map(digest),
            from: from.map(str::to_owned),
        }
    }

    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The short digest shown of a secret: the first 12 hex digits of its
/// SHA-256.
pub fn digest(text: &str) -> String {
    let mut hex = hex::encode(Sha256::digest(text.as_bytes()));
    hex.truncate(12);
    hex
}

/// The text a setting value is digested as: a string itself, a list's items
/// one a line, anything else as written. The plugin side digests the
/// converted value the same way, so both show the same digest.
pub fn toml_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => items.iter().map(toml_text).collect::<Vec<_>>().join("\n"),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, secret: &[&str], base: &Path) -> Result<PluginSettings, ConfigError> {
        PluginSettings::read(
            toml::from_str(text).unwrap(),
            secret.iter().map(|s| s.to_string()).collect(),
            base,
            "plugins.crm",
        )
    }

    #[test]
    fn values_from_files_and_listed_names_are_secret_and_shown_as_digests() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("crm.key"), "sk-live-0123456789\n").unwrap();
        let s = read(
            "api_key = { file = \"crm.key\" }\npin = \"93417\"\nqueue = \"billing\"\n",
            &["pin"],
            dir.path(),
        )
        .unwrap();
        // The plugin gets the value itself.
        assert_eq!(s["api_key"].as_str(), Some("sk-live-0123456789"));
        assert!(s.is_secret("api_key") && s.is_secret("pin") && !s.is_secret("queue"));
        assert_eq!(s.source("api_key"), Some("file crm.key"));
        assert_eq!(s.source("pin"), None);

        let shown = serde_json::to_value(&s).unwrap();
        assert_eq!(shown["queue"], "billing");
        assert_eq!(
            shown["api_key"],
            serde_json::json!({"secret": true, "set": true,
                "sha256": digest("sk-live-0123456789"), "from": "file crm.key"})
        );
        assert_eq!(shown["pin"]["sha256"].as_str().unwrap().len(), 12);
        let text = shown.to_string();
        assert!(
            !text.contains("sk-live") && !text.contains("93417"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_source_is_an_error_naming_the_setting_not_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let err = read("k = { env = \"A\", file = \"b\" }", &[], dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("plugins.crm.settings.k") && err.contains("exactly one"));
        let err = read("k = { vault = \"x\" }", &[], dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("plugins.crm.settings.k"), "{err}");
        let err = read("k = { file = \"missing.key\" }", &[], dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("plugins.crm.settings.k") && err.contains("missing.key"));
        let err = read(
            "k = { env = \"ESCALATOR_TEST_SURELY_UNSET_SECRET\" }",
            &[],
            dir.path(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("ESCALATOR_TEST_SURELY_UNSET_SECRET"), "{err}");
    }

    #[test]
    fn unset_secrets_show_no_digest() {
        let shown = ShownSecret::of(Some(""), None);
        assert!(!shown.set && shown.sha256.is_none());
        assert_eq!(
            toml_text(&toml::Value::Array(vec!["a".into(), "b".into()])),
            "a\nb"
        );
    }
}
