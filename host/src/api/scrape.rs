//! `GET /metrics`, and the middleware that counts every HTTP request.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::state::AppState;
use crate::telemetry;

/// The content type of the Prometheus text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`: every family in the Prometheus text format. Gauges of
/// state (generation, breakers, the decision log's queue and spool) are
/// read now, so they are current whenever Prometheus asks.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Prometheus metrics",
    responses((
        status = 200,
        description = "Every metric family in the Prometheus text format 0.0.4.",
        content_type = "text/plain",
        body = String,
    )),
    security(("bearer" = ["operator"])),
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    telemetry::service::observe_plugins(&state.registry.current());
    telemetry::service::observe_config(state.config.status().version);
    if let Some(store) = &state.store {
        let s = store.status();
        telemetry::service::observe_store(store.queue_depth(), s.spooled, s.spool_bytes);
    }
    ([(header::CONTENT_TYPE, TEXT_FORMAT)], telemetry::render()).into_response()
}

/// Counts a request by method, the template of the route it matched and
/// its status, and times it up to its response head. Installed with
/// `Router::layer`, so it runs once a route has matched and sees its
/// template.
pub async fn track(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let response = next.run(request).await;
    telemetry::service::http_request(
        &method,
        route.as_deref(),
        response.status(),
        start.elapsed(),
    );
    response
}
