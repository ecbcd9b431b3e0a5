//! `escalator openapi`: prints the API's OpenAPI document, the source of
//! `docs/openapi.json`.

use std::io::Write;

/// Writes the document as `GET /openapi.json` serves it.
pub fn run(out: &mut dyn Write) -> anyhow::Result<i32> {
    out.write_all(crate::api::openapi::json().as_bytes())?;
    Ok(0)
}
