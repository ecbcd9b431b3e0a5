//! The `[trust]` section: the keys trusted to sign plugins, which of them
//! may sign which plugin, and whether plugins must be signed at all.
//!
//! Whether a plugin must be signed is decided here, by policy, never by
//! whether a signature file happens to lie beside it: a verifier that
//! checked signatures only when one was present accepted a stripped one.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::{ConfigError, invalid};
use super::files::read_regular;
use crate::signing::{self, PublicKey, TrustedKey, Verification};

/// A key file larger than this is refused: a key is one line.
const MAX_KEY_FILE: u64 = 4 << 10;

/// The validated `[trust]` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrustConfig {
    /// Every plugin must carry a valid signature by a trusted key.
    pub require_signatures: bool,
    /// The trusted keys, by name.
    pub keys: BTreeMap<String, PublicKey>,
    /// Per plugin (file name without `.wasm`): the only keys that may sign
    /// it. A plugin listed here must be signed even when
    /// `require_signatures` is off.
    pub plugins: BTreeMap<String, PluginTrust>,
}

/// `[trust.plugins.NAME]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginTrust {
    /// Names of keys in `[trust] keys` that may sign the plugin.
    pub keys: Vec<String>,
}

/// `[trust]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrust {
    #[serde(default)]
    require_signatures: bool,
    /// Key text (`escalator-ed25519-public:…`) or the path of a file
    /// holding it.
    #[serde(default)]
    keys: BTreeMap<String, String>,
    #[serde(default)]
    plugins: BTreeMap<String, RawPluginTrust>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPluginTrust {
    keys: Vec<String>,
}

/// Key names show in votes and statuses: kept short and plain.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl RawTrust {
    /// Validates the section, reading key files relative to `base` (the
    /// config file's directory). A bad key is an error naming it.
    pub(super) fn validate(self, base: &Path) -> Result<TrustConfig, ConfigError> {
        let mut keys = BTreeMap::new();
        for (name, value) in self.keys {
            let key_name = format!("trust.keys.{name}");
            if !valid_name(&name) {
                return Err(invalid(
                    &key_name,
                    "a key name is 1 to 64 letters, digits, `-`, `_` or `.`",
                ));
            }
            let key = read_key(&value, base).map_err(|m| invalid(&key_name, m))?;
            if let Some((other, _)) = keys.iter().find(|(_, k)| **k == key) {
                return Err(invalid(
                    &key_name,
                    format!("the same key as trust.keys.{other}: trust a key under one name"),
                ));
            }
            keys.insert(name, key);
        }
        let mut plugins = BTreeMap::new();
        for (plugin, p) in self.plugins {
            let key_name = format!("trust.plugins.{plugin}.keys");
            if p.keys.is_empty() {
                return Err(invalid(
                    &key_name,
                    "name at least one key of [trust] keys (leave the section out to let \
                     every trusted key sign the plugin)",
                ));
            }
            if let Some(unknown) = p.keys.iter().find(|k| !keys.contains_key(*k)) {
                return Err(invalid(
                    &key_name,
                    format!("no key named {unknown:?} in [trust] keys"),
                ));
            }
            plugins.insert(plugin, PluginTrust { keys: p.keys });
        }
        Ok(TrustConfig {
            require_signatures: self.require_signatures,
            keys,
            plugins,
        })
    }
}

/// A key given inline, or the file holding it.
fn read_key(value: &str, base: &Path) -> Result<PublicKey, String> {
    let value = value.trim();
    if value.starts_with(signing::PUBLIC_PREFIX) || value.starts_with(signing::SECRET_PREFIX) {
        return PublicKey::parse(value);
    }
    let path = base.join(value);
    // The file is named as written, never with the directory it was
    // resolved against, so no path of the host reaches the API.
    let bytes = read_regular(&path, MAX_KEY_FILE, "the key file limit")
        .map_err(|e| format!("cannot read key file {value}: {e}"))?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("key file {value} is not UTF-8 text"))?;
    PublicKey::parse(&text).map_err(|e| format!("key file {value}: {e}"))
}

impl TrustConfig {
    /// Whether plugin `name` must be signed: signatures are required for
    /// all, or the plugin has keys of its own.
    pub fn required(&self, plugin: &str) -> bool {
        self.require_signatures || self.plugins.contains_key(plugin)
    }

