//! The one error shape of the API: `{"error": {"code", "message", "field"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::decision::input::InputError;

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine-readable code.
    pub code: &'static str,
    /// A sentence for the developer calling the API.
    pub message: String,
    /// The JSON path of the offending field, when there is one.
    pub field: Option<String>,
}

/// What every error answer holds.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ApiError)]
pub(super) struct Body<'a> {
    /// The error.
    error: Inner<'a>,
}

/// One error: what went wrong, for programs and for people.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorDetail)]
pub(super) struct Inner<'a> {
    /// A stable machine-readable code, for example `invalid_field`.
    code: &'a str,
    /// A sentence for the developer calling the API.
    message: &'a str,
    /// The JSON path of the offending field, or the query parameter or
    /// header at fault; `null` when no one field is.
    field: Option<&'a str>,
}

impl ApiError {
    /// An error without a field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// 404 for unknown routes.
    pub fn not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such endpoint; see README for the API",
        )
    }

    /// 503 while the first plugin set is still loading.
    pub fn starting() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "starting",
            "the service is starting: its plugins are still loading; retry shortly",
        )
    }

    /// 500; the detail goes to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {detail}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> ApiError {
        match e {
            InputError::Syntax { message } => ApiError {
                status: StatusCode::BAD_REQUEST,
                code: "malformed_json",
                message: format!("the body is not valid JSON: {message}"),
                field: None,
            },
            InputError::Field { field, message } => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_field",
                message,
                field: Some(field),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                field: self.field.as_deref(),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}
