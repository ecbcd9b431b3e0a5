//! `escalator log export`: the decision log (or its outcome events) as JSON
//! lines, oldest first, read a page at a time so that a large log costs
//! little memory.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use chrono::DateTime;

use super::store::open_existing;
use crate::config::{Config, StoreConfig};

/// Rows read per query.
const PAGE: i64 = 1000;

/// Writes the records of the store named by `config` (or
/// `ESCALATOR_STORE_URL`) to `out`.
pub fn export(
    config: Option<&Path>,
    since: Option<&str>,
    until: Option<&str>,
    events: bool,
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    let store = match config {
        Some(path) => Config::load(path)?.store,
        None => StoreConfig::default(),
    };
    let time = |flag: &str, v: Option<&str>| -> anyhow::Result<Option<i64>> {
        v.map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.timestamp_micros())
                .with_context(|| format!("--{flag} {v:?} is not an RFC 3339 time"))
        })
        .transpose()
    };
    let (since, until) = (time("since", since)?, time("until", until)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let db = open_existing(&store).await?;
        let mut written = 0u64;
        if events {
            let mut after = None;
            loop {
                let page = db.events_between(since, until, after, PAGE).await?;
                for (_, _, event) in &page {
                    writeln!(out, "{event}")?;
                }
                written += page.len() as u64;
                match page.last() {
                    Some((at, id, _)) if page.len() as i64 == PAGE => {
                        after = Some((*at, id.clone()))
                    }
                    _ => break,
                }
            }
        } else {
            let mut after = None;
            loop {
                let page = db.decisions_between(since, until, after, PAGE).await?;
                for (_, _, record) in &page {
                    writeln!(out, "{record}")?;
                }
                written += page.len() as u64;
                match page.last() {
                    Some((at, id, _)) if page.len() as i64 == PAGE => {
                        after = Some((*at, id.clone()))
                    }
                    _ => break,
                }
            }
        }
        db.close().await;
        tracing::info!(records = written, "exported");
        Ok(0)
    })
}
