//! The decision log over HTTP: outcome events in, decisions and
//! conversation timelines out, and how recording is doing.
//!
//! - `POST /v1/outcomes`: a batch of outcome events, all or none.
//! - `GET /v1/decisions/{id}`: one decision's record.
//! - `GET /v1/decisions`: decisions by time range, conversation, action,
//!   reason code, tag, category or plugin, newest first, a page at a time.
//! - `GET /v1/conversations/{id}`: every decision and event in time order,
//!   with how the action, tier and mood moved.
//! - `GET /v1/store`: the recording path's counters.

use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::ApiError;
use super::error::Body as ErrorBody;
use super::request::{check_json_head, read_json_body};
use super::state::AppState;
use crate::decision::merge::Action;
use crate::outcome::{Event, parse_batch};
use crate::store::{Db, Filter, Store, StoreStatus};

/// Page size of `GET /v1/decisions` when `limit` is not given.
const DEFAULT_LIMIT: i64 = 100;
/// The largest page.
const MAX_LIMIT: i64 = 1000;

/// The store, or why there is none to use.
fn store(state: &AppState) -> Result<&Store, ApiError> {
    state.store.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "store_disabled",
            "the decision log is off ([store] enabled = false)",
        )
    })
}

/// The open database, or 503 while it is not.
pub(super) fn db(state: &AppState) -> Result<&Db, ApiError> {
    store(state)?.db().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the decision log's database is not open yet; see GET /v1/store",
        )
    })
}

pub(super) fn unavailable(e: sqlx::Error) -> ApiError {
    tracing::warn!("store query failed: {e}");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_unavailable",
        "the decision log's database did not answer; retry shortly",
    )
}

/// A batch of outcome events whose body has arrived.
pub struct OutcomeBatch(Vec<u8>);

impl FromRequest<AppState> for OutcomeBatch {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        check_json_head(&parts.headers, "the events")?;
        let timeout_ms = state.config.get().server.body_read_timeout_ms;
        Ok(OutcomeBatch(read_json_body(body, timeout_ms).await?))
    }
}

/// What `POST /v1/outcomes` answers.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OutcomesAccepted)]
pub struct Accepted {
    /// Events stored by this batch.
    stored: usize,
    /// Events already stored under the same `event_id` (a re-sent batch).
    repeated: usize,
    /// `decision_id`s the log does not hold (yet): decided on another
    /// replica, not flushed, or mistyped.
    unknown_decisions: Vec<String>,
}

/// `POST /v1/outcomes`.
#[utoipa::path(
    post,
    path = "/v1/outcomes",
    tag = "decision log",
    summary = "Report outcome events, a batch at a time",
    description = "The batch is taken whole or not at all. An event whose `event_id` is \
        already stored is counted as `repeated`, not stored again. Beyond what its schema \
        says, a batch is refused with 422 when an event is dated more than 24 hours ahead \
        of the server's clock, or two events share an `event_id` with different content.",
    request_body(content = super::schemas::OutcomeBatchBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The batch was stored.", body = Accepted),
        (status = 400, description = "`malformed_json`: the body is not JSON.", body = ErrorBody),
        (status = 404, description = "`store_disabled`: `[store] enabled = false`.", body = ErrorBody),
        (status = 408, description = "`body_timeout`: the body did not arrive within \
            `[server] body_read_timeout_ms`.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body exceeds 1 MiB.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not JSON, or a \
            `Content-Encoding` other than `identity`.", body = ErrorBody),
        (status = 422, description = "`invalid_field`: `field` names the event field at fault, \
            e.g. `events[3].score`.", body = ErrorBody),
        (status = 500, description = "`internal`: see the server log.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the log's database is not open \
            or did not answer.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
    security(("bearer" = ["client"])),
)]
pub async fn outcomes(
    State(state): State<AppState>,
    OutcomeBatch(body): OutcomeBatch,
) -> Result<Json<Value>, ApiError> {
    let db = db(&state)?.clone();
    let now = Utc::now();
    let events: Vec<Event> = tokio::task::spawn_blocking(move || parse_batch(&body, now))
        .await
        .map_err(ApiError::internal)??;
    let written = db
        .insert_events(&events, now.timestamp_micros())
        .await
        .map_err(unavailable)?;
    if written.stored > 0 && events.iter().any(|e| e.reply_text().is_some()) {
        crate::kpi::replies::score_in_background(db.clone());
    }
    let answer = Accepted {
        stored: written.stored,
        repeated: written.repeated,
        unknown_decisions: written.unknown_decisions,
    };
    Ok(Json(
        serde_json::to_value(answer).map_err(ApiError::internal)?,
    ))
}

