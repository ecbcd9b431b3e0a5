//! The decision request: its JSON form and its validation into a
//! [`Conversation`], the shape every later stage works on.
//!
//! Every problem is reported with the JSON path of the offending field
//! (`messages[2].ai.confidence`), so a caller can fix a request without
//! reading server logs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest accepted `conversation_id`, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Why a request body was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    /// The body is not JSON at all.
    #[error("malformed JSON: {message}")]
    Syntax {
        /// The parser's message, with line and column.
        message: String,
    },
    /// The body is JSON but a field is missing, unknown, mistyped or out of range.
    #[error("{field}: {message}")]
    Field {
        /// The JSON path of the field, for example `messages[0].role`.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The customer.
    Customer,
    /// The AI agent.
    Ai,
    /// A human agent.
    Agent,
    /// A system notice.
    System,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    conversation_id: String,
    channel: Option<String>,
    now: Option<String>,
    #[serde(default)]
    customer: Customer,
    #[serde(default)]
    topic: Topic,
    #[serde(default)]
    messages: Vec<RawMessage>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    role: Role,
    text: String,
    at: String,
    ai: Option<AiTurn>,
}

/// The customer in the conversation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The caller's customer identifier.
    pub id: Option<String>,
    /// Tier or plan, for example `enterprise`.
    pub tier: Option<String>,
    /// The account's rank by value; 1 is the most valuable.
    pub account_rank: Option<u32>,
    /// BCP 47 language tag, for example `pt-BR`.
    pub language: Option<String>,
    /// IANA time zone, for example `America/Sao_Paulo`.
    pub timezone: Option<String>,
    /// Other facts about the customer.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// The topic the upstream AI detected.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Broad category, for example `billing`.
    pub category: Option<String>,
    /// Narrower subcategory, for example `refund`.
    pub subcategory: Option<String>,
}

/// What the upstream AI reported about one of its turns.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AiTurn {
    /// Confidence from 0.0 to 1.0.
    pub confidence: Option<f64>,
    /// The recognised intent.
    pub intent: Option<String>,
    /// How the turn ended, for example `answered` or `fallback`.
    pub outcome: Option<String>,
}

/// One validated message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub text: String,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// The AI's report, on AI turns only.
    pub ai: Option<AiTurn>,
}

/// A validated decision request.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    /// The caller's conversation identifier.
    pub id: String,
    /// Channel, for example `chat`.
    pub channel: Option<String>,
    /// The instant the decision is made for.
    pub now: DateTime<Utc>,
    /// The customer.
    pub customer: Customer,
    /// The detected topic.
    pub topic: Topic,
    /// Messages, oldest first.
    pub messages: Vec<Message>,
    /// Attributes of the conversation.
    pub attributes: BTreeMap<String, String>,
}

impl Conversation {
    /// Parses and validates a JSON body; `server_now` is used when the body
    /// has no `now`.
    pub fn from_json(body: &[u8], server_now: DateTime<Utc>) -> Result<Conversation, InputError> {
        let de = &mut serde_json::Deserializer::from_slice(body);
        let raw: RawRequest = serde_path_to_error::deserialize(de).map_err(field_error)?;
        validate(raw, server_now)
    }

    /// The customer's messages, oldest first.
    pub fn customer_messages(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.messages.iter().filter(|m| m.role == Role::Customer)
    }
}

/// Turns a serde error into one naming the field. serde reports a missing
/// field at its parent's path, so its name is lifted out of the message and
/// appended.
fn field_error(e: serde_path_to_error::Error<serde_json::Error>) -> InputError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if !matches!(inner.classify(), serde_json::error::Category::Data) {
        return InputError::Syntax {
            message: inner.to_string(),
        };
    }
    let message = strip_position(&inner.to_string());
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let base = if path == "." { String::new() } else { path };
    let already_named = |name: &str| base == name || base.ends_with(&format!(".{name}"));
    let field = match named {
        Some(name) if already_named(name) => base,
        Some(name) if base.is_empty() => name.to_owned(),
        Some(name) => format!("{base}.{name}"),
        None if base.is_empty() => "(body)".to_owned(),
        None => base,
    };
    InputError::Field { field, message }
}

/// serde_json appends " at line L column C", which means nothing to a caller
/// once the field is named.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn field(field: impl Into<String>, message: impl Into<String>) -> InputError {
    InputError::Field {
        field: field.into(),
        message: message.into(),
    }
}

fn timestamp(path: &str, s: &str) -> Result<DateTime<Utc>, InputError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            field(
                path,
                format!(
                    "expected an RFC 3339 timestamp like 2026-01-31T09:30:00Z, got {s:?} ({e})"
                ),
            )
        })
}

