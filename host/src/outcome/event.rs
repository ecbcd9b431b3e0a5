//! One outcome event and the validation of a batch of them.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::Tag;
use crate::decision::input::InputError;

/// Most events in one `POST /v1/outcomes`.
pub const MAX_BATCH: usize = 1000;

/// Longest id (`event_id`, `conversation_id`, `decision_id`) and name
/// (`agent`, `queue`), in characters.
pub const MAX_ID: usize = 256;

/// Longest free text (`note`, `comment`), in characters.
pub const MAX_TEXT: usize = 4096;

/// How far ahead of the server's clock an event may be dated: help desks
/// drift, but an event a day ahead is a wrong clock or a wrong field.
const MAX_AHEAD: Duration = Duration::hours(24);

/// The kinds of outcome event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// A human agent took the conversation (`agent`, optional `queue`).
    HumanAssigned,
    /// The human's first reply to the customer (`agent`, `queue`, and its
    /// `text`, from which the KPIs score its context completeness).
    HumanFirstReply,
    /// Moved to another queue and/or agent (`to_queue`, `to_agent`).
    Transferred,
    /// The human handed the conversation back to the AI.
    HandedBackToAi,
    /// Resolved, `by` the `ai` or a `human`.
    Resolved,
    /// A resolved conversation came back.
    Reopened,
    /// The customer left before it was resolved.
    Abandoned,
    /// A satisfaction score, 1–5.
    Csat,
    /// A person's verdict on a decision: `correct`, `unnecessary` or
    /// `missed`.
    Review,
}

impl EventType {
    const ALL: [(&'static str, EventType); 9] = [
        ("human_assigned", EventType::HumanAssigned),
        ("human_first_reply", EventType::HumanFirstReply),
        ("transferred", EventType::Transferred),
        ("handed_back_to_ai", EventType::HandedBackToAi),
        ("resolved", EventType::Resolved),
        ("reopened", EventType::Reopened),
        ("abandoned", EventType::Abandoned),
        ("csat", EventType::Csat),
        ("review", EventType::Review),
    ];

    /// The name used in the API and the store.
    pub fn as_str(self) -> &'static str {
        EventType::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(n, _)| *n)
            .unwrap_or("unknown")
    }

    /// The type named `name` in the API and the store.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    /// The type-specific fields: name, kind, required.
    fn fields(self) -> &'static [(&'static str, Kind, bool)] {
        use Kind::*;
        match self {
            EventType::HumanAssigned => &[("agent", Name, true), ("queue", Name, false)],
            EventType::HumanFirstReply => &[
                ("agent", Name, false),
                ("queue", Name, false),
                ("text", Text, false),
            ],
            EventType::Transferred => &[("to_queue", Name, false), ("to_agent", Name, false)],
            EventType::HandedBackToAi => &[("agent", Name, false), ("note", Text, false)],
            EventType::Resolved => &[("by", OneOf(&["ai", "human"]), true)],
            EventType::Reopened | EventType::Abandoned => &[],
            EventType::Csat => &[("score", Score, true), ("comment", Text, false)],
            EventType::Review => &[
                (
                    "verdict",
                    OneOf(&["correct", "unnecessary", "missed"]),
                    true,
                ),
                ("tag", TagName, false),
                ("note", Text, false),
                ("reviewer", Name, false),
            ],
        }
    }
}

/// What a type-specific field holds.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A short non-empty string (an agent, a queue).
    Name,
    /// Free text.
    Text,
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
    /// An integer from 1 to 5.
    Score,
    /// An escalation tag.
    TagName,
}

/// A validated outcome event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// The sender's id for the event; a second event with it is a repeat.
    pub event_id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The conversation it happened in.
    pub conversation_id: String,
    /// The decision it follows, when the sender knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The type-specific fields, validated.
    #[serde(flatten)]
    pub fields: BTreeMap<String, Value>,
}