/// `GET /v1/decisions/{id}`.
#[utoipa::path(
    get,
    path = "/v1/decisions/{id}",
    tag = "decision log",
    summary = "One decision's record",
    params(("id" = String, Path, description = "The `decision_id`.")),
    responses(
        (status = 200, description = "The record.", body = crate::store::record::Record),
        (status = 404, description = "`decision_not_found`: the log holds no such decision \
            (one made within the last flush interval may not be written yet); \
            `store_disabled`: `[store] enabled = false`.", body = ErrorBody),
        (status = 500, description = "`internal`: see the server log.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the log's database is not open \
            or did not answer.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
    security(("bearer" = ["operator"])),
)]
pub async fn decision(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let record = db(&state)?.decision(&id).await.map_err(unavailable)?;
    match record {
        Some(text) => Ok(Json(parse(&text)?)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "decision_not_found",
            format!(
                "no decision {id:?} in the log (a decision made within the last flush \
                 interval may not be written yet)"
            ),
        )),
    }
}

/// A page of `GET /v1/decisions`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionPage {
    /// Records, newest first.
    #[schema(value_type = Vec<crate::store::record::Record>)]
    pub decisions: Vec<Value>,
    /// Give it as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// `GET /v1/decisions`.
#[utoipa::path(
    get,
    path = "/v1/decisions",
    tag = "decision log",
    summary = "Decisions by time, conversation, action, reason, tag, category or plugin",
    params(super::schemas::DecisionsQuery),
    responses(
        (status = 200, description = "A page of records, newest first.", body = DecisionPage),
        (status = 400, description = "`invalid_query`: an unknown, repeated or malformed \
            parameter; `field` names it.", body = ErrorBody),
        (status = 404, description = "`store_disabled`: `[store] enabled = false`.", body = ErrorBody),
        (status = 500, description = "`internal`: see the server log.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the log's database is not open \
            or did not answer.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
    security(("bearer" = ["operator"])),
)]
pub async fn decisions(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<DecisionPage>, ApiError> {
    let mut filter = filter(request.uri().query())?;
    let limit = filter.limit;
    filter.limit += 1;
    let texts = db(&state)?.decisions(&filter).await.map_err(unavailable)?;
    let mut records = texts
        .iter()
        .map(|t| parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    let next = if records.len() as i64 > limit {
        records.truncate(limit as usize);
        records.last().map(cursor_of)
    } else {
        None
    };
    Ok(Json(DecisionPage {
        decisions: records,
        next_cursor: next,
    }))
}

/// `GET /v1/conversations/{id}`.
#[utoipa::path(
    get,
    path = "/v1/conversations/{id}",
    tag = "decision log",
    summary = "A conversation's timeline",
    params(("id" = String, Path, description = "The `conversation_id`.")),
    responses(
        (status = 200, description = "Every decision and outcome event in time order.", body = super::schemas::Timeline),
        (status = 404, description = "`conversation_not_found`: the log holds no decision or \
            event of it; `store_disabled`: `[store] enabled = false`.", body = ErrorBody),
        (status = 500, description = "`internal`: see the server log.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the log's database is not open \
            or did not answer.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
    security(("bearer" = ["operator"])),
)]
pub async fn conversation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (decisions, events) = db(&state)?.conversation(&id).await.map_err(unavailable)?;
    if decisions.is_empty() && events.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "conversation_not_found",
            format!("the log holds no decision or event of conversation {id:?}"),
        ));
    }
    let decisions = decisions
        .iter()
        .map(|t| parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    let events = events
        .iter()
        .map(|t| parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(timeline(&id, &decisions, events)))
}

/// `GET /v1/store`.
#[utoipa::path(
    get,
    path = "/v1/store",
    tag = "decision log",
    summary = "How recording is doing",
    responses(
        (status = 200, description = "The recording path's counters.", body = StoreStatus),
        (status = 404, description = "`store_disabled`: `[store] enabled = false`.", body = ErrorBody),
    ),
    security(("bearer" = ["operator"])),
)]
pub async fn status(State(state): State<AppState>) -> Result<Json<StoreStatus>, ApiError> {
    Ok(Json(store(&state)?.status()))
}

pub(super) fn parse(text: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text).map_err(ApiError::internal)
}

/// One decision as a step of a timeline.
fn step(record: &Value) -> Value {
    let reasons: Vec<&Value> = record["reasons"]
        .as_array()
        .map(|rs| rs.iter().map(|r| &r["code"]).collect())
        .unwrap_or_default();
    json!({
        "kind": "decision",
        "at": record["decided_at"],
        "decision_id": record["decision_id"],
        "action": record["action"],
        "tier": record["tier"],
        "priority": record["priority"],
        "score": record["score"],
        "reasons": reasons,
        "mood": mood(record),
        "trajectory": record["context"]["trajectory"],
    })
}

