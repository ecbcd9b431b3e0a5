//! `escalator kpis`: the handoff-quality report of a window, read from the
//! store named by the config file (or `ESCALATOR_STORE_URL`), as a table,
//! JSON or CSV.

use std::io::Write;
use std::path::Path;

use chrono::Utc;

use super::store::open_existing;
use crate::config::{Config, KpiConfig};
use crate::kpi::render;
use crate::kpi::{Window, WindowArgs, compute};

/// How the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KpiFormat {
    /// A readable table.
    Table,
    /// The JSON of `GET /v1/kpis`.
    Json,
    /// `metric,value` rows.
    Csv,
}

/// Writes the report of `args` to `out`.
pub fn run(
    config: Option<&Path>,
    args: &WindowArgs<'_>,
    format: KpiFormat,
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    let (store, settings) = match config {
        Some(path) => {
            let c = Config::load(path)?;
            (c.store, c.kpi)
        }
        None => (Default::default(), KpiConfig::default()),
    };
    let now = Utc::now();
    let window =
        Window::parse(args, now).map_err(|e| anyhow::anyhow!("--{}: {}", e.field, e.message))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let db = open_existing(&store).await?;
        let report = compute(&db, &window, &settings, now).await;
        db.close().await;
        anyhow::Ok(report?)
    })?;
    match format {
        KpiFormat::Table => render::table(&report, out)?,
        KpiFormat::Csv => render::csv(&report, out)?,
        KpiFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
    }
    Ok(0)
}
