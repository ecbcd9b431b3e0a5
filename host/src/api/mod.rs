//! The HTTP API: routes, handlers and the error shape.
//!
//! - `POST /v1/decide`: a conversation in, a decision out.
//! - `GET /v1/plugins`: the plugin set and each plugin's status.
//! - `GET /v1/config`: the configuration in force and the latest refused edit.
//! - `GET /healthz`: liveness, with the serving generation.

mod error;
mod handlers;

pub use error::ApiError;

use axum::Router;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;

use crate::server::AppState;

/// Largest accepted request body; beyond it the answer is 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The service's routes with every layer, in one place.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/decide", post(handlers::decide))
        .route("/v1/plugins", get(handlers::plugins))
        .route("/v1/config", get(handlers::config))
        .route("/healthz", get(handlers::healthz))
        .fallback(handlers::not_found)
        // The decide handler reads the body itself, with the 1 MiB limit, so
        // that an oversized body gets the same JSON error shape as any other.
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
