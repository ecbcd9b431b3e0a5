//! Typed access to a plugin's settings.

use crate::{Setting, SettingValue};

/// A read-only view of a plugin's settings.
///
/// ```
/// use escalator_sdk::{Setting, SettingValue, Settings};
///
/// let items = vec![Setting { name: "top_n".into(), value: SettingValue::Integer(10) }];
/// let settings = Settings::new(&items);
/// assert_eq!(settings.integer("top_n"), Some(10));
/// assert_eq!(settings.number("top_n"), Some(10.0));
/// assert!(settings.text_list("missing").is_empty());
/// ```
///
/// The host checks each setting against the type the plugin declared and
/// fills in declared defaults, so a getter returns `None` only for a setting
/// that was never declared or that is required and missing.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    items: &'a [Setting],
}

impl<'a> Settings<'a> {
    /// Wraps a list of settings.
    pub fn new(items: &'a [Setting]) -> Self {
        Settings { items }
    }

    /// The raw value of a setting.
    pub fn get(&self, name: &str) -> Option<&'a SettingValue> {
        self.items.iter().find(|s| s.name == name).map(|s| &s.value)
    }

    /// A `flag` setting.
    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            SettingValue::Flag(b) => Some(*b),
            _ => None,
        }
    }

    /// An `integer` setting.
    pub fn integer(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            SettingValue::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// A `number` setting; an integer value is widened.
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.get(name)? {
            SettingValue::Number(n) => Some(*n),
            SettingValue::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// A `text` setting.
    pub fn text(&self, name: &str) -> Option<&'a str> {
        match self.get(name)? {
            SettingValue::Text(t) => Some(t.as_str()),
            _ => None,
        }
    }

    /// A `text-list` setting; empty when absent.
    pub fn text_list(&self, name: &str) -> &'a [String] {
        match self.get(name) {
            Some(SettingValue::TextList(l)) => l.as_slice(),
            _ => &[],
        }
    }

    /// Every setting, in the order the host passed them.
    pub fn iter(&self) -> impl Iterator<Item = &'a Setting> {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_match_types_and_widen_integers() {
        let items = vec![
            Setting {
                name: "n".into(),
                value: SettingValue::Integer(3),
            },
            Setting {
                name: "words".into(),
                value: SettingValue::TextList(vec!["a".into()]),
            },
        ];
        let s = Settings::new(&items);
        assert_eq!(s.integer("n"), Some(3));
        assert_eq!(s.number("n"), Some(3.0));
        assert_eq!(s.text("n"), None);
        assert_eq!(s.text_list("words"), ["a".to_string()]);
        assert!(s.text_list("missing").is_empty());
    }
}
