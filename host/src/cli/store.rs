//! Opening the store a command reads: the config's, which must exist.

use std::path::Path;

use crate::config::StoreConfig;
use crate::store::Db;

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
