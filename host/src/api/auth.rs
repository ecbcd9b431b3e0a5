//! Who is calling: the bearer token of a request checked against
//! `[auth]`, and its role against what the route needs. The caller found
//! is put in the request's extensions for the handlers (the audit trail
//! records it).
//!
//! Tokens are compared as SHA-256 digests, in constant time, and every
//! configured token is compared on every request, so neither the time of
//! a refusal nor that of an acceptance says how much of a guess was right
//! or which token it came close to.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::ApiError;
use super::state::AppState;
use crate::config::Role;
use crate::config::auth::{ApiToken, digest_of};

/// The caller of a request, once let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name; `local` when the service runs without tokens.
    pub name: String,
    /// What the caller may do.
    pub role: Role,
}

impl Caller {
    /// The caller of a service that runs without tokens (on loopback, or
    /// behind a proxy that authenticates): anyone, with every role.
    pub fn local() -> Caller {
        Caller {
            name: "local".into(),
            role: Role::Operator,
        }
    }
}

/// Lets in callers with at least the client role.
pub async fn client(State(state): State<AppState>, request: Request, next: Next) -> Response {
    gate(&state, Role::Client, request, next).await
}

/// Lets in operators only.
pub async fn operator(State(state): State<AppState>, request: Request, next: Next) -> Response {
    gate(&state, Role::Operator, request, next).await
}

async fn gate(state: &AppState, needed: Role, mut request: Request, next: Next) -> Response {
    let config = state.config.get();
    let caller = if config.auth.enabled() {
        match identify_request(request.headers(), &config.auth.tokens) {
            Ok(token) => Caller {
                name: token.name.clone(),
                role: token.role,
            },
            Err(refusal) => {
                tracing::info!(path = %request.uri().path(), reason = refusal.code, "request refused: not authenticated");
                return refusal.into_response();
            }
        }
    } else {
        Caller::local()
    };
    if !caller.role.grants(needed) {
        tracing::info!(path = %request.uri().path(), caller = %caller.name, "request refused: role");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "the token `{}` has the {} role; this endpoint needs the {} role",
                caller.name,
                caller.role.as_str(),
                needed.as_str()
            ),
        )
        .into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// A 401, with the challenge RFC 6750 asks for.
#[derive(Debug)]
struct Unauthenticated {
    code: &'static str,
    message: &'static str,
    /// The `error` attribute of the challenge; none when no token was sent.
    challenge_error: Option<&'static str>,
}

impl IntoResponse for Unauthenticated {
    fn into_response(self) -> Response {
        let mut response =
            ApiError::new(StatusCode::UNAUTHORIZED, self.code, self.message).into_response();
        let challenge = match self.challenge_error {
            Some(e) => format!("Bearer realm=\"escalator\", error=\"{e}\""),
            None => "Bearer realm=\"escalator\"".into(),
        };
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

fn identify_request<'a>(
    headers: &HeaderMap,
    tokens: &'a [ApiToken],
) -> Result<&'a ApiToken, Unauthenticated> {
    let malformed = Unauthenticated {
        code: "invalid_request",
        message: "the Authorization header must be `Bearer TOKEN`, once",
        challenge_error: Some("invalid_request"),
    };
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = match (values.next(), values.next()) {
        (Some(value), None) => value,
        (None, _) => {
            return Err(Unauthenticated {
                code: "unauthenticated",
                message: "this endpoint needs a bearer token: `Authorization: Bearer TOKEN`",
                challenge_error: None,
            });
        }
        (Some(_), Some(_)) => return Err(malformed),
    };
    let value = value
        .to_str()
        .map_err(|_| Unauthenticated { ..malformed })?;
    let Some((scheme, token)) = value.split_once(' ') else {
        return Err(malformed);
    };
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed);
    }
    identify(tokens, token).ok_or(Unauthenticated {
        code: "invalid_token",
        message: "the bearer token is not one this service accepts",
        challenge_error: Some("invalid_token"),
    })
}

/// The configured token `presented` is, if any. Compares digests in
/// constant time and never stops early.
pub fn identify<'a>(tokens: &'a [ApiToken], presented: &str) -> Option<&'a ApiToken> {
    let digest = digest_of(presented);
    let mut found = None;
    for token in tokens {
        if bool::from(token.digest.ct_eq(&digest)) {
            found = Some(token);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(name: &str, secret: &str, role: Role) -> ApiToken {
        ApiToken {
            name: name.into(),
            role,
            from: "sha256".into(),
            digest: digest_of(secret),
        }
    }

    #[test]
    fn tokens_are_matched_by_digest() {
        let tokens = [
            token("a", "aaaaaaaaaaaaaaaaaaaa", Role::Client),
            token("b", "bbbbbbbbbbbbbbbbbbbb", Role::Operator),
        ];
        assert_eq!(identify(&tokens, "bbbbbbbbbbbbbbbbbbbb").unwrap().name, "b");
        assert!(identify(&tokens, "bbbbbbbbbbbbbbbbbbb").is_none());
        assert!(identify(&tokens, "").is_none());

        let mut headers = HeaderMap::new();
        assert_eq!(
            identify_request(&headers, &tokens).unwrap_err().code,
            "unauthenticated"
        );
        headers.insert(header::AUTHORIZATION, "Basic YTpi".parse().unwrap());
        assert_eq!(
            identify_request(&headers, &tokens).unwrap_err().code,
            "invalid_request"
        );
        headers.insert(
            header::AUTHORIZATION,
            "bearer aaaaaaaaaaaaaaaaaaaa".parse().unwrap(),
        );
        assert_eq!(identify_request(&headers, &tokens).unwrap().name, "a");
        headers.append(
            header::AUTHORIZATION,
            "Bearer bbbbbbbbbbbbbbbbbbbb".parse().unwrap(),
        );
        assert_eq!(
            identify_request(&headers, &tokens).unwrap_err().code,
            "invalid_request",
            "two tokens in one request are refused, not tried in turn"
        );
    }
}
