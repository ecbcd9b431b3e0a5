//! `GET /v1/review`: escalations for a person to judge, a fair mix of
//! categories, each with its handoff context and any verdict already given.

use axum::Json;
use axum::extract::{Request, State};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::ApiError;
use super::error::Body as ErrorBody;
use super::kpi::single_params;
use super::log::{bad_query, db, parse, unavailable};
use super::state::AppState;
use crate::kpi::review::sample;
use crate::kpi::window::{NONE, Window};
use crate::store::review::ReviewFilter;

/// Items per answer when `limit` is not given.
const DEFAULT_LIMIT: usize = 20;
/// The most items per answer.
const MAX_LIMIT: usize = 200;
/// How many of the newest matching escalations the sample is drawn from.
const POOL: i64 = 5000;

/// `GET /v1/review?tag=…&reason=…&category=…&plugin=…&unreviewed=true&since=…&until=…&limit=…&seed=…`.
#[utoipa::path(
    get,
    path = "/v1/review",
    tag = "decision log",
    summary = "Escalations for a person to judge, a fair mix of categories",
    params(super::schemas::ReviewQuery),
    responses(
        (status = 200, description = "The sample.", body = super::schemas::ReviewPage),
        (status = 400, description = "`invalid_query`: an unknown, repeated or malformed \
            parameter; `field` names it.", body = ErrorBody),
        (status = 404, description = "`store_disabled`: `[store] enabled = false`.", body = ErrorBody),
        (status = 500, description = "`internal`: see the server log.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the log's database is not open \
            or did not answer.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
    security(("bearer" = ["operator"])),
)]
pub async fn review(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    let query = request.uri().query().unwrap_or("").to_owned();
    let params = single_params(
        &query,
        &[
            "tag",
            "reason",
            "category",
            "plugin",
            "unreviewed",
            "since",
            "until",
            "limit",
            "seed",
        ],
    )?;
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let time = |k: &str| -> Result<Option<i64>, ApiError> {
        get(k)
            .map(|v| {
                DateTime::parse_from_rfc3339(&v)
                    .map(|t| t.timestamp_micros())
                    .map_err(|_| bad_query(k, format!("{v:?} is not an RFC 3339 time")))
            })
            .transpose()
    };
    let unreviewed = match get("unreviewed").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(bad_query("unreviewed", "unreviewed is true or false")),
    };
    let limit = match get("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad_query("limit", format!("limit is 1 to {MAX_LIMIT}")))?,
    };
    // By default the sample changes daily: a reviewer who comes back the
    // same day sees the same list.
    let seed = get("seed").unwrap_or_else(|| Utc::now().format("%Y-%m-%d").to_string());
    let filter = ReviewFilter {
        since: time("since")?,
        until: time("until")?,
        tag: get("tag"),
        reason: get("reason"),
        category: Window::stored(&get("category")),
        plugin: get("plugin"),
        unreviewed,
        limit: POOL,
    };
    let db = db(&state)?;
    let candidates = db.review_candidates(&filter).await.map_err(unavailable)?;
    let pool = candidates.len();
    let mut strata: std::collections::BTreeMap<String, usize> = Default::default();
    for c in &candidates {
        let name = if c.category.is_empty() {
            NONE.to_owned()
        } else {
            c.category.clone()
        };
        *strata.entry(name).or_default() += 1;
    }
    let chosen = sample(candidates, limit, &seed);
    let ids: Vec<String> = chosen.iter().map(|c| c.decision_id.clone()).collect();
    let verdicts = db.verdicts_of(&ids).await.map_err(unavailable)?;
    let mut items = Vec::with_capacity(chosen.len());
    for id in &ids {
        let Some(text) = db.decision(id).await.map_err(unavailable)? else {
            continue;
        };
        let record = parse(&text)?;
        let review = verdicts
            .iter()
            .find(|v| v.decision_id == *id)
            .map(|v| parse(&v.event))
            .transpose()?;
        items.push(json!({
            "decision_id": id,
            "conversation_id": record["conversation_id"],
            "decided_at": record["decided_at"],
            "action": record["action"],
            "tier": record["tier"],
            "priority": record["priority"],
            "category": record["request"]["topic"]["category"],
            "reasons": record["reasons"],
            "context": record["context"],
            "review": review,
        }));
    }
    Ok(Json(json!({
        "items": items,
        "pool": pool,
        "strata": strata,
        "seed": seed,
        "sampling": "the newest matching escalations, grouped by category, shuffled by seed, \
                     taken from each category in turn",
    })))
}
