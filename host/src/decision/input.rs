//! The decision request: its JSON form and its validation into a
//! [`Conversation`], the shape every later stage works on.
//!
//! Every problem is reported with the JSON path of the offending field
//! (`messages[2].ai.confidence`), so a caller can fix a request without
//! reading server logs.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::config::InputLimits;
use crate::decision::ownership::Ownership;

/// Longest accepted `conversation_id`, in characters.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = MessageRole)]
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

/// Roles are read from strings only: serde's enum form would also take
/// `{"customer": null}`, and an object there failed as a syntax error that
/// named no field.
impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
        struct RoleName;
        impl Visitor<'_> for RoleName {
            type Value = Role;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("one of \"customer\", \"ai\", \"agent\", \"system\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Role, E> {
                match v {
                    "customer" => Ok(Role::Customer),
                    "ai" => Ok(Role::Ai),
                    "agent" => Ok(Role::Agent),
                    "system" => Ok(Role::System),
                    other => Err(E::unknown_variant(
                        other,
                        &["customer", "ai", "agent", "system"],
                    )),
                }
            }
        }
        d.deserialize_str(RoleName)
    }
}

/// A JSON object, and only an object: serde's derived structs also accept
/// the positional array form (`["c1", "chat", …]`), which no client means to
/// send and which silently binds values to whichever field comes next.
#[derive(Debug, Default)]
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Object<T>, D::Error> {
        struct ObjectOnly<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(ObjectOnly(std::marker::PhantomData))
            .map(Object)
    }
}

/// A string map that refuses a key given twice: with "last one wins", a
/// body naming `account_manager` twice would route to whichever came last,
/// and no one reading the JSON could tell which.
fn unique_keys<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    struct UniqueKeys;
    impl<'de> Visitor<'de> for UniqueKeys {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object of strings")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(de::Error::custom(format!("duplicate key `{key}`")));
                }
                let value: String = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }
    d.deserialize_map(UniqueKeys)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    conversation_id: String,
    channel: Option<String>,
    now: Option<String>,
    #[serde(default)]
    customer: Object<Customer>,
    #[serde(default)]
    topic: Object<Topic>,
    #[serde(default)]
    messages: Vec<Object<RawMessage>>,
    #[serde(default, deserialize_with = "unique_keys")]
    attributes: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    role: Role,
    text: Option<String>,
    at: String,
    ai: Option<Object<AiTurn>>,
    event: Option<Object<RawEvent>>,
    #[serde(default)]
    attachments: Vec<Object<Attachment>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    #[serde(rename = "type")]
    kind: EventKind,
    agent: Option<String>,
    queue: Option<String>,
    reason: Option<String>,
}

/// A change of who owns the conversation, reported on a `system` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The AI handed the conversation to a human (optional `agent`, `queue`).
    HandoffToHuman,
    /// A human passed it to another agent and/or queue.
    Transfer,
    /// A human gave it back to the AI.
    HandbackToAi,
}

impl EventKind {
    const NAMES: [&'static str; 3] = ["handoff_to_human", "transfer", "handback_to_ai"];

    /// The name used in requests.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::HandoffToHuman => Self::NAMES[0],
            EventKind::Transfer => Self::NAMES[1],
            EventKind::HandbackToAi => Self::NAMES[2],
        }
    }
}

/// Read from strings only, like [`Role`], so an unknown event is a field
/// error listing the known ones.
impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EventKind, D::Error> {
        struct KindName;
        impl Visitor<'_> for KindName {
            type Value = EventKind;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("one of \"handoff_to_human\", \"transfer\", \"handback_to_ai\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EventKind, E> {
                match v {
                    "handoff_to_human" => Ok(EventKind::HandoffToHuman),
                    "transfer" => Ok(EventKind::Transfer),
                    "handback_to_ai" => Ok(EventKind::HandbackToAi),
                    other => Err(E::unknown_variant(other, &EventKind::NAMES)),
                }
            }
        }
        d.deserialize_str(KindName)
    }
}