/// The fields of an event the KPIs query, as columns of the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The agent: `agent`, or a transfer's `to_agent`.
    pub agent: Option<String>,
    /// The queue: `queue`, or a transfer's `to_queue`.
    pub queue: Option<String>,
    /// A resolution's `by`, a review's `verdict`.
    pub detail: Option<String>,
    /// A rating's `score`.
    pub score: Option<i64>,
    /// A review's corrected `tag`.
    pub tag: Option<String>,
}

impl Event {
    /// The fields the KPIs query.
    pub fn facts(&self) -> Facts {
        Facts::of(self.kind, &self.fields)
    }

    /// The reply's text, when a `human_first_reply` carries one.
    pub fn reply_text(&self) -> Option<&str> {
        match self.kind {
            EventType::HumanFirstReply => self.fields.get("text").and_then(Value::as_str),
            _ => None,
        }
    }
}

impl Facts {
    /// The facts of an event of type `kind` with these fields (as stored:
    /// the store fills rows of older versions from their JSON).
    pub fn of(kind: EventType, fields: &BTreeMap<String, Value>) -> Facts {
        let text = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_owned);
        match kind {
            EventType::Transferred => Facts {
                agent: text("to_agent"),
                queue: text("to_queue"),
                ..Facts::default()
            },
            EventType::Resolved => Facts {
                detail: text("by"),
                ..Facts::default()
            },
            EventType::Review => Facts {
                detail: text("verdict"),
                tag: text("tag"),
                ..Facts::default()
            },
            EventType::Csat => Facts {
                score: fields.get("score").and_then(Value::as_i64),
                ..Facts::default()
            },
            _ => Facts {
                agent: text("agent"),
                queue: text("queue"),
                ..Facts::default()
            },
        }
    }
}

/// Parses and validates `{"events": [...]}`. `now` is the server's clock,
/// against which dates are checked. Every event must be valid for any to be
/// taken; the first problem is returned, naming its field.
pub fn parse_batch(body: &[u8], now: DateTime<Utc>) -> Result<Vec<Event>, InputError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| InputError::Syntax {
        message: e.to_string(),
    })?;
    let Value::Object(mut top) = value else {
        return Err(field("", "expected a JSON object with an `events` array"));
    };
    if let Some(key) = top.keys().find(|k| *k != "events") {
        return Err(field(key, "unknown field; the body holds only `events`"));
    }
    let Some(Value::Array(items)) = top.remove("events") else {
        return Err(field("events", "expected an array of events"));
    };
    if items.is_empty() {
        return Err(field("events", "the batch is empty"));
    }
    if items.len() > MAX_BATCH {
        return Err(field(
            "events",
            format!("{} events; at most {MAX_BATCH} per batch", items.len()),
        ));
    }
    let mut events: Vec<Event> = Vec::with_capacity(items.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, item) in items.into_iter().enumerate() {
        let event = parse_event(item, &format!("events[{i}]"), now)?;
        if let Some(&first) = seen.get(&event.event_id) {
            if events[first] != event {
                return Err(field(
                    &format!("events[{i}].event_id"),
                    format!(
                        "{:?} is also events[{first}] with other content",
                        event.event_id
                    ),
                ));
            }
            continue;
        }
        seen.insert(event.event_id.clone(), events.len());
        events.push(event);
    }
    Ok(events)
}

