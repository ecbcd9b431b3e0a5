//! Masking a record before it is kept: listed fields erased, or replaced by
//! a keyed hash (HMAC-SHA256) so that records of one customer still group
//! together without the value itself being stored.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use crate::config::store::MaskConfig;

/// The masking rules in force, with the hash key read from the environment.
#[derive(Clone, Default)]
pub struct Mask {
    erase: Vec<Path>,
    hash: Vec<Path>,
    key: Vec<u8>,
}

/// What masking did to one record; kept in the record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Masked {
    /// Paths that held a value and were erased.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erased: Vec<String>,
    /// Paths whose values were replaced by `hmac-sha256:…`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashed: Vec<String>,
}

impl Masked {
    /// True when nothing was masked.
    pub fn is_empty(&self) -> bool {
        self.erased.is_empty() && self.hashed.is_empty()
    }
}

#[derive(Clone)]
struct Path {
    text: String,
    segments: Vec<String>,
}

impl Path {
    fn new(text: &str) -> Path {
        Path {
            text: text.to_owned(),
            segments: text.split('.').map(str::to_owned).collect(),
        }
    }
}

impl Mask {
    /// The rules of `config`. Fails when hashing is asked for and the key's
    /// environment variable is unset or empty.
    pub fn new(config: &MaskConfig) -> anyhow::Result<Mask> {
        let key = match (&config.hash_key_env, config.hash.is_empty()) {
            (_, true) => Vec::new(),
            (Some(var), false) => match std::env::var(var) {
                Ok(k) if !k.is_empty() => k.into_bytes(),
                _ => anyhow::bail!(
                    "store.mask.hash lists fields but the key variable {var} is unset or empty"
                ),
            },
            (None, false) => anyhow::bail!("store.mask.hash needs store.mask.hash_key_env"),
        };
        Ok(Mask {
            erase: with_copies(&config.erase),
            hash: with_copies(&config.hash),
            key,
        })
    }

    /// True when nothing is to be masked.
    pub fn is_empty(&self) -> bool {
        self.erase.is_empty() && self.hash.is_empty()
    }

    /// Masks `record` in place and says what was masked.
    pub fn apply(&self, record: &mut Value) -> Masked {
        let mut masked = Masked::default();
        for path in &self.erase {
            if walk(record, &path.segments, &mut |obj, last| {
                obj.remove(last).is_some()
            }) {
                masked.erased.push(path.text.clone());
            }
        }
        for path in &self.hash {
            let hashed = walk(
                record,
                &path.segments,
                &mut |obj, last| match obj.get_mut(last) {
                    Some(v) if !v.is_null() => {
                        *v = Value::String(self.digest(v));
                        true
                    }
                    _ => false,
                },
            );
            if hashed {
                masked.hashed.push(path.text.clone());
            }
        }
        masked
    }

    /// `value` as the record keeps it at `path`: `None` when the path is
    /// erased, its keyed hash when it is hashed. Looks up by a masked column
    /// (the customer's prior contacts) use it.
    pub fn as_kept(&self, path: &str, value: &str) -> Option<String> {
        // A rule on an enclosing object covers the field too.
        let covers =
            |rule: &Path| path == rule.text || path.starts_with(&format!("{}.", rule.text));
        if self.erase.iter().any(covers) {
            return None;
        }
        if self.hash.iter().any(|p| p.text == path) {
            return Some(self.digest(&Value::String(value.to_owned())));
        }
        // A hashed enclosing object leaves no string in the column.
        if self.hash.iter().any(covers) {
            return None;
        }
        // As the column keeps it: without NUL characters.
        Some(value.replace('\0', ""))
    }

    fn digest(&self, value: &Value) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        match value {
            Value::String(s) => mac.update(s.as_bytes()),
            other => mac.update(other.to_string().as_bytes()),
        }
        format!("hmac-sha256:{}", hex::encode(mac.finalize().into_bytes()))
    }
}

/// Request fields the decision copies into its context, and where: a rule
/// on the request field covers the copies too, so a field an operator masks
/// does not survive in a copy added after the rule was written.
const COPIES: [(&str, &[&str]); 5] = [
    (
        "request.messages.text",
        &["context.customer_statement.text"],
    ),
    ("request.messages.attachments", &["context.attachments"]),
    (
        "request.messages.event",
        &["context.segments", "ownership.agent", "ownership.queue"],
    ),
    (
        "request.messages.event.agent",
        &["context.segments.agent", "ownership.agent"],
    ),
    (
        "request.messages.event.reason",
        &["context.segments.reason"],
    ),
];