/// An ownership event, validated.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = OwnershipEvent)]
pub struct Event {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The agent who took it (handoff, transfer) or gave it back (hand-back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The queue it went to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Why, in the help desk's or the agent's words ("refund issued").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A file the customer or an agent attached, passed through to the human
/// and to plugins; Escalator never fetches it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// The file name as shown to people.
    pub name: String,
    /// Its media type, for example `image/png`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Where the help desk keeps it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 32;
/// Longest name, agent, queue or media type, in characters.
pub const MAX_NAME: usize = 256;
/// Longest attachment URL or event reason, in characters.
pub const MAX_LONG: usize = 4096;

/// The customer in the conversation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The caller's customer identifier.
    pub id: Option<String>,
    /// Tier or plan, for example `enterprise`.
    pub tier: Option<String>,
    /// The account's rank by value; 1 is the most valuable.
    #[schema(maximum = 4294967295_u64)]
    pub account_rank: Option<u32>,
    /// BCP 47 language tag, for example `pt-BR`.
    pub language: Option<String>,
    /// IANA time zone, for example `America/Sao_Paulo`.
    pub timezone: Option<String>,
    /// Other facts about the customer.
    #[serde(default, deserialize_with = "unique_keys")]
    pub attributes: BTreeMap<String, String>,
}

/// The topic the upstream AI detected.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Broad category, for example `billing`.
    pub category: Option<String>,
    /// Narrower subcategory, for example `refund`.
    pub subcategory: Option<String>,
}

/// What the upstream AI reported about one of its turns.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AiTurn {
    /// Confidence from 0.0 to 1.0.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub confidence: Option<f64>,
    /// The recognised intent.
    pub intent: Option<String>,
    /// How the turn ended, for example `answered` or `fallback`.
    pub outcome: Option<String>,
}

/// One validated message; serialised in the request's own shape.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub text: String,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// The AI's report, on AI turns only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai: Option<AiTurn>,
    /// A change of owner, on system messages only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    /// Files attached to the message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A validated decision request. Serialised in the request's own shape, so
/// that a recorded request can be decided again.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Conversation {
    /// The caller's conversation identifier.
    #[serde(rename = "conversation_id")]
    pub id: String,
    /// Channel, for example `chat`.
    #[serde(skip_serializing_if = "Option::is_none")]
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
    /// Who owns it, read from the messages' events.
    #[serde(skip)]
    pub ownership: Ownership,
}

impl Conversation {
    /// Parses and validates a JSON body; `server_now` is used when the body
    /// has no `now`.
    pub fn from_json(body: &[u8], server_now: DateTime<Utc>) -> Result<Conversation, InputError> {
        Conversation::from_json_within(body, server_now, &InputLimits::default())
    }

    /// [`Conversation::from_json`] with the operator's bounds on what a
    /// request may hold.
    pub fn from_json_within(
        body: &[u8],
        server_now: DateTime<Utc>,
        limits: &InputLimits,
    ) -> Result<Conversation, InputError> {
        let de = &mut serde_json::Deserializer::from_slice(body);
        let Object(raw): Object<RawRequest> =
            serde_path_to_error::deserialize(&mut *de).map_err(field_error)?;
        // One JSON document and nothing after it.
        de.end().map_err(|e| InputError::Syntax {
            message: e.to_string(),
        })?;
        validate(raw, server_now, limits)
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
    let named = ["missing field `", "unknown field `", "duplicate field `"]
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

/// Timestamps outside these years are refused: a year-0 or far-future
/// instant is a client bug, and durations computed from it mean nothing.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

fn timestamp(path: &str, s: &str) -> Result<DateTime<Utc>, InputError> {
    let t = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            field(
                path,
                format!(
                    "expected an RFC 3339 timestamp like 2026-01-31T09:30:00Z, got {s:?} ({e})"
                ),
            )
        })?;
    if !YEARS.contains(&t.year()) {
        return Err(field(
            path,
            format!(
                "the year must be {} to {}, got {s:?}",
                YEARS.start(),
                YEARS.end()
            ),
        ));
    }
    // chrono keeps a leap second as a nanosecond count past one second;
    // UTC offsets computed from it would be a second off.
    if t.nanosecond() >= 1_000_000_000 {
        return Err(field(
            path,
            format!("leap seconds (:60) are not accepted, got {s:?}"),
        ));
    }
    Ok(t)
}

