//! Opening the store a command reads: the config's, which must exist.

use std::path::Path;

use anyhow::Context;
use chrono::DateTime;

use crate::config::{Config, StoreConfig};
use crate::store::Db;

/// The `[store]` of the config file at `config`, or the defaults.
pub fn store_of(config: Option<&Path>) -> anyhow::Result<StoreConfig> {
    Ok(match config {
        Some(path) => Config::load(path)?.store,
        None => StoreConfig::default(),
    })
}

/// A `--since`/`--until` flag's RFC 3339 value as µs since the epoch.
pub fn flag_time(flag: &str, value: Option<&str>) -> anyhow::Result<Option<i64>> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.timestamp_micros())
                .with_context(|| format!("--{flag} {v:?} is not an RFC 3339 time"))
        })
        .transpose()
}

/// Opens the store of `config` (`ESCALATOR_STORE_URL` wins). A SQLite file
/// must exist already: a mistyped path must not create an empty database
/// and report on nothing.
pub async fn open_existing(config: &StoreConfig) -> anyhow::Result<Db> {
    let url = config.effective_url();
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        && !Path::new(path).exists()
    {
        anyhow::bail!("no decision log at {path}");
    }
    Db::open(&url).await
}