/// `paths` and the copies of the request fields among them.
fn with_copies(paths: &[String]) -> Vec<Path> {
    let mut all: Vec<String> = paths.to_vec();
    for p in paths {
        // The attachments' own fields map onto the context's list.
        if let Some(rest) = p.strip_prefix("request.messages.attachments.") {
            all.push(format!("context.attachments.{rest}"));
        }
        for (field, copies) in COPIES {
            if p == field {
                all.extend(copies.iter().map(|c| c.to_string()));
            }
        }
    }
    // The operator's own paths first, each once.
    let mut seen = std::collections::BTreeSet::new();
    all.retain(|p| seen.insert(p.clone()));
    all.iter().map(|p| Path::new(p)).collect()
}

/// Calls `act` on every object that holds the path's last segment, walking
/// arrays element by element; true if `act` changed anything.
fn walk(
    value: &mut Value,
    segments: &[String],
    act: &mut dyn FnMut(&mut serde_json::Map<String, Value>, &str) -> bool,
) -> bool {
    match value {
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |hit, item| walk(item, segments, act) | hit),
        Value::Object(obj) => match segments {
            [] => false,
            [last] => act(obj, last),
            [first, rest @ ..] => obj.get_mut(first).is_some_and(|v| walk(v, rest, act)),
        },
        _ => false,
    }
}

/// True when masking changed any part of `record`'s request: deciding it
/// again would not be deciding the same conversation (a hashed tier or
/// rank, an erased message), so it can neither be replayed nor become a
/// fixture.
pub fn request_masked(record: &Value) -> bool {
    record["masked"]["erased"]
        .as_array()
        .into_iter()
        .chain(record["masked"]["hashed"].as_array())
        .flatten()
        .filter_map(Value::as_str)
        .any(|p| p == "request" || p.starts_with("request."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mask(erase: &[&str], hash: &[&str]) -> Mask {
        Mask {
            erase: erase.iter().map(|p| Path::new(p)).collect(),
            hash: hash.iter().map(|p| Path::new(p)).collect(),
            key: b"k".to_vec(),
        }
    }

    #[test]
    fn a_rule_on_a_request_field_covers_its_copies_in_the_context() {
        let m = Mask {
            erase: with_copies(&["request.messages.text".into()]),
            hash: with_copies(&["request.messages.attachments.url".into()]),
            key: b"k".to_vec(),
        };
        let mut r = json!({
            "request": {"messages": [{"text": "my card 4111", "attachments": [{"url": "https://x/s?t=1"}]}]},
            "context": {"customer_statement": {"text": "my card 4111", "message": 0},
                        "attachments": [{"url": "https://x/s?t=1", "name": "s.pdf"}]}});
        let done = m.apply(&mut r);
        assert!(!r.to_string().contains("4111"), "{r}");
        assert!(!r.to_string().contains("https://x"), "{r}");
        assert_eq!(r["context"]["customer_statement"]["message"], 0);
        assert_eq!(r["context"]["attachments"][0]["name"], "s.pdf");
        assert_eq!(
            done.erased,
            ["request.messages.text", "context.customer_statement.text"]
        );
    }

    #[test]
    fn fields_are_erased_through_arrays_and_hashed_consistently() {
        let mut a = json!({"request": {"messages": [{"text": "hi", "role": "customer"},
                                                   {"text": "yo", "role": "ai"}],
                                      "customer": {"id": "cus-1", "attributes": {"email": "x@y"}}}});
        let mut b = a.clone();
        let m = mask(
            &["request.messages.text"],
            &["request.customer.id", "request.customer.tier"],
        );
        let done = m.apply(&mut a);
        assert_eq!(done.erased, ["request.messages.text"]);
        assert_eq!(
            done.hashed,
            ["request.customer.id"],
            "absent fields are not listed"
        );
        assert!(a["request"]["messages"][1].get("text").is_none());
        assert_eq!(a["request"]["messages"][1]["role"], "ai");
        let hashed = a["request"]["customer"]["id"].as_str().unwrap().to_owned();
        assert!(hashed.starts_with("hmac-sha256:") && !hashed.contains("cus-1"));
        m.apply(&mut b);
        assert_eq!(
            b["request"]["customer"]["id"],
            json!(hashed),
            "same value, same hash"
        );
        assert_eq!(a["request"]["customer"]["attributes"]["email"], "x@y");
    }
}