fn parse_event(item: Value, at: &str, now: DateTime<Utc>) -> Result<Event, InputError> {
    let Value::Object(mut obj) = item else {
        return Err(field(at, "expected an event object"));
    };
    let path = |k: &str| format!("{at}.{k}");
    let event_id = id(&mut obj, "event_id", at, true)?.unwrap_or_default();
    let type_name = match obj.remove("type") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(field(&path("type"), "expected a string")),
        None => return Err(field(&path("type"), "missing field")),
    };
    let kind = EventType::parse(&type_name).ok_or_else(|| {
        let names: Vec<&str> = EventType::ALL.iter().map(|(n, _)| *n).collect();
        field(
            &path("type"),
            format!(
                "unknown event type {type_name:?}; expected one of {}",
                names.join(", ")
            ),
        )
    })?;
    let conversation_id = id(&mut obj, "conversation_id", at, true)?.unwrap_or_default();
    let decision_id = id(&mut obj, "decision_id", at, kind == EventType::Review)?;
    let when = match obj.remove("at") {
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(&s)
            .map_err(|_| field(&path("at"), format!("{s:?} is not an RFC 3339 time")))?
            .with_timezone(&Utc),
        Some(_) => return Err(field(&path("at"), "expected an RFC 3339 time string")),
        None => return Err(field(&path("at"), "missing field")),
    };
    if when > now + MAX_AHEAD {
        return Err(field(
            &path("at"),
            "is more than 24 hours ahead of the server's clock",
        ));
    }
    let mut fields = BTreeMap::new();
    for &(name, kind, required) in kind.fields() {
        match obj.remove(name) {
            None | Some(Value::Null) if required => {
                return Err(field(
                    &path(name),
                    format!("missing field for a {type_name} event"),
                ));
            }
            None | Some(Value::Null) => {}
            Some(v) => {
                fields.insert(name.to_owned(), check(kind, v, &path(name))?);
            }
        }
    }
    if kind == EventType::Transferred && fields.is_empty() {
        return Err(field(
            &path("to_queue"),
            "a transfer names `to_queue`, `to_agent` or both",
        ));
    }
    if let Some(key) = obj.keys().next() {
        let allowed: Vec<&str> = kind.fields().iter().map(|(n, _, _)| *n).collect();
        let hint = if allowed.is_empty() {
            format!("a {type_name} event has no fields of its own")
        } else {
            format!("a {type_name} event takes {}", allowed.join(", "))
        };
        return Err(field(&path(key), format!("unknown field; {hint}")));
    }
    Ok(Event {
        event_id,
        kind,
        conversation_id,
        decision_id,
        at: when,
        fields,
    })
}

/// Takes an id field out of `obj`: a non-empty string of at most
/// [`MAX_ID`] characters.
fn id(
    obj: &mut Map<String, Value>,
    name: &str,
    at: &str,
    required: bool,
) -> Result<Option<String>, InputError> {
    let path = format!("{at}.{name}");
    match obj.remove(name) {
        None | Some(Value::Null) if required => Err(field(&path, "missing field")),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Err(field(&path, "must not be empty")),
        Some(Value::String(s)) if s.chars().count() > MAX_ID => {
            Err(field(&path, format!("longer than {MAX_ID} characters")))
        }
        Some(Value::String(s)) if s.chars().any(char::is_control) => {
            Err(field(&path, "must not contain control characters"))
        }
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(field(&path, "expected a string")),
    }
}

