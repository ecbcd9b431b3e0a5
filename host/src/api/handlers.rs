//! Request handlers.

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Value, json};

use super::{ApiError, MAX_BODY_BYTES};
use crate::decide::decide as run_decision;
use crate::decision::Decision;
use crate::input::Conversation;
use crate::server::AppState;

/// Query parameters of `POST /v1/decide`.
#[derive(Debug, serde::Deserialize)]
pub struct DecideQuery {
    /// `true` adds every built-in trigger's observations to the decision.
    explain: Option<String>,
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
    Query(query): Query<DecideQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Decision>, ApiError> {
    let explain = match query.explain.as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") | Some("") => true,
        Some(other) => {
            return Err(ApiError {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_query",
                message: format!("explain must be true or false, got {other:?}"),
                field: Some("explain".into()),
            });
        }
    };
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
    let bytes = read_body(body).await.ok_or_else(too_large)?;
    let conversation = Conversation::from_json(&bytes, chrono::Utc::now())?;

    // Plugin calls are CPU-bound: run them off the async workers, at most
    // `permits` at a time so a burst queues instead of oversubscribing cores.
    let _permit = state
        .permits
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    let config = state.config.get();
    let plugins = state.registry.current();
    let runtime = state.registry.runtime().clone();
    let decision = tokio::task::spawn_blocking(move || {
        run_decision(conversation, &config, &plugins, &runtime, explain)
    })
    .await
    .map_err(ApiError::internal)?;
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
    Ok(Json(json!({
        "generation": set.generation,
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

/// `GET /healthz`.
pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    let set = state.registry.current();
    Json(json!({
        "status": "ok",
        "generation": set.generation,
        "plugins_active": set.active.len(),
        "plugins_failed": set.status.iter().filter(|s| s.status == crate::plugin::LoadState::Failed).count(),
    }))
}

/// Any other route.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}
