//! The `[store]` section: where decisions and outcome events are kept, how
//! recording is buffered, what is masked and how long records live. Read at
//! start only: a running service keeps the store it opened.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};

use super::error::{ConfigError, in_range, invalid};

/// The environment variable that, when set, wins over `store.url`.
pub const STORE_URL_ENV: &str = "ESCALATOR_STORE_URL";

/// The store's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `false` runs without a store: nothing recorded, the read and outcome
    /// endpoints answer 503.
    pub enabled: bool,
    /// `sqlite://PATH` or `postgres://…`. Unset: a SQLite file under
    /// `data_dir`. Shown with its password hidden.
    #[serde(serialize_with = "redacted")]
    pub url: Option<String>,
    /// Where the embedded database and the spool live; relative to the
    /// config file's directory.
    pub data_dir: PathBuf,
    /// Records waiting for the writer; beyond it, records are dropped and
    /// counted rather than slow a decision down.
    pub queue_capacity: u32,
    /// The writer commits at least this often while records wait; after a
    /// `kill -9`, at most this much is lost.
    pub flush_interval_ms: u64,
    /// Records in one commit, at most.
    pub batch_max: u32,
    /// Cap on the spool that holds records while the database is down; at
    /// the cap the oldest are dropped, and counted.
    pub spool_max_mib: u64,
    /// Records older than this many days (by when they were recorded) are
    /// deleted in the background; 0 keeps them forever.
    pub retain_days: u32,
    /// Fields erased or replaced by a keyed hash before a record is kept.
    pub mask: MaskConfig,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            enabled: true,
            url: None,
            data_dir: PathBuf::from("data"),
            queue_capacity: 16_384,
            flush_interval_ms: 100,
            batch_max: 1_000,
            spool_max_mib: 1_024,
            retain_days: 90,
            mask: MaskConfig::default(),
        }
    }
}

/// What is masked in every record, OPA-style: dotted paths into the record
/// (`request.messages.text`, `request.customer.id`,
/// `request.customer.attributes.email`); arrays are walked element by
/// element.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MaskConfig {
    /// Paths whose values are removed.
    pub erase: Vec<String>,
    /// Paths whose values are replaced by an HMAC-SHA256 of the value, so
    /// that records of one customer still group together.
    pub hash: Vec<String>,
    /// The environment variable holding the hash key (required when `hash`
    /// is not empty).
    pub hash_key_env: Option<String>,
}

impl StoreConfig {
    /// Checks ranges and paths; `store.*` keys are named in the error.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        in_range(
            "store.queue_capacity",
            self.queue_capacity.into(),
            1,
            10_000_000,
        )?;
        in_range("store.flush_interval_ms", self.flush_interval_ms, 1, 60_000)?;
        in_range("store.batch_max", self.batch_max.into(), 1, 100_000)?;
        in_range("store.spool_max_mib", self.spool_max_mib, 1, 1 << 20)?;
        in_range("store.retain_days", self.retain_days.into(), 0, 36_500)?;
        if let Some(url) = &self.url {
            backend_of(url).map_err(|m| invalid("store.url", m))?;
        }
        for (key, paths) in [
            ("store.mask.erase", &self.mask.erase),
            ("store.mask.hash", &self.mask.hash),
        ] {
            for p in paths {
                if p.is_empty() || p.split('.').any(str::is_empty) {
                    return Err(invalid(
                        key,
                        format!("{p:?} is not a dotted path such as request.customer.id"),
                    ));
                }
            }
        }
        if !self.mask.hash.is_empty() && self.mask.hash_key_env.is_none() {
            return Err(invalid(
                "store.mask.hash_key_env",
                "hashing fields needs a key: name the environment variable that holds it",
            ));
        }
        Ok(())
    }

    /// Resolves a relative `data_dir` (and a relative SQLite path) against
    /// the config file's directory.
    pub(super) fn resolve(&mut self, base: &Path) {
        if self.data_dir.is_relative() {
            self.data_dir = base.join(&self.data_dir);
        }
    }

    /// The URL in force: `ESCALATOR_STORE_URL`, else `store.url`, else the
    /// embedded SQLite file under `data_dir`.
    pub fn effective_url(&self) -> String {
        if let Some(url) = std::env::var(STORE_URL_ENV).ok().filter(|u| !u.is_empty()) {
            return url;
        }
        match &self.url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("escalator.db").display()),
        }
    }
}

/// The database behind a store URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Which backend `url` names, or why it names none.
pub fn backend_of(url: &str) -> Result<Backend, String> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(format!(
            "{} is neither sqlite://PATH nor postgres://…",
            redact(url)
        ))
    }
}

/// `url` with its password replaced by `***`, for logs and `GET /v1/config`:
/// in the user part, and in a `password=` query parameter.
pub fn redact(url: &str) -> String {
    match url.split_once('?') {
        Some((base, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_owned(),
                })
                .collect();
            format!("{}?{}", redact_userinfo(base), query.join("&"))
        }
        None => redact_userinfo(url),
    }
}

fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

fn redacted<S: Serializer>(url: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match url {
        Some(u) => s.serialize_some(&redact(u)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("postgres://esc:s3cret@db:5432/escalator"),
            "postgres://esc:***@db:5432/escalator"
        );
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
        assert_eq!(
            redact("postgres://h/db?sslmode=require&password=s3cret"),
            "postgres://h/db?sslmode=require&password=***"
        );
    }

    #[test]
    fn backends_are_named_by_scheme() {
        assert_eq!(backend_of("sqlite://x.db"), Ok(Backend::Sqlite));
        assert_eq!(backend_of("postgresql://h/db"), Ok(Backend::Postgres));
        assert!(backend_of("mysql://h/db").is_err());
    }
}
