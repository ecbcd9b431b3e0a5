//! `POST /v1/replay`: the logged decisions of a window decided again with
//! a candidate configuration, and what would change — the report of
//! `escalator replay`, for the console.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ApiError;
use super::auth::Caller;
use super::error::Body as ErrorBody;
use super::log::{bad_query, db};
use super::request::read_json_body;
use super::state::AppState;
use crate::audit::{Change, Outcome};
use crate::config::Config;
use crate::plugin::Runtime;
use crate::replay::report::{Options, Report, compare};
use crate::replay::run::{Rules, Workers};
use crate::replay::session::{self, Progress, Selection, off_the_caller};
use crate::store::Db;

/// One replay at a time per process: a replay takes every core it can get
/// (below the serving threads' priority) and the memory of its cases.
static REPLAYS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Decisions one request replays when it does not say.
const DEFAULT_LIMIT: u64 = 10_000;
/// The most one request may replay; more is the command line's job.
const MAX_LIMIT: u64 = 200_000;

/// The body of `POST /v1/replay`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// The candidate configuration as TOML text, with the live plugins
    /// (its `plugins_dir` and `[store]` are ignored). Absent: the live
    /// configuration, which must reproduce the log.
    pub config: Option<String>,
    /// Decisions made at or after this RFC 3339 time.
    #[schema(value_type = Option<super::schemas::AnyTime>)]
    pub since: Option<String>,
    /// Decisions made before this RFC 3339 time.
    #[schema(value_type = Option<super::schemas::AnyTime>)]
    pub until: Option<String>,
    /// Only this topic category.
    pub category: Option<String>,
    /// Only this channel.
    pub channel: Option<String>,
    /// Only decisions that had this action.
    pub action: Option<String>,
    /// Only this customer tier.
    pub customer_tier: Option<String>,
    /// Only this conversation.
    pub conversation: Option<String>,
    /// Only decisions with a reviewer's verdict.
    #[serde(default)]
    pub reviewed: bool,
    /// At most this many decisions, oldest first (default 10000, at most
    /// 200000).
    #[schema(minimum = 1, maximum = 200_000)]
    pub limit: Option<u64>,
    /// Flipped decisions shown side by side (default 10, at most 100).
    #[schema(maximum = 100)]
    pub sample: Option<usize>,
}

/// The answer: the report, and what the run cost.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplayResponse {
    /// The comparison.
    #[serde(flatten)]
    pub report: Report,
    /// Wall time of the run, in milliseconds.
    pub elapsed_ms: u64,
    /// Worker threads used.
    pub threads: usize,
    /// Plugins of the candidate that did not load.
    pub warnings: Vec<String>,
}