/// Refuses a string longer than `max` characters (as JSON Schema counts
/// `maxLength`, so the API's document can state the bound).
fn bounded(path: &str, value: Option<&str>, max: usize) -> Result<(), InputError> {
    match value {
        Some(v) if v.chars().count() > max => Err(field(
            path,
            format!(
                "must be at most {max} characters, got {}",
                v.chars().count()
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks the ownership event of message `i`.
fn event(i: usize, role: Role, raw: RawEvent) -> Result<Event, InputError> {
    let path = |f: &str| format!("messages[{i}].event{f}");
    if role != Role::System {
        return Err(field(
            path(""),
            "only messages with role \"system\" may carry `event`",
        ));
    }
    let named = |f: &str, v: Option<String>, max: usize| -> Result<Option<String>, InputError> {
        bounded(&path(&format!(".{f}")), v.as_deref(), max)?;
        Ok(v.filter(|s| !s.trim().is_empty()))
    };
    let agent = named("agent", raw.agent, MAX_NAME)?;
    let queue = named("queue", raw.queue, MAX_NAME)?;
    let reason = named("reason", raw.reason, MAX_LONG)?;
    match raw.kind {
        EventKind::Transfer if agent.is_none() && queue.is_none() => Err(field(
            path(""),
            "a transfer names the `agent` and/or `queue` it goes to",
        )),
        EventKind::HandbackToAi if queue.is_some() => Err(field(
            path(".queue"),
            "a hand-back to the AI goes to no queue",
        )),
        kind => Ok(Event {
            kind,
            agent,
            queue,
            reason,
        }),
    }
}

fn validate(
    raw: RawRequest,
    server_now: DateTime<Utc>,
    limits: &InputLimits,
) -> Result<Conversation, InputError> {
    if raw.conversation_id.trim().is_empty() {
        return Err(field("conversation_id", "must not be empty"));
    }
    if raw.conversation_id.chars().count() > MAX_ID_LEN {
        return Err(field(
            "conversation_id",
            format!("must be at most {MAX_ID_LEN} characters"),
        ));
    }
    let now = match &raw.now {
        Some(s) => timestamp("now", s)?,
        None => server_now,
    };
    if raw.messages.len() > limits.max_messages as usize {
        return Err(field(
            "messages",
            format!(
                "at most {} messages are accepted (input.max_messages), got {}",
                limits.max_messages,
                raw.messages.len()
            ),
        ));
    }
    let mut messages = Vec::with_capacity(raw.messages.len());
    for (i, Object(m)) in raw.messages.into_iter().enumerate() {
        let event = m.event.map(|Object(e)| event(i, m.role, e)).transpose()?;
        // An event may stand for the message's text; any other message says
        // something.
        let text = match m.text {
            Some(text) => text,
            None if event.is_some() => String::new(),
            None => {
                return Err(field(
                    format!("messages[{i}].text"),
                    "missing field `text` (only a message with an `event` may leave it out)",
                ));
            }
        };
        let chars = text.chars().count();
        if chars > limits.max_message_chars as usize {
            return Err(field(
                format!("messages[{i}].text"),
                format!(
                    "at most {} characters are accepted (input.max_message_chars), got {chars}",
                    limits.max_message_chars
                ),
            ));
        }
        let at = timestamp(&format!("messages[{i}].at"), &m.at)?;
        let ai = m.ai.map(|Object(ai)| ai);
        if let Some(ai) = &ai {
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
        if m.attachments.len() > MAX_ATTACHMENTS {
            return Err(field(
                format!("messages[{i}].attachments"),
                format!(
                    "at most {MAX_ATTACHMENTS} attachments per message, got {}",
                    m.attachments.len()
                ),
            ));
        }
        let attachments: Vec<Attachment> = m.attachments.into_iter().map(|Object(a)| a).collect();
        for (j, a) in attachments.iter().enumerate() {
            let at = |f: &str| format!("messages[{i}].attachments[{j}].{f}");
            bounded(&at("name"), Some(&a.name), MAX_NAME)?;
            if a.name.trim().is_empty() {
                return Err(field(at("name"), "must not be empty"));
            }
            bounded(&at("type"), a.media_type.as_deref(), MAX_NAME)?;
            bounded(&at("url"), a.url.as_deref(), MAX_LONG)?;
        }
        messages.push(Message {
            role: m.role,
            text,
            at,
            ai,
            event,
            attachments,
        });
    }
    let ownership = Ownership::read(&messages)?;
    Ok(Conversation {
        ownership,
        id: raw.conversation_id,
        channel: raw.channel,
        now,
        customer: raw.customer.0,
        topic: raw.topic.0,
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
    fn lengths_are_counted_in_characters_as_the_api_document_states() {
        let id = "é".repeat(MAX_ID_LEN);
        assert!(parse(&format!(r#"{{"conversation_id":"{id}"}}"#)).is_ok());
        let longer = format!(r#"{{"conversation_id":"{id}é"}}"#);
        assert_eq!(field_of(&longer), "conversation_id");
    }

    #[test]
    fn broken_json_is_a_syntax_error() {
        assert!(matches!(
            parse(r#"{"conversation_id": "#),
            Err(InputError::Syntax { .. })
        ));
    }
}
