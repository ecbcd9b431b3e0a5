//! Reason codes as label values, bounded.
//!
//! A built-in trigger's code, and the `plugin_failed` a failure policy
//! gives, come from a fixed set and are used as they are. A plugin's own
//! code is free text the plugin chose, so it is labelled
//! `<plugin>/<code>` only when it looks like a code (at most
//! [`MAX_CODE_CHARS`] characters of ASCII letters, digits, `_`, `-`, `.`)
//! and is among the first [`CODES_PER_PLUGIN`] distinct codes seen from
//! that plugin in this process; any other is `<plugin>/other`. A plugin
//! that puts an id or a sentence in its reason therefore costs at most
//! [`CODES_PER_PLUGIN`] + 1 series, and its well-behaved codes keep theirs.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use crate::decision::reasons::{Code, Reason};
use crate::decision::source::Source;

/// Distinct codes one plugin may give a label value of their own.
pub const CODES_PER_PLUGIN: usize = 16;

/// The longest plugin code kept as it is.
pub const MAX_CODE_CHARS: usize = 64;

/// The label value of a decision with no carrying reason.
pub const NONE: &str = "none";

/// The codes admitted so far, per plugin name.
static ADMITTED: LazyLock<Mutex<HashMap<String, Vec<String>>>> = LazyLock::new(Default::default);

/// The label value of a reason as the decision shows it (plugin codes
/// namespaced as `<plugin>/<code>`).
pub fn of_reason(reason: &Reason) -> String {
    match &reason.source {
        Source::Builtin(_) => bounded_builtin(&reason.code),
        Source::Plugin(name) => {
            let code = reason
                .code
                .strip_prefix(&**name)
                .and_then(|c| c.strip_prefix('/'))
                .unwrap_or(&reason.code);
            if code == Code::PluginFailed.as_str() {
                format!("{name}/{code}")
            } else {
                plugin(name, code)
            }
        }
    }
}

/// A built-in code is one of a fixed set; anything else is a bug, and is
/// folded rather than trusted.
fn bounded_builtin(code: &str) -> String {
    if well_formed(code) {
        code.to_owned()
    } else {
        "other".to_owned()
    }
}

/// `<plugin>/<code>` when `code` is admitted, `<plugin>/other` otherwise.
pub fn plugin(plugin: &str, code: &str) -> String {
    if well_formed(code) && admit(plugin, code) {
        format!("{plugin}/{code}")
    } else {
        format!("{plugin}/other")
    }
}

fn well_formed(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= MAX_CODE_CHARS
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Whether `code` of `plugin` has, or may now take, a label value of its
/// own.
fn admit(plugin: &str, code: &str) -> bool {
    let mut admitted = ADMITTED.lock().unwrap_or_else(|e| e.into_inner());
    let codes = match admitted.get_mut(plugin) {
        Some(codes) => codes,
        None => admitted.entry(plugin.to_owned()).or_default(),
    };
    if codes.iter().any(|c| c == code) {
        return true;
    }
    if codes.len() < CODES_PER_PLUGIN {
        codes.push(code.to_owned());
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_keeps_its_first_codes_and_folds_the_rest_and_free_text() {
        let name = "reason-test-plugin";
        assert_eq!(
            plugin(name, "vip_account"),
            "reason-test-plugin/vip_account"
        );
        assert_eq!(
            plugin(name, "the customer is furious"),
            "reason-test-plugin/other"
        );
        assert_eq!(plugin(name, &"x".repeat(65)), "reason-test-plugin/other");
        assert_eq!(plugin(name, ""), "reason-test-plugin/other");
        for i in 1..CODES_PER_PLUGIN {
            assert_eq!(plugin(name, &format!("c{i}")), format!("{name}/c{i}"));
        }
        assert_eq!(plugin(name, "one-too-many"), "reason-test-plugin/other");
        // Codes admitted before the cap keep their own value.
        assert_eq!(
            plugin(name, "vip_account"),
            "reason-test-plugin/vip_account"
        );
        // Another plugin has caps of its own.
        assert_eq!(plugin("reason-test-other", "c1"), "reason-test-other/c1");
    }
}
