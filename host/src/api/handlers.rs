//! Request handlers.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ApiError;
use super::request::DecideRequest;
use super::state::AppState;
use super::views::{Compiling, PluginView, PluginsView};
use crate::decide::decide as run_decision;
use crate::decision::merge::Action;
use crate::plugin::status::LoadState;
use crate::store::Entry;

/// `POST /v1/decide`.
pub async fn decide(
    State(state): State<AppState>,
    request: DecideRequest,
) -> Result<Response, ApiError> {
    // Parsing and deciding are CPU-bound: both run off the async workers,
    // at most `permits` at a time, so a burst queues (as compact bytes)
    // instead of oversubscribing cores and holding many parsed requests.
    let permit = state
        .permits
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    let plugins = state.registry.current();
    let runtime = state.registry.runtime().clone();
    let mut request = request;
    let (config_version, config_sha256) = request.config_version.clone();
    let context_config = request.config.context;
    let (mut decision, conversation) = tokio::task::spawn_blocking(move || {
        let conversation = request.conversation()?;
        let decision = run_decision(
            &conversation,
            &request.config,
            &plugins,
            &runtime,
            request.explain,
        );
        Ok::<_, ApiError>((decision, conversation))
    })
    .await
    .map_err(ApiError::internal)??;
    // The permit bounds CPU work; the lookup below waits on the database.
    drop(permit);
    // A human reads the context of these: the customer's history helps
    // them. Looked up after deciding (it changes no vote), bounded in time.
    // A blank id is no id (the log keeps none for it).
    let customer = conversation.customer.id.as_deref();
    if let (Some(store), Some(customer)) = (&state.store, customer.filter(|c| !c.trim().is_empty()))
        && matches!(
            decision.action,
            Action::Escalate | Action::Offer | Action::StayWithHuman
        )
        && let Some(prior) = store
            .prior_contacts(
                customer,
                &conversation.id,
                conversation.now,
                &context_config,
            )
            .await
    {
        decision.context.add_prior_contacts(prior);
    }
    tracing::info!(
        decision_id = %decision.decision_id,
        conversation = %decision.conversation_id,
        action = ?decision.action,
        score = decision.score,
        generation = decision.generation,
        elapsed_us = decision.elapsed_us,
        "decided"
    );
    let body = serde_json::to_vec(&decision).map_err(ApiError::internal)?;
    // Recorded after the answer is ready, and only queued: the log never
    // fails or holds up a decision.
    if let Some(store) = &state.store {
        store.record(Entry {
            decision,
            request: conversation,
            config_version,
            config_sha256,
            recorded_at: chrono::Utc::now(),
        });
    }
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /v1/plugins`: the set's status, with each active plugin's live
/// health (breaker, failure counts), limits and failure policy.
pub async fn plugins(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let set = state.registry.current();
    let plugins = set
        .status
        .iter()
        .map(|status| {
            let active = set.active.iter().find(|p| *p.name == *status.name);
            PluginView {
                status,
                health: active.map(|p| p.breaker.health()),
                limits: active.map(|p| p.config.limits),
                on_failure: active.map(|p| p.config.on_failure),
            }
        })
        .collect();
    let view = PluginsView {
        generation: set.generation,
        ready: state.registry.is_ready(),
        scans: state.registry.scans(),
        compiling: state
            .registry
            .compiling()
            .into_iter()
            .map(|(name, since)| Compiling { name, since })
            .collect(),
        plugins_dir: state.config.get().plugins_dir.clone(),
        plugins,
    };
    Ok(Json(
        serde_json::to_value(view).map_err(ApiError::internal)?,
    ))
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
        "plugins_failed": set.status.iter().filter(|s| s.status == LoadState::Failed).count(),
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
