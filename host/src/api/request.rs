//! `POST /v1/decide`'s request, taken apart before the handler sees it:
//! the query string, the content headers, the readiness of the service, a
//! request slot, and the body, read within its size and time limits.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use tokio::sync::OwnedSemaphorePermit;

use super::state::AppState;
use super::{ApiError, MAX_BODY_BYTES, memory};
use crate::config::Config;
use crate::decision::input::Conversation;

/// A decision request whose body has arrived, holding one of the
/// `server.max_concurrent_requests` slots until it is dropped.
pub struct DecideRequest {
    /// `?explain=true`.
    pub explain: bool,
    /// The configuration in force when the request arrived; the decision
    /// is made with it.
    pub config: Arc<Config>,
    /// The version and file sha256 of `config`, for the decision log.
    pub config_version: (u64, Option<String>),
    body: Vec<u8>,
    _slot: OwnedSemaphorePermit,
    _large: memory::LargeBody,
}

impl DecideRequest {
    /// Parses the body (CPU work: call it off the async workers), within
    /// the configured input limits, and lets go of its bytes. The request
    /// keeps its slot until it is dropped: hold it until the decision is made.
    pub fn conversation(&mut self) -> Result<Conversation, ApiError> {
        let body = std::mem::take(&mut self.body);
        Ok(Conversation::from_json_within(
            &body,
            chrono::Utc::now(),
            &self.config.input,
        )?)
    }
}

impl FromRequest<AppState> for DecideRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let explain = explain_flag(parts.uri.query())?;
        check_json_head(&parts.headers, "the conversation")?;
        if !state.registry.is_ready() {
            return Err(ApiError::starting());
        }
        // Bodies are read and decided at most `max_concurrent_requests` at a
        // time: a burst of large requests waits here instead of holding a
        // megabyte each in memory at once.
        let slot = state
            .requests
            .clone()
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        // Taken together, so the log records the version decided with.
        let (config, version, sha256) = state.config.snapshot();
        let config_version = (version, sha256);
        let body = read_json_body(body, config.server.body_read_timeout_ms).await?;
        let large = memory::note_body(body.len());
        Ok(DecideRequest {
            explain,
            config,
            config_version,
            body,
            _slot: slot,
            _large: large,
        })
    }
}

/// Checks a JSON request's head before its body is read: no compression,
/// a JSON content type, a declared length not far beyond the limit. `what`
/// names the body in the message (`the conversation`, `the events`).
pub(super) fn check_json_head(headers: &HeaderMap, what: &str) -> Result<(), ApiError> {
    if let Some(e) = unsupported_encoding(headers) {
        return Err(e);
    }
    if !is_json(headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send {what} as JSON with `Content-Type: application/json`"),
        ));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_CAP) {
        return Err(too_large());
    }
    Ok(())
}

/// Reads a body of at most [`MAX_BODY_BYTES`] within `timeout_ms`
/// (`server.body_read_timeout_ms`): 413 beyond the size, 408 beyond the time.
pub(super) async fn read_json_body(body: Body, timeout_ms: u64) -> Result<Vec<u8>, ApiError> {
    match tokio::time::timeout(Duration::from_millis(timeout_ms), read_body(body)).await {
        Ok(read) => read.ok_or_else(too_large),
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!("the body did not arrive within {timeout_ms} ms (server.body_read_timeout_ms)"),
        )),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body exceeds {MAX_BODY_BYTES} bytes"),
    )
}

/// Reads the query string: `explain` at most once, and nothing else. A
/// parameter given twice (`?explain=1&explain=0`) is refused rather than
/// guessed at.
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