    /// Every trusted key, each marked with whether it may sign `plugin`.
    pub fn keys_for(&self, plugin: &str) -> Vec<TrustedKey<'_>> {
        let only = self.plugins.get(plugin);
        self.keys
            .iter()
            .map(|(name, key)| TrustedKey {
                name,
                key,
                allowed: only.is_none_or(|p| p.keys.iter().any(|k| k == name)),
            })
            .collect()
    }

    /// Whether a plugin that passed the verify step as `verification`
    /// under an earlier policy may still serve under this one: its signing
    /// key is still trusted and allowed for it, or it need not be signed.
    pub fn permits(&self, plugin: &str, verification: &Verification) -> bool {
        match verification {
            Verification::Verified(signer) => self
                .keys_for(plugin)
                .iter()
                .any(|k| k.allowed && k.name == signer.key && k.key.key_id() == signer.key_id),
            Verification::Unverified { .. } | Verification::Unsigned => !self.required(plugin),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signing::SecretKey;

    fn key() -> String {
        SecretKey::generate().unwrap().public_key().to_string()
    }

    #[test]
    fn the_section_is_off_by_default() {
        let c = Config::parse("").unwrap();
        assert!(!c.trust.require_signatures);
        assert!(c.trust.keys.is_empty());
        assert!(!c.trust.required("anything"));
    }

    #[test]
    fn keys_are_read_inline_or_from_files_beside_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (key(), key());
        std::fs::write(dir.path().join("b.pub"), format!("{b}\n")).unwrap();
        let path = dir.path().join("escalator.toml");
        let text = format!(
            "[trust]\nrequire_signatures = true\nkeys = {{ a = {a:?}, b = \"b.pub\" }}\n\
             [trust.plugins.vip]\nkeys = [\"b\"]\n"
        );
        let c = Config::parse_file(&path, &text).unwrap();
        assert_eq!(c.trust.keys["a"].to_string(), a);
        assert_eq!(c.trust.keys["b"].to_string(), b);
        assert!(c.trust.required("other"));
        let allowed: Vec<_> = c.trust.keys_for("vip").iter().map(|k| k.allowed).collect();
        assert_eq!(allowed, [false, true]);
        assert!(c.trust.keys_for("other").iter().all(|k| k.allowed));
    }

    #[test]
    fn per_plugin_keys_make_a_signature_required_for_that_plugin() {
        let text = format!(
            "[trust]\nkeys = {{ a = {:?} }}\n[trust.plugins.vip]\nkeys = [\"a\"]\n",
            key()
        );
        let c = Config::parse(&text).unwrap();
        assert!(c.trust.required("vip"));
        assert!(!c.trust.required("other"));
    }

    #[test]
    fn bad_keys_are_config_errors_naming_the_key() {
        let (a, b) = (key(), key());
        let secret = SecretKey::generate().unwrap().to_text().to_string();
        let cases = [
            (
                "[trust]\nkeys = { ci = \"escalator-ed25519-public:AAAA\" }".to_owned(),
                "trust.keys.ci",
            ),
            (
                format!("[trust]\nkeys = {{ ci = {secret:?} }}"),
                "secret key",
            ),
            (
                "[trust]\nkeys = { ci = \"no-such-file.pub\" }".to_owned(),
                "trust.keys.ci",
            ),
            (
                format!("[trust]\nkeys = {{ ci = {a:?}, again = {a:?} }}"),
                "trust.keys.ci",
            ),
            (
                format!("[trust]\nkeys = {{ \"a b\" = {b:?} }}"),
                "trust.keys.a b",
            ),
            (
                format!("[trust]\nkeys = {{ a = {a:?} }}\n[trust.plugins.vip]\nkeys = [\"b\"]"),
                "trust.plugins.vip.keys",
            ),
            (
                format!("[trust]\nkeys = {{ a = {a:?} }}\n[trust.plugins.vip]\nkeys = []"),
                "trust.plugins.vip.keys",
            ),
            (
                "[trust]\nrequire_signature = true".to_owned(),
                "require_signature",
            ),
        ];
        for (text, says) in cases {
            let err = Config::parse(&text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}
