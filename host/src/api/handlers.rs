//! Request handlers.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::ApiError;
use super::error::Body as ErrorBody;
use super::request::DecideRequest;
use super::state::AppState;
use super::views::{Compiling, PluginView, PluginsView};
use crate::decide::decide as run_decision;
use crate::decision::merge::Action;
use crate::plugin::status::LoadState;
use crate::store::Entry;

/// `POST /v1/decide`.
#[utoipa::path(
    post,
    path = "/v1/decide",
    tag = "decisions",
    summary = "Decide whether a conversation goes to a human",
    params(super::schemas::Explain),
    request_body(content = super::schemas::DecideBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The decision.", body = crate::decision::Decision),
        (status = 400, description = "`malformed_json`: the body is not one JSON document; \
            `invalid_query`: a query parameter other than `explain`, `explain` given twice or \
            not a boolean.", body = ErrorBody),
        (status = 408, description = "`body_timeout`: the body did not arrive within \
            `[server] body_read_timeout_ms`.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body exceeds 1 MiB.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not JSON, or a \
            `Content-Encoding` other than `identity`.", body = ErrorBody),
        (status = 422, description = "`invalid_field`: a field is missing, unknown, duplicated, \
            mistyped or out of range, or the messages' ownership events are out of order; \
            `field` is its path.", body = ErrorBody),
        (status = 500, description = "`internal`: see the server log.", body = ErrorBody),
        (status = 503, description = "`starting`: the plugins present at start are still \
            loading.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
    security(("bearer" = ["client"])),
)]
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
        crate::telemetry::decided(&decision);
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
#[utoipa::path(
    get,
    path = "/v1/plugins",
    tag = "operations",
    summary = "The plugin set and each plugin's status",
    responses(
        (status = 200, description = "The plugin set.", body = PluginsView),
        (status = 500, description = "`internal`: see the server log.", body = ErrorBody),
    ),
    security(("bearer" = ["operator"])),
)]
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

/// What `GET /v1/config` answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConfigView {
    /// Where the configuration came from and how its latest edit went.
    #[serde(flatten)]
    pub status: crate::config::live::ConfigStatus,
    /// The whole validated configuration, defaults filled in, secrets
    /// hidden; its keys are those of the configuration file (see README).
    /// A secret plugin setting, and any setting of a plugin whose
    /// declaration is not known, shows as `{"secret": true, "set": …,
    /// "sha256": …}`.
    #[schema(value_type = Object)]
    pub config: Value,
}

/// `GET /v1/config`: the configuration in force and the latest refused edit.
#[utoipa::path(
    get,
    path = "/v1/config",
    tag = "operations",
    summary = "The configuration in force",
    responses((status = 200, description = "The configuration.", body = ConfigView)),
    security(("bearer" = ["operator"])),
)]
pub async fn config(State(state): State<AppState>) -> Json<ConfigView> {
    Json(ConfigView {
        status: state.config.status(),
        config: crate::plugin::secrets::config_json(&state.config.get(), &state.registry.current()),
    })
}

/// Whether the service is up yet.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LiveStatus {
    /// The plugins present at start are still loading.
    Starting,
    /// The first plugin set is live.
    Ok,
}

/// What `GET /healthz` answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Liveness {
    /// `starting` until the first plugin set is live, then `ok`.
    pub status: LiveStatus,
    /// The plugin set generation serving.
    pub generation: u64,
    /// Plugins voting.
    pub plugins_active: usize,
    /// Plugin files that never loaded.
    pub plugins_failed: usize,
}

/// `GET /healthz`: the process is alive; `starting` while the first plugin
/// set loads.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "probes",
    summary = "Liveness",
    responses((status = 200, description = "The process is alive.", body = Liveness)),
)]
pub async fn healthz(State(state): State<AppState>) -> Json<Liveness> {
    let set = state.registry.current();
    let status = if state.registry.is_ready() {
        LiveStatus::Ok
    } else {
        LiveStatus::Starting
    };
    Json(Liveness {
        status,
        generation: set.generation,
        plugins_active: set.active.len(),
        plugins_failed: set
            .status
            .iter()
            .filter(|s| s.status == LoadState::Failed)
            .count(),
    })
}

/// What `GET /readyz` answers once the service is ready.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Always `true`: before, the answer is a 503.
    pub ready: bool,
}

/// `GET /readyz`: 200 once the first plugin set is live, so a load balancer
/// sends no decision to a replica still compiling its plugins.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "probes",
    summary = "Readiness",
    responses(
        (status = 200, description = "The first plugin set is live.", body = Readiness),
        (status = 503, description = "`starting`: the plugins present at start are still \
            loading.", body = ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait."))),
    ),
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    if state.registry.is_ready() {
        Ok(Json(Readiness { ready: true }))
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