/// The customer's latest mood as the decision read it.
fn mood(record: &Value) -> Value {
    record["context"]["emotions"]
        .as_array()
        .and_then(|e| e.last())
        .map(|p| p["label"].clone())
        .unwrap_or(Value::Null)
}

/// Decisions and events merged in time order (a decision before an event
/// at the same instant), and the moves of action, tier and mood from one
/// decision to the next.
fn timeline(id: &str, decisions: &[Value], events: Vec<Value>) -> Value {
    let at = |v: &Value| {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp_micros())
            .unwrap_or(i64::MIN)
    };
    let mut entries: Vec<(i64, u8, Value)> = decisions
        .iter()
        .map(|d| (at(&d["decided_at"]), 0, step(d)))
        .collect();
    entries.extend(events.into_iter().map(|mut e| {
        let t = at(&e["at"]);
        e["kind"] = json!("event");
        (t, 1, e)
    }));
    // Stable: decisions keep their stored order, events theirs.
    entries.sort_by_key(|(t, k, _)| (*t, *k));
    let mut moves = Vec::new();
    for pair in decisions.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        for field in ["action", "tier"] {
            if a[field] != b[field] {
                moves.push(
                    json!({"at": b["decided_at"], "decision_id": b["decision_id"],
                                  "field": field, "from": a[field], "to": b[field]}),
                );
            }
        }
        if mood(a) != mood(b) {
            moves.push(
                json!({"at": b["decided_at"], "decision_id": b["decision_id"],
                              "field": "mood", "from": mood(a), "to": mood(b)}),
            );
        }
    }
    let latest = decisions.last();
    json!({
        "conversation_id": id,
        "decisions": decisions.len(),
        "events": entries.len() - decisions.len(),
        "latest": latest.map(step),
        "moves": moves,
        "timeline": entries.into_iter().map(|(_, _, v)| v).collect::<Vec<_>>(),
    })
}

/// The cursor after `record`: its time and id, hex-encoded so that callers
/// treat it as opaque.
fn cursor_of(record: &Value) -> String {
    let at = record["decided_at"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map_or(0, |t| t.timestamp_micros());
    let id = record["decision_id"].as_str().unwrap_or_default();
    hex::encode(format!("{at}/{id}"))
}

pub(super) fn bad_query(field: &str, message: impl Into<String>) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_query",
        message: message.into(),
        field: Some(field.to_owned()),
    }
}

/// Reads `GET /v1/decisions`'s query: every parameter at most once, none
/// unknown.
fn filter(query: Option<&str>) -> Result<Filter, ApiError> {
    let mut f = Filter {
        limit: DEFAULT_LIMIT,
        ..Filter::default()
    };
    let mut seen = std::collections::BTreeSet::new();
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let key = key.into_owned();
        if !seen.insert(key.clone()) {
            return Err(bad_query(&key, format!("{key} is given more than once")));
        }
        let value = value.into_owned();
        let time = |v: &str| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.timestamp_micros())
                .map_err(|_| bad_query(&key, format!("{v:?} is not an RFC 3339 time")))
        };
        match key.as_str() {
            "since" => f.since = Some(time(&value)?),
            "until" => f.until = Some(time(&value)?),
            "conversation" => f.conversation = Some(value),
            "action" => {
                if !Action::NAMES.contains(&value.as_str()) {
                    return Err(bad_query(
                        &key,
                        format!("action is one of {}", Action::NAMES.join(", ")),
                    ));
                }
                f.action = Some(value);
            }
            "reason" => f.reason = Some(value),
            "tag" => f.tag = Some(value),
            "category" => f.category = Some(value),
            "plugin" => f.plugin = Some(value),
            "limit" => {
                f.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| bad_query(&key, format!("limit is 1 to {MAX_LIMIT}")))?;
            }
            "cursor" => {
                let text = hex::decode(&value)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| bad_query(&key, "not a cursor this API gave"))?;
                let (at, id) = text
                    .split_once('/')
                    .and_then(|(a, id)| Some((a.parse().ok()?, id.to_owned())))
                    .ok_or_else(|| bad_query(&key, "not a cursor this API gave"))?;
                f.after = Some((at, id));
            }
            _ => {
                return Err(bad_query(
                    &key,
                    format!(
                        "unknown query parameter {key:?}; expected since, until, conversation, \
                         action, reason, tag, category, plugin, limit or cursor"
                    ),
                ));
            }
        }
    }
    Ok(f)
}
