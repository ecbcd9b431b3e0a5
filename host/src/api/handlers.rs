//! Request handlers.

use axum::Json;
use axum::body::Body;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Value, json};

use super::{ApiError, MAX_BODY_BYTES};
use crate::decide::decide as run_decision;
use crate::decision::Decision;
use crate::input::Conversation;
use crate::server::AppState;

/// Reads `POST /v1/decide`'s query string: `explain` at most once, and
/// nothing else. A parameter given twice (`?explain=1&explain=0`) is
/// refused rather than guessed at.
fn explain_flag(query: Option<&str>) -> Result<bool, ApiError> {
    let bad = |field: &str, message: String| ApiError {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_query",
        message,
        field: Some(field.to_owned()),
    };
    let mut explain = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if key != "explain" {
            return Err(bad(&key, format!("unknown query parameter {key:?}")));
        }
        if explain.is_some() {
            return Err(bad(&key, "explain is given more than once".into()));
        }
        explain = Some(match &*value {
            "false" | "0" => false,
            "true" | "1" | "" => true,
            other => {
                return Err(bad(
                    "explain",
                    format!("explain must be true or false, got {other:?}"),
                ));
            }
        });
    }
    Ok(explain.unwrap_or(false))
}

/// Bodies arrive as sent: a compressed one would be read as garbage JSON.
fn unsupported_encoding(headers: &HeaderMap) -> Option<ApiError> {
    let encoding = headers.get(header::CONTENT_ENCODING)?;
    let identity = encoding
        .to_str()
        .is_ok_and(|v| v.trim().eq_ignore_ascii_case("identity"));
    (!identity).then(|| ApiError {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
        message: format!(
            "Content-Encoding {encoding:?} is not supported; send the body uncompressed"
        ),
        field: Some("content-encoding".into()),
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// How much of an oversized body is read and thrown away before answering
/// 413. Closing the connection on a client still sending makes it see a
/// broken pipe instead of the answer (the lingering close of nginx and
/// others); beyond this, the connection is closed at once.
const DRAIN_CAP: usize = 8 * MAX_BODY_BYTES;

/// Reads a body of at most `MAX_BODY_BYTES`. A larger one is drained (up to
/// `DRAIN_CAP`) and refused with `None`.
async fn read_body(mut body: Body) -> Option<Vec<u8>> {
    use http_body_util::BodyExt;
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.ok()?.into_data() else {
            continue;
        };
        seen += data.len();
        if seen > DRAIN_CAP {
            return None;
        }
        if seen <= MAX_BODY_BYTES {
            bytes.extend_from_slice(&data);
        }
    }
    (seen <= MAX_BODY_BYTES).then_some(bytes)
}

/// `POST /v1/decide`.
pub async fn decide(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Decision>, ApiError> {
    let explain = explain_flag(query.as_deref())?;
    if let Some(e) = unsupported_encoding(&headers) {
        return Err(e);
    }
    if !is_json(&headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the conversation as JSON with `Content-Type: application/json`",
        ));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body exceeds {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_CAP) {
        return Err(too_large());
    }
    if !state.registry.is_ready() {
        return Err(ApiError::starting());
    }
    // Bodies are read and decided at most `max_concurrent_requests` at a
    // time: a burst of large requests waits here instead of holding a
    // megabyte each in memory at once.
    let _request = state
        .requests
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    let config = state.config.get();
    let body_timeout = Duration::from_millis(config.server.body_read_timeout_ms);
    let bytes = match tokio::time::timeout(body_timeout, read_body(body)).await {
        Ok(read) => read.ok_or_else(too_large)?,
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the body did not arrive within {} ms (server.body_read_timeout_ms)",
                    config.server.body_read_timeout_ms
                ),
            ));
        }
    };
    crate::memory::note_body(bytes.len());
    // Parsing and deciding are CPU-bound: both run off the async workers,
    // at most `permits` at a time, so a burst queues (as compact bytes)
    // instead of oversubscribing cores and holding many parsed requests.
    let _permit = state
        .permits
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    let plugins = state.registry.current();
    let runtime = state.registry.runtime().clone();
    let decision = tokio::task::spawn_blocking(move || {
        let conversation =
            Conversation::from_json_within(&bytes, chrono::Utc::now(), &config.input)?;
        drop(bytes);
        Ok::<_, ApiError>(run_decision(
            conversation,
            &config,
            &plugins,
            &runtime,
            explain,
        ))
    })
    .await
    .map_err(ApiError::internal)??;
    tracing::info!(
        decision_id = %decision.decision_id,
        conversation = %decision.conversation_id,
        action = ?decision.action,
        score = decision.score,
        generation = decision.generation,
        elapsed_us = decision.elapsed_us,
        "decided"
    );
    Ok(Json(decision))
}

/// `GET /v1/plugins`: the set's status, with each active plugin's live
/// health (breaker, failure counts), limits and failure policy.
pub async fn plugins(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let set = state.registry.current();
    let mut plugins = Vec::with_capacity(set.status.len());
    for status in &set.status {
        let mut entry = serde_json::to_value(status).map_err(ApiError::internal)?;
        if let Some(p) = set.active.iter().find(|p| *p.name == *status.name) {
            entry["health"] =
                serde_json::to_value(p.breaker.health()).map_err(ApiError::internal)?;
            entry["limits"] = serde_json::to_value(p.config.limits).map_err(ApiError::internal)?;
            entry["on_failure"] =
                serde_json::to_value(p.config.on_failure).map_err(ApiError::internal)?;
        }
        plugins.push(entry);
    }
    let compiling: Vec<Value> = state
        .registry
        .compiling()
        .into_iter()
        .map(|(name, since)| json!({ "name": name, "since": since }))
        .collect();
    Ok(Json(json!({
        "generation": set.generation,
        "ready": state.registry.is_ready(),
        "scans": state.registry.scans(),
        "compiling": compiling,
        "plugins_dir": state.config.get().plugins_dir,
        "plugins": plugins,
    })))
}

/// `GET /v1/config`: the configuration in force and the latest refused edit.
pub async fn config(State(state): State<AppState>) -> Json<Value> {
    let status = state.config.status();
    Json(json!({
        "source": status.source,
        "sha256": status.sha256,
        "loaded_at": status.loaded_at,
        "version": status.version,
        "last_error": status.last_error,
        "config": *state.config.get(),
    }))
}

/// `GET /healthz`: the process is alive; `starting` while the first plugin
/// set loads.
pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    let set = state.registry.current();
    let status = if state.registry.is_ready() {
        "ok"
    } else {
        "starting"
    };
    Json(json!({
        "status": status,
        "generation": set.generation,
        "plugins_active": set.active.len(),
        "plugins_failed": set.status.iter().filter(|s| s.status == crate::plugin::LoadState::Failed).count(),
    }))
}

/// `GET /readyz`: 200 once the first plugin set is live, so a load balancer
/// sends no decision to a replica still compiling its plugins.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    if state.registry.is_ready() {
        Ok(Json(json!({ "ready": true })))
    } else {
        Err(ApiError::starting())
    }
}

/// Any other route.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// A known route with another method.
pub async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on this endpoint; see README for the API"),
    )
}