/// `POST /v1/replay`.
#[utoipa::path(
    post,
    path = "/v1/replay",
    tag = "decision log",
    summary = "The log decided again with a candidate configuration",
    description = "Runs one replay at a time per server. An empty body replays with the live \
        configuration, which must reproduce the log.",
    request_body(content = Option<ReplayRequest>, content_type = "application/json"),
    responses(
        (status = 200, description = "What would change.", body = ReplayResponse),
        (status = 400, description = "`invalid_query`: the body is not a valid request, the \
            candidate configuration does not parse, or a value is out of range; `field` \
            names it.", body = ErrorBody),
        (status = 404, description = "`store_disabled`: `[store] enabled = false`.", body = ErrorBody),
        (status = 408, description = "`body_timeout`: the body did not arrive within \
            `[server] body_read_timeout_ms`.", body = ErrorBody),
        (status = 409, description = "`replay_running`: another replay is running on this \
            server.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body exceeds 1 MiB.", body = ErrorBody),
        (status = 500, description = "`internal`: see the server log.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the log's database is not open \
            or did not answer.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
    security(("bearer" = ["operator"])),
)]
pub async fn replay(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    request: Request,
) -> Result<Json<ReplayResponse>, ApiError> {
    // Read like every other body: within 1 MiB and the body timeout, with
    // the API's JSON errors (the default extractor answered plain text).
    let timeout_ms = state.config.get().server.body_read_timeout_ms;
    let body = read_json_body(request.into_body(), timeout_ms).await?;
    let request: ReplayRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ReplayRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| bad_query("body", e.to_string()))?
    };
    let live = state.config.get();
    let candidate_config = match &request.config {
        Some(text) => {
            let mut c = Config::parse(text).map_err(|e| bad_query("config", e.to_string()))?;
            c.plugins_dir = live.plugins_dir.clone();
            c.cache_dir = live.cache_dir.clone();
            c
        }
        None => (*live).clone(),
    };
    let time = |field: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| {
                DateTime::parse_from_rfc3339(t)
                    .map(|t| t.timestamp_micros())
                    .map_err(|_| bad_query(field, format!("{field} {t:?} is not an RFC 3339 time")))
            })
            .transpose()
    };
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad_query(
            "limit",
            format!("limit must be 1 to {MAX_LIMIT}"),
        ));
    }
    let sample = request.sample.unwrap_or(10);
    if sample > 100 {
        return Err(bad_query("sample", "sample must be 0 to 100"));
    }
    let selection = Selection {
        since: time("since", &request.since)?,
        until: time("until", &request.until)?,
        category: request.category,
        channel: request.channel,
        action: request.action,
        customer_tier: request.customer_tier,
        conversation: request.conversation,
        reviewed_only: request.reviewed,
        limit: Some(limit),
    };
    let db = db(&state)?.clone();
    let turn = REPLAYS.try_acquire().map_err(|_| {
        ApiError::new(
            StatusCode::CONFLICT,
            "replay_running",
            "another replay is running on this server; retry when it is done",
        )
    })?;
    // The replay runs in a task of its own that holds the turn: a client
    // that goes away does not stop it, and so cannot start a second one
    // beside it by asking again.
    // Who replayed what is recorded: a replay reads customers' conversations
    // and takes the machine's cores for a while.
    let (_, _, live_sha256) = state.config.snapshot();
    let candidate_sha256 = request
        .config
        .as_deref()
        .map(|text| hex::encode(Sha256::digest(text.as_bytes())));
    let task = tokio::spawn(async move {
        let _turn = turn;
        run(db, candidate_config, selection, sample).await
    });
    let answer = task.await.map_err(ApiError::internal)?;
    state.audit.record(Change {
        actor: caller.map_or_else(|| Caller::local().name, |Extension(c)| c.name),
        action: "replay.run",
        target: "decision log".into(),
        outcome: if answer.is_ok() {
            Outcome::Applied
        } else {
            Outcome::Refused
        },
        before: live_sha256,
        after: candidate_sha256,
        detail: match &answer {
            Ok(r) => Some(format!("{} decisions replayed", r.report.decisions)),
            Err(e) => Some(e.message.clone()),
        },
    });
    answer.map(Json)
}

/// The replay itself, once the request is validated and the turn taken.
async fn run(
    db: Db,
    candidate_config: Config,
    selection: Selection,
    sample: usize,
) -> Result<ReplayResponse, ApiError> {
    let started = Instant::now();
    // A runtime of its own: its instances come from their own pool, so a
    // replay cannot take the slots live decisions instantiate plugins in.
    let candidate = off_the_caller(move || {
        let runtime = Runtime::new(candidate_config.cache_dir.clone())?;
        runtime.solo();
        let dir = candidate_config.plugins_dir.clone();
        Rules::load(&candidate_config, Some(dir), runtime)
    })
    .await
    .and_then(|r| r)
    .map_err(ApiError::internal)?;
    let workers = Workers {
        yield_to_serving: true,
        ..Workers::all_cores()
    };
    let progress = Arc::new(Progress::default());
    let replayed = session::from_store(&db, &selection, &candidate, workers, &progress)
        .await
        .map_err(|e| {
            tracing::warn!("replay failed: {e:#}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the decision log's database did not answer; retry shortly",
            )
        })?;
    let warnings = candidate.warnings();
    let report =
        off_the_caller(move || compare(&replayed.cases, &replayed.skipped, &Options { sample }))
            .await
            .map_err(ApiError::internal)?;
    Ok(ReplayResponse {
        report,
        elapsed_ms: started.elapsed().as_millis() as u64,
        threads: workers.threads,
        warnings,
    })
}
