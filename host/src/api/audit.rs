//! `GET /v1/audit`: the audit trail, newest first.

use axum::Json;
use axum::extract::{Request, State};
use chrono::DateTime;
use serde::Serialize;
use utoipa::IntoParams;

use super::ApiError;
use super::error::Body as ErrorBody;
use super::log::{bad_query, db, unavailable};
use super::state::AppState;
use crate::audit::{AuditEvent, AuditFilter};

/// Events answered when `limit` is not given.
const DEFAULT_LIMIT: i64 = 100;
/// The most events one call answers.
const MAX_LIMIT: i64 = 1000;

/// `GET /v1/audit`'s query string: filters, each at most once.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AuditQuery {
    /// Events at or after this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    /// Events before this RFC 3339 time.
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<String>,
    /// Only this action, e.g. `plugin.refuse`.
    action: Option<String>,
    /// Only this actor, e.g. a token's name.
    actor: Option<String>,
    /// Only this target, e.g. a plugin's name.
    target: Option<String>,
    /// At most this many, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// What `GET /v1/audit` answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Events, newest first.
    pub events: Vec<AuditEvent>,
}

/// `GET /v1/audit`.
#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "operations",
    summary = "The audit trail: who changed what, when, with digests before and after",
    params(AuditQuery),
    responses(
        (status = 200, description = "Events, newest first.", body = AuditPage),
        (status = 400, description = "`invalid_query`: an unknown, repeated or malformed \
            parameter; `field` names it.", body = ErrorBody),
        (status = 404, description = "`store_disabled`: `[store] enabled = false` (the trail \
            is then in the log only).", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the log's database is not open \
            or did not answer.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
    security(("bearer" = ["operator"])),
)]
pub async fn audit(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<AuditPage>, ApiError> {
    let filter = filter(request.uri().query())?;
    let events = db(&state)?.audit(&filter).await.map_err(unavailable)?;
    Ok(Json(AuditPage { events }))
}

fn filter(query: Option<&str>) -> Result<AuditFilter, ApiError> {
    let mut f = AuditFilter {
        limit: DEFAULT_LIMIT,
        ..AuditFilter::default()
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
            "action" => f.action = Some(value),
            "actor" => f.actor = Some(value),
            "target" => f.target = Some(value),
            "limit" => {
                f.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| bad_query(&key, format!("limit is 1 to {MAX_LIMIT}")))?;
            }
            _ => {
                return Err(bad_query(
                    &key,
                    format!(
                        "unknown query parameter {key:?}; expected since, until, action, actor, \
                         target or limit"
                    ),
                ));
            }
        }
    }
    Ok(f)
}
