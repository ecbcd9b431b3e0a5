//! `escalator log export`: the decision log (or its outcome events) as JSON
//! lines, oldest first, read a page at a time so that a large log costs
//! little memory.

use std::io::Write;
use std::path::Path;

use super::store::{flag_time, open_existing, store_of};

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
    let store = store_of(config)?;
    let (since, until) = (flag_time("since", since)?, flag_time("until", until)?);
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