fn validate(raw: RawRequest, server_now: DateTime<Utc>) -> Result<Conversation, InputError> {
    if raw.conversation_id.trim().is_empty() {
        return Err(field("conversation_id", "must not be empty"));
    }
    if raw.conversation_id.len() > MAX_ID_LEN {
        return Err(field(
            "conversation_id",
            format!("must be at most {MAX_ID_LEN} bytes"),
        ));
    }
    let now = match &raw.now {
        Some(s) => timestamp("now", s)?,
        None => server_now,
    };
    let mut messages = Vec::with_capacity(raw.messages.len());
    for (i, m) in raw.messages.into_iter().enumerate() {
        let at = timestamp(&format!("messages[{i}].at"), &m.at)?;
        if let Some(ai) = &m.ai {
            if m.role != Role::Ai {
                return Err(field(
                    format!("messages[{i}].ai"),
                    "only messages with role \"ai\" may carry `ai`",
                ));
            }
            if let Some(c) = ai.confidence
                && !(c.is_finite() && (0.0..=1.0).contains(&c))
            {
                return Err(field(
                    format!("messages[{i}].ai.confidence"),
                    format!("must be between 0 and 1, got {c}"),
                ));
            }
        }
        messages.push(Message {
            role: m.role,
            text: m.text,
            at,
            ai: m.ai,
        });
    }
    Ok(Conversation {
        id: raw.conversation_id,
        channel: raw.channel,
        now,
        customer: raw.customer,
        topic: raw.topic,
        messages,
        attributes: raw.attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Conversation, InputError> {
        Conversation::from_json(body.as_bytes(), Utc::now())
    }

    fn field_of(body: &str) -> String {
        match parse(body).unwrap_err() {
            InputError::Field { field, .. } => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn minimal_request_is_accepted() {
        let c = parse(r#"{"conversation_id":"c1"}"#).unwrap();
        assert_eq!(c.id, "c1");
        assert!(c.messages.is_empty());
    }

    #[test]
    fn full_request_is_accepted() {
        let c = parse(
            r#"{"conversation_id":"c1","channel":"chat","now":"2026-01-01T00:05:00Z",
                "customer":{"id":"u1","tier":"pro","account_rank":7,"language":"pt-BR",
                            "timezone":"America/Sao_Paulo","attributes":{"plan":"annual"}},
                "topic":{"category":"billing","subcategory":"refund"},
                "messages":[{"role":"customer","text":"hi","at":"2026-01-01T00:00:00+01:00"},
                            {"role":"ai","text":"hello","at":"2026-01-01T00:00:05Z",
                             "ai":{"confidence":0.4,"intent":"greet","outcome":"answered"}}],
                "attributes":{"source":"web"}}"#,
        )
        .unwrap();
        assert_eq!(c.messages[0].at.to_rfc3339(), "2025-12-31T23:00:00+00:00");
        assert_eq!(c.messages[1].ai.as_ref().unwrap().confidence, Some(0.4));
        assert_eq!(c.customer.account_rank, Some(7));
    }

    #[test]
    fn each_problem_names_its_field() {
        let cases = [
            (r#"{}"#, "conversation_id"),
            (r#"{"conversation_id":""}"#, "conversation_id"),
            (r#"{"conversation_id":5}"#, "conversation_id"),
            (r#"{"conversation_id":"c","custmer":{}}"#, "custmer"),
            (
                r#"{"conversation_id":"c","messages":[{"role":"bot","text":"x","at":"2026-01-01T00:00:00Z"}]}"#,
                "messages[0].role",
            ),
            (
                r#"{"conversation_id":"c","messages":[{"role":"ai","text":"x","at":"yesterday"}]}"#,
                "messages[0].at",
            ),
            (
                r#"{"conversation_id":"c","messages":[{"role":"ai","text":"x","at":"2026-01-01T00:00:00Z","ai":{"confidence":1.2}}]}"#,
                "messages[0].ai.confidence",
            ),
            (
                r#"{"conversation_id":"c","messages":[{"role":"customer","at":"2026-01-01T00:00:00Z"}]}"#,
                "messages[0].text",
            ),
            (
                r#"{"conversation_id":"c","customer":{"account_rank":-1}}"#,
                "customer.account_rank",
            ),
            (r#"{"conversation_id":"c","now":"soon"}"#, "now"),
        ];
        for (body, expected) in cases {
            assert_eq!(field_of(body), expected, "{body}");
        }
    }

    #[test]
    fn broken_json_is_a_syntax_error() {
        assert!(matches!(
            parse(r#"{"conversation_id": "#),
            Err(InputError::Syntax { .. })
        ));
    }
}
