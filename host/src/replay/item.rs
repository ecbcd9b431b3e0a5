//! What replay re-decides: a logged decision (its record, with the request
//! it answered) or a bare request from a file, read into the validated
//! conversation the pipeline takes.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::config::InputLimits;
use crate::decision::input::Conversation;
use crate::store::mask::request_masked;

/// One decision to make again.
#[derive(Debug, Clone)]
pub struct Item {
    /// The logged decision's id, which seeds the plugins' random numbers;
    /// for a bare request, an id made from its place in the file.
    pub decision_id: String,
    /// The request, as validated.
    pub request: Conversation,
    /// The logged record: the baseline. `None` for a bare request, which
    /// the baseline rules decide.
    pub logged: Option<Value>,
    /// The latest reviewer verdict on the logged decision.
    pub verdict: Option<String>,
}

/// Why a record cannot be replayed; the report counts each.
pub const MASKED: &str = "request masked when stored";
/// The record or request could not be read as one.
pub const UNREADABLE: &str = "unreadable record";

/// Bounds wide enough for any request a server accepted: a record was
/// validated under the limits in force then, which replay must not undo.
const ACCEPTED: InputLimits = InputLimits {
    max_messages: 100_000,
    max_message_chars: 1 << 20,
};

impl Item {
    /// A stored record as an item, with the latest verdict on it.
    pub fn of_record(record: &str, verdict: Option<String>) -> Result<Item, &'static str> {
        let record: Value = serde_json::from_str(record).map_err(|_| UNREADABLE)?;
        Item::of_value(record, verdict)
    }

    /// A stored record, already parsed.
    pub fn of_value(record: Value, verdict: Option<String>) -> Result<Item, &'static str> {
        if request_masked(&record) {
            return Err(MASKED);
        }
        let id = record["decision_id"].as_str().ok_or(UNREADABLE)?.to_owned();
        let request = conversation(&record["request"])?;
        Ok(Item {
            decision_id: id,
            request,
            logged: Some(record),
            verdict,
        })
    }

    /// A bare request (the body of `POST /v1/decide`), `n`-th in its file.
    /// Without a `now` it is decided as of `fallback_now`, the same for
    /// the whole run so both rule sets see the same time.
    pub fn of_request(
        request: &Value,
        n: usize,
        fallback_now: DateTime<Utc>,
    ) -> Result<Item, String> {
        let bytes = serde_json::to_vec(request).map_err(|e| e.to_string())?;
        let request = Conversation::from_json_within(&bytes, fallback_now, &ACCEPTED)
            .map_err(|e| e.to_string())?;
        Ok(Item {
            decision_id: format!("replay-{n}-{}", request.id),
            request,
            logged: None,
            verdict: None,
        })
    }
}

/// The request of a record, validated again as the server did.
fn conversation(request: &Value) -> Result<Conversation, &'static str> {
    if !request.is_object() {
        return Err(UNREADABLE);
    }
    let bytes = serde_json::to_vec(request).map_err(|_| UNREADABLE)?;
    // A stored request always has its `now`; the fallback is never used.
    Conversation::from_json_within(&bytes, DateTime::UNIX_EPOCH, &ACCEPTED).map_err(|_| UNREADABLE)
}

/// True when `value` looks like a stored record rather than a bare
/// request.
pub fn is_record(value: &Value) -> bool {
    value.get("request").is_some_and(Value::is_object) && value.get("action").is_some()
}
