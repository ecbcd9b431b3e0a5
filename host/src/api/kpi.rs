//! `GET /v1/kpis`: the handoff-quality report of a window.

use axum::Json;
use axum::extract::{Request, State};
use chrono::Utc;

use super::ApiError;
use super::error::Body as ErrorBody;
use super::log::{bad_query, db, unavailable};
use super::state::AppState;
use crate::kpi::{Report, Window, WindowArgs, compute};

/// One report at a time per process: a report holds a database connection
/// for its whole run, and a few dashboards refreshing at once must not take
/// every connection the recorder needs.
static REPORTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// `GET /v1/kpis?from=…&to=…&bucket=day|week&category=…&channel=…`.
#[utoipa::path(
    get,
    path = "/v1/kpis",
    tag = "decision log",
    summary = "The handoff-quality report of a window",
    params(super::schemas::KpisQuery),
    responses(
        (status = 200, description = "The report.", body = Report),
        (status = 400, description = "`invalid_query`: an unknown, repeated or malformed \
            parameter, `from` not before `to`, or a window longer than 1098 days; `field` \
            names it.", body = ErrorBody),
        (status = 404, description = "`store_disabled`: `[store] enabled = false`.", body = ErrorBody),
        (status = 500, description = "`internal`: see the server log.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the log's database is not open \
            or did not answer.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
    security(("bearer" = ["operator"])),
)]
pub async fn kpis(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<Report>, ApiError> {
    let query = request.uri().query().unwrap_or("").to_owned();
    let pairs = single_params(&query, &["from", "to", "bucket", "category", "channel"])?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let args = WindowArgs {
        from: get("from"),
        to: get("to"),
        bucket: get("bucket"),
        category: get("category"),
        channel: get("channel"),
    };
    let now = Utc::now();
    let window = Window::parse(&args, now).map_err(|e| bad_query(e.field, e.message))?;
    let settings = state.config.get().kpi;
    let _turn = REPORTS.acquire().await.map_err(ApiError::internal)?;
    let report = compute(db(&state)?, &window, &settings, now)
        .await
        .map_err(unavailable)?;
    Ok(Json(report))
}

/// The query's parameters, each at most once and each one of `known`.
pub(super) fn single_params(
    query: &str,
    known: &[&str],
) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let key = key.into_owned();
        if !known.contains(&key.as_str()) {
            return Err(bad_query(
                &key,
                format!(
                    "unknown query parameter {key:?}; expected {}",
                    known.join(", ")
                ),
            ));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(bad_query(&key, format!("{key} is given more than once")));
        }
        out.push((key, value.into_owned()));
    }
    Ok(out)
}
