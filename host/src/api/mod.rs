//! The HTTP API: routes, the shared state ([`state`]), the decide request
//! taken apart ([`request`]), handlers, response views ([`views`]), the
//! error shape, and giving back the memory large bodies used ([`memory`]).
//!
//! - `POST /v1/decide`: a conversation in, a decision out.
//! - `GET /v1/plugins`: the plugin set and each plugin's status.
//! - `GET /v1/config`: the configuration in force and the latest refused edit.
//! - `GET /healthz`: liveness (`starting` until the first plugin set is
//!   live, then `ok`), with the serving generation.
//! - `GET /readyz`: 200 once the first plugin set is live, 503 before.
//! - The decision log ([`log`]): `POST /v1/outcomes`, `GET /v1/decisions`,
//!   `GET /v1/decisions/{id}`, `GET /v1/conversations/{id}`,
//!   `GET /v1/store`.
//! - The handoff KPIs ([`kpi`]): `GET /v1/kpis`; the review queue
//!   ([`review`]): `GET /v1/review`.
//! - Replay ([`replay`]): `POST /v1/replay`, the log decided again with a
//!   candidate configuration.
//! - `GET /metrics` ([`scrape`]): Prometheus metrics ([`crate::telemetry`]).
//! - `GET /openapi.json` ([`openapi`]): the OpenAPI document of all of these.

pub mod audit;
pub mod auth;
mod error;
mod handlers;
mod head;
mod kpi;
pub mod log;
pub mod memory;
pub mod openapi;
pub mod replay;
pub mod request;
mod review;
pub mod schemas;
pub mod scrape;
pub mod state;
pub mod views;

pub use error::ApiError;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;

use state::AppState;

/// Largest accepted request body; beyond it the answer is 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Longest accepted request target (path and query); beyond it, 414.
pub const MAX_URI_BYTES: usize = 8 << 10;

/// Largest accepted set of header lines, in bytes; beyond it, 431.
pub const MAX_HEADER_BYTES: usize = 16 << 10;

/// Most header lines accepted; beyond it, 431.
pub const MAX_HEADERS: usize = 100;

/// How much of a request head the HTTP layer buffers, so that heads up to
/// this size reach [`head::limits`] and get the API's JSON error; larger
/// ones are cut off by hyper with a bare 431.
pub const MAX_HEAD_BUFFER: usize = 256 << 10;

/// The service's routes with every layer, in one place.
///
/// Routes come in three groups by who may call them (see [`auth`]): open
/// to anyone (liveness and readiness, for probes that carry no token),
/// clients (asking for decisions and reporting outcomes), and operators
/// (everything that reads or changes configuration, plugins, the log).
pub fn router(state: AppState) -> Router {
    let open = Router::new()
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .route("/openapi.json", get(openapi::document));
    let clients = Router::new()
        .route("/v1/decide", post(handlers::decide))
        .route("/v1/outcomes", post(log::outcomes))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::client));
    let operators = Router::new()
        .route("/v1/plugins", get(handlers::plugins))
        .route("/v1/config", get(handlers::config))
        .route("/v1/decisions", get(log::decisions))
        .route("/v1/decisions/{id}", get(log::decision))
        .route("/v1/conversations/{id}", get(log::conversation))
        .route("/v1/store", get(log::status))
        .route("/v1/kpis", get(kpi::kpis))
        .route("/v1/review", get(review::review))
        .route("/v1/replay", post(replay::replay))
        .route("/v1/audit", get(audit::audit))
        .route("/metrics", get(scrape::metrics))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::operator,
        ));
    Router::new()
        .merge(open)
        .merge(clients)
        .merge(operators)
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        // The decide handler reads the body itself, with the 1 MiB limit and
        // the body timeout, so that an oversized or stalled body gets the
        // same JSON error shape as any other.
        .layer(middleware::from_fn(head::limits))
        .layer(TraceLayer::new_for_http())
        // Outermost, so it counts every answer, the limits' refusals too.
        .layer(middleware::from_fn(scrape::track))
        .with_state(state)
}
