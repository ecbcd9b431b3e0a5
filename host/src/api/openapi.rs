//! The OpenAPI 3.1 document of the API, served at `GET /openapi.json` and
//! printed by `escalator openapi`. It is derived from the handlers'
//! `#[utoipa::path]` attributes and the request and response types
//! themselves, so it changes when they do; `docs/openapi.json` is a copy
//! that a test keeps equal to it.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, schema::Type};
use utoipa::{Modify, OpenApi, ToSchema};

use super::error::Body as ErrorBody;
use super::{MAX_HEADER_BYTES, MAX_HEADERS, MAX_URI_BYTES};
use super::{audit, handlers, kpi, log, replay, review, scrape};

/// The name of the bearer security scheme in the document.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Escalator",
        description = "Decides when an AI-handled support conversation must go to a human.\n\n\
            Every error answers `{\"error\": {\"code\", \"message\", \"field\"}}` with a JSON \
            content type. Beside the statuses listed per operation: any unknown path is a 404 \
            `not_found`, and a known path with another method a 405 `method_not_allowed` with \
            an `Allow` header.\n\n\
            Authentication: with `[auth]` tokens configured, each `/v1` operation needs \
            `Authorization: Bearer TOKEN` of a role that grants it (security requirement \
            `bearer` with the role needed: `client` for deciding and reporting outcomes, \
            `operator` for everything else; an operator may do what a client does). The \
            probes and this document are open. Without tokens, the service listens on \
            loopback only and lets every caller in.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        handlers::decide,
        log::outcomes,
        handlers::plugins,
        handlers::config,
        log::decisions,
        log::decision,
        log::conversation,
        log::status,
        kpi::kpis,
        review::review,
        replay::replay,
        audit::audit,
        scrape::metrics,
        handlers::healthz,
        handlers::readyz,
        document,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Common),
    tags(
        (name = "decisions", description = "Asking for a decision."),
        (name = "decision log", description = "What was decided and what happened after."),
        (name = "operations", description = "The plugins and the configuration in force."),
        (name = "probes", description = "Liveness, readiness and this document."),
    ),
)]
struct ApiDoc;

/// What every operation shares: the security scheme, the refusals of the
/// request head (checked before any handler), and, on protected
/// operations, the refusals of authentication.
struct Common;

impl Modify for Common {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token of `[auth]`; the requirement lists the role the operation \
                         needs (`client` or `operator`).",
                    ))
                    .build(),
            ),
        );
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_head_refusals(op);
                if is_protected(op) {
                    add_auth_refusals(op);
                }
            }
        }
    }
}

/// An operation is open when its only requirement is the empty one.
fn is_protected(op: &Operation) -> bool {
    let open = utoipa::openapi::security::SecurityRequirement::default();
    op.security
        .as_ref()
        .is_some_and(|s| s.iter().any(|r| *r != open))
}

fn error(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(ErrorBody::name())))
            .build(),
    )
}

fn add_head_refusals(op: &mut Operation) {
    let responses = &mut op.responses.responses;
    responses.insert(
        "414".into(),
        error(&format!(
            "`uri_too_long`: the request target exceeds {MAX_URI_BYTES} bytes."
        ))
        .build()
        .into(),
    );
    responses.insert(
        "431".into(),
        error(&format!(
            "`headers_too_large`: more than {MAX_HEADERS} header lines or {MAX_HEADER_BYTES} \
             bytes of them."
        ))
        .build()
        .into(),
    );
}

fn add_auth_refusals(op: &mut Operation) {
    let responses = &mut op.responses.responses;
    let challenge = HeaderBuilder::new()
        .schema(utoipa::openapi::ObjectBuilder::new().schema_type(Type::String))
        .description(Some(
            "`Bearer realm=\"escalator\"`, with `error=\"invalid_request\"` or \
             `error=\"invalid_token\"` when a token was sent.",
        ))
        .build();
    responses.insert(
        "401".into(),
        error(
            "`unauthenticated`: no bearer token; `invalid_request`: the `Authorization` \
             header is not `Bearer TOKEN`, once; `invalid_token`: no such token.",
        )
        .header("WWW-Authenticate", challenge)
        .build()
        .into(),
    );
    responses.insert(
        "403".into(),
        error("`forbidden`: the token's role does not grant this operation.")
            .build()
            .into(),
    );
}

/// The document as a value.
pub fn document_value() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as pretty-printed JSON with a final newline: the form of
/// `docs/openapi.json`.
pub fn json() -> String {
    let mut text = document_value()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// `GET /openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "probes",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.", content_type = "application/json", body = Object)),
)]
pub async fn document() -> Response {
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(json).as_str();
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}
