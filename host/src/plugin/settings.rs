//! Operator settings (TOML) checked against what a plugin declares and turned
//! into the values handed to it.
//!
//! An error names the setting and what was expected, never the value given:
//! the value may be a secret (see `secrets`, which also shows settings).

use super::bindings::types::{Setting, SettingSpec, SettingType, SettingValue};

/// Resolves `given` against `specs`: every declared setting gets the
/// operator's value or its default, in declaration order. Unknown names,
/// wrong types and missing required settings are errors naming the setting.
pub fn resolve(specs: &[SettingSpec], given: &toml::Table) -> Result<Vec<Setting>, String> {
    if let Some(unknown) = given.keys().find(|k| !specs.iter().any(|s| &s.name == *k)) {
        let accepted: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        return Err(format!(
            "unknown setting `{unknown}`; this plugin accepts: {}",
            if accepted.is_empty() {
                "none".to_owned()
            } else {
                accepted.join(", ")
            }
        ));
    }
    specs
        .iter()
        .map(|spec| {
            let value = match given.get(&spec.name) {
                Some(v) => convert(spec, v)?,
                None => spec.default.clone().ok_or_else(|| {
                    format!("setting `{}` is required ({})", spec.name, spec.description)
                })?,
            };
            Ok(Setting {
                name: spec.name.clone(),
                value,
            })
        })
        .collect()
}

fn type_name(t: SettingType) -> &'static str {
    match t {
        SettingType::Flag => "a boolean",
        SettingType::Integer => "an integer",
        SettingType::Number => "a number",
        SettingType::Text => "a string",
        SettingType::TextList => "a list of strings",
    }
}

fn convert(spec: &SettingSpec, v: &toml::Value) -> Result<SettingValue, String> {
    use toml::Value as T;
    let value = match (spec.kind, v) {
        (SettingType::Flag, T::Boolean(b)) => SettingValue::Flag(*b),
        (SettingType::Integer, T::Integer(i)) => SettingValue::Integer(*i),
        (SettingType::Number, T::Integer(i)) => SettingValue::Number(*i as f64),
        (SettingType::Number, T::Float(f)) if f.is_finite() => SettingValue::Number(*f),
        (SettingType::Text, T::String(s)) => SettingValue::Text(s.clone()),
        (SettingType::TextList, T::Array(items)) => SettingValue::TextList(
            items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| format!("setting `{}` must be a list of strings", spec.name))?,
        ),
        _ => {
            return Err(format!(
                "setting `{}` must be {}, got {}",
                spec.name,
                type_name(spec.kind),
                v.type_str()
            ));
        }
    };
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, kind: SettingType, default: Option<SettingValue>) -> SettingSpec {
        SettingSpec {
            name: name.into(),
            kind,
            default,
            description: "d".into(),
            secret: false,
        }
    }

    #[test]
    fn defaults_fill_in_and_integers_widen_to_numbers() {
        let specs = [
            spec("n", SettingType::Number, Some(SettingValue::Number(0.5))),
            spec(
                "k",
                SettingType::TextList,
                Some(SettingValue::TextList(vec![])),
            ),
        ];
        let given: toml::Table = toml::from_str("n = 2").unwrap();
        let r = resolve(&specs, &given).unwrap();
        assert_eq!(r[0].value, SettingValue::Number(2.0));
        assert_eq!(r[1].value, SettingValue::TextList(vec![]));
    }

    #[test]
    fn unknown_mistyped_and_missing_settings_are_errors_naming_the_setting() {
        let specs = [spec("top_n", SettingType::Integer, None)];
        let err = |t: &str| resolve(&specs, &toml::from_str(t).unwrap()).unwrap_err();
        assert!(err("top_m = 1").contains("unknown setting `top_m`"));
        assert!(err("top_n = \"x\"").contains("`top_n` must be an integer"));
        assert!(err("").contains("`top_n` is required"));
    }

    #[test]
    fn errors_never_quote_the_value_given() {
        let specs = [
            spec("key", SettingType::Integer, None),
            spec("keys", SettingType::TextList, None),
        ];
        for text in [
            "key = \"sk-live-123456\"\nkeys = []",
            "key = 1\nkeys = [\"sk-live-123456\", 5]",
            "key = 1\nkeys = \"sk-live-123456\"",
        ] {
            let err = resolve(&specs, &toml::from_str(text).unwrap()).unwrap_err();
            assert!(!err.contains("sk-live"), "{text}: {err}");
        }
    }
}
