//! Limits on the request head (target length, header size and count),
//! answered in the API's JSON error shape before any handler runs.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, MAX_HEADER_BYTES, MAX_HEADERS, MAX_URI_BYTES};

/// Refuses a request whose target or headers exceed the API's limits.
pub async fn limits(request: Request, next: Next) -> Response {
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request target is {uri} bytes; at most {MAX_URI_BYTES} are accepted"),
        )
        .into_response();
    }
    let headers = request.headers();
    // Each line as sent: name, ": ", value, CRLF.
    let size: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers.len() > MAX_HEADERS || size > MAX_HEADER_BYTES {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!(
                "the request has {} header lines, {size} bytes; at most {MAX_HEADERS} lines \
                 and {MAX_HEADER_BYTES} bytes are accepted",
                headers.len()
            ),
        )
        .into_response();
    }
    next.run(request).await
}