fn check(kind: Kind, v: Value, path: &str) -> Result<Value, InputError> {
    match (kind, &v) {
        (Kind::Name, Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= MAX_ID => {
            Ok(v)
        }
        (Kind::Name, Value::String(_)) => Err(field(
            path,
            format!("must be a non-empty string of at most {MAX_ID} characters"),
        )),
        (Kind::Text, Value::String(s)) if s.chars().count() <= MAX_TEXT => Ok(v),
        (Kind::Text, Value::String(_)) => {
            Err(field(path, format!("longer than {MAX_TEXT} characters")))
        }
        (Kind::OneOf(names), Value::String(s)) if names.contains(&s.as_str()) => Ok(v),
        (Kind::OneOf(names), _) => {
            Err(field(path, format!("expected one of {}", names.join(", "))))
        }
        (Kind::Score, Value::Number(n)) if n.as_u64().is_some_and(|s| (1..=5).contains(&s)) => {
            Ok(v)
        }
        (Kind::Score, _) => Err(field(path, "expected an integer from 1 to 5")),
        (Kind::TagName, Value::String(_)) => serde_json::from_value::<Tag>(v.clone())
            .map(|_| v)
            .map_err(|_| {
                field(
                    path,
                    "expected one of ai_gave_wrong_answer, out_of_scope, \
                     customer_demanded_human, policy_required_human, other",
                )
            }),
        _ => Err(field(path, "expected a string")),
    }
}

fn field(path: &str, message: impl Into<String>) -> InputError {
    InputError::Field {
        field: path.to_owned(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Vec<Event>, InputError> {
        parse_batch(v.to_string().as_bytes(), Utc::now())
    }

    fn error_field(v: Value) -> String {
        match parse(v).unwrap_err() {
            InputError::Field { field, .. } => field,
            other => panic!("expected a field error, got {other}"),
        }
    }

    fn ev(kind: &str, extra: Value) -> Value {
        let mut base = json!({"event_id": "e1", "type": kind, "conversation_id": "c1",
                              "at": "2026-11-26T10:00:00Z"});
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        base
    }

    #[test]
    fn every_type_with_its_fields_is_taken() {
        let events = parse(json!({"events": [
            ev("human_assigned", json!({"event_id": "a", "agent": "ana", "queue": "billing"})),
            ev("human_first_reply", json!({"event_id": "b"})),
            ev("transferred", json!({"event_id": "c", "to_queue": "tier2"})),
            ev("handed_back_to_ai", json!({"event_id": "d", "note": "refunded"})),
            ev("resolved", json!({"event_id": "e", "by": "human"})),
            ev("reopened", json!({"event_id": "f"})),
            ev("abandoned", json!({"event_id": "g"})),
            ev("csat", json!({"event_id": "h", "score": 4})),
            ev("review", json!({"event_id": "i", "decision_id": "d1", "verdict": "missed",
                                "tag": "out_of_scope"})),
        ]}))
        .unwrap();
        assert_eq!(events.len(), 9);
        assert_eq!(events[7].fields["score"], json!(4));
    }

    #[test]
    fn a_bad_event_is_named_by_index_and_field() {
        let ok = ev("csat", json!({"score": 5}));
        let cases = [
            (ev("csat", json!({"score": 6})), "events[1].score"),
            (ev("csat", json!({"score": 2.5})), "events[1].score"),
            (ev("resolved", json!({"by": "robot"})), "events[1].by"),
            (ev("resolved", json!({})), "events[1].by"),
            (ev("teleported", json!({})), "events[1].type"),
            (ev("reopened", json!({"agent": "x"})), "events[1].agent"),
            (ev("transferred", json!({})), "events[1].to_queue"),
            (
                ev("review", json!({"verdict": "correct"})),
                "events[1].decision_id",
            ),
            (
                ev("review", json!({"decision_id": "d", "verdict": "ok"})),
                "events[1].verdict",
            ),
            (
                ev("csat", json!({"score": 3, "at": "yesterday"})),
                "events[1].at",
            ),
            (
                ev("csat", json!({"score": 3, "at": "2999-01-01T00:00:00Z"})),
                "events[1].at",
            ),
            (
                ev("csat", json!({"score": 3, "event_id": ""})),
                "events[1].event_id",
            ),
        ];
        for (bad, want) in cases {
            let mut second = bad.clone();
            second["event_id"] = bad.get("event_id").cloned().unwrap_or(json!("e2"));
            if second["event_id"] == json!("e1") {
                second["event_id"] = json!("e2");
            }
            assert_eq!(error_field(json!({"events": [ok, second]})), want, "{bad}");
        }
    }

    #[test]
    fn a_repeat_within_a_batch_is_taken_once_and_a_clash_is_refused() {
        let a = ev("csat", json!({"score": 5}));
        assert_eq!(parse(json!({"events": [a, a]})).unwrap().len(), 1);
        let b = ev("csat", json!({"score": 1}));
        assert_eq!(error_field(json!({"events": [a, b]})), "events[1].event_id");
    }

    #[test]
    fn the_batch_itself_is_checked() {
        assert_eq!(error_field(json!({"events": []})), "events");
        assert_eq!(error_field(json!({"evnts": []})), "evnts");
        let many: Vec<Value> = (0..=MAX_BATCH)
            .map(|i| ev("abandoned", json!({"event_id": format!("e{i}")})))
            .collect();
        assert_eq!(error_field(json!({ "events": many })), "events");
    }
}
