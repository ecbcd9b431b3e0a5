//! The configuration in force, and its reloads from the config file.
//!
//! A reload reads the file, validates it completely and only then swaps it
//! in; a file that does not parse or validate is refused, logged and shown in
//! `GET /v1/config`, and the previous configuration keeps serving.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::files::{self, ReadError, sha256_hex};
use crate::config::{Config, ConfigError};

/// The largest config file read. Real ones are a few KiB; the cap keeps a
/// mistaken (or hostile) huge file from costing hundreds of MiB.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads a config file safely (regular files only, at most
/// [`MAX_CONFIG_BYTES`]).
pub fn read_config_file(path: &Path) -> Result<Vec<u8>, ConfigError> {
    files::read_regular(path, MAX_CONFIG_BYTES, "the config file limit").map_err(|e| {
        ConfigError::Read {
            path: path.to_owned(),
            source: match e {
                ReadError::Io(e) => e,
                ReadError::NotFound => std::io::ErrorKind::NotFound.into(),
                other => std::io::Error::other(other.to_string()),
            },
        }
    })
}

/// Values given on the command line; they win over the file on every reload.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<SocketAddr>,
    /// `--plugins`.
    pub plugins_dir: Option<PathBuf>,
}

/// A refused config file.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ConfigFailure {
    /// When it was refused.
    pub at: DateTime<Utc>,
    /// Why, naming the key.
    pub message: String,
    /// The sha256 of the refused file.
    pub sha256: String,
}

/// What `GET /v1/config` shows about the configuration.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConfigStatus {
    /// The file, when the service was started with one.
    #[schema(value_type = Option<String>)]
    pub source: Option<PathBuf>,
    /// The sha256 of the file content in force.
    pub sha256: Option<String>,
    /// When the configuration in force was loaded.
    pub loaded_at: DateTime<Utc>,
    /// Increases by one with every configuration that goes live.
    pub version: u64,
    /// The latest refused edit, if the latest edit was refused.
    pub last_error: Option<ConfigFailure>,
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigReload {
    /// The file content did not change (or there is no file).
    Unchanged,
    /// A new configuration is live.
    Applied,
    /// The edit was refused; the message says why.
    Refused(String),
}

/// The live configuration.
pub struct LiveConfig {
    current: ArcSwap<Config>,
    overrides: Overrides,
    status: Mutex<ConfigStatus>,
}

impl LiveConfig {
    /// A configuration that does not come from a file and never changes.
    pub fn fixed(config: Config) -> LiveConfig {
        LiveConfig {
            current: ArcSwap::from_pointee(config),
            overrides: Overrides::default(),
            status: Mutex::new(ConfigStatus {
                source: None,
                sha256: None,
                loaded_at: Utc::now(),
                version: 1,
                last_error: None,
            }),
        }
    }

    /// Loads `path`, applying `overrides`. At start there is nothing to fall
    /// back to, so an invalid file is an error.
    pub fn from_file(path: &Path, overrides: Overrides) -> Result<LiveConfig, ConfigError> {
        let (config, sha) = read(path, &overrides)?;
        Ok(LiveConfig {
            current: ArcSwap::from_pointee(config),
            overrides,
            status: Mutex::new(ConfigStatus {
                source: Some(path.to_owned()),
                sha256: Some(sha),
                loaded_at: Utc::now(),
                version: 1,
                last_error: None,
            }),
        })
    }

    /// The configuration in force. Hold the `Arc` for a whole decision.
    pub fn get(&self) -> Arc<Config> {
        self.current.load_full()
    }

    /// The configuration in force with its version and file sha256, taken
    /// under the status lock that a reload holds while it swaps, so the
    /// three always belong together.
    pub fn snapshot(&self) -> (Arc<Config>, u64, Option<String>) {
        let status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        (
            self.current.load_full(),
            status.version,
            status.sha256.clone(),
        )
    }

    /// The file the configuration comes from, if any.
    pub fn source(&self) -> Option<PathBuf> {
        self.status().source
    }

    /// A snapshot of the status.
    pub fn status(&self) -> ConfigStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads the file. `check` gets the candidate before it goes live
    /// (the plugin registry uses it to check plugin settings) and may refuse
    /// it. Settings that only take effect at start (`listen`, `plugins_dir`)
    /// keep their running values, with a warning.
    ///
    /// The file is read before the status lock is taken, so a slow or
    /// stalled read never holds up `GET /v1/config`.
    pub fn reload(&self, check: impl FnOnce(&Config) -> Result<(), String>) -> ConfigReload {
        let Some(path) = self.source() else {
            return ConfigReload::Unchanged;
        };
        let read = files::read_regular(&path, MAX_CONFIG_BYTES, "the config file limit");
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = match read {
            Ok(b) => b,
            // A ConfigMap swap or an editor's rename can leave a moment with
            // no file; the next event reads it again.
            Err(ReadError::NotFound) => return ConfigReload::Unchanged,
            Err(e) => {
                return refuse(
                    &mut status,
                    format!("cannot read {}: {e}", path.display()),
                    String::new(),
                );
            }
        };
        let sha = sha256_hex(&bytes);
        let already_seen = status.sha256.as_deref() == Some(&sha)
            || status.last_error.as_ref().is_some_and(|e| e.sha256 == sha);
        if already_seen {
            return ConfigReload::Unchanged;
        }
        // An empty file (or one of comments only) would silently replace
        // every section, fail-closed plugin settings included, with the
        // defaults: far more likely a truncated write than an intent.
        if is_blank(&bytes) {
            return refuse(
                &mut status,
                format!(
                    "{} is empty; refusing to replace the running configuration with the \
                     defaults (write at least one key to apply an edit)",
                    path.display()
                ),
                sha,
            );
        }
        let mut config = match parse(&path, &bytes, &self.overrides) {
            Ok(c) => c,
            Err(e) => return refuse(&mut status, e.to_string(), sha),
        };
        if let Err(message) = check(&config) {
            return refuse(&mut status, message, sha);
        }
        let running = self.current.load();
        // Removing the last token must not open a service that is reachable
        // from other machines.
        if let Err(message) = config.auth.check_exposure(running.listen) {
            return refuse(&mut status, message, sha);
        }
        for (key, changed) in [
            ("listen", config.listen != running.listen),
            ("plugins_dir", config.plugins_dir != running.plugins_dir),
            ("store", config.store != running.store),
            ("tls", config.tls != running.tls),
        ] {
            if changed {
                tracing::warn!(
                    key,
                    "this setting takes effect at the next restart; keeping the running value"
                );
            }
        }
        config.listen = running.listen;
        config.plugins_dir = running.plugins_dir.clone();
        config.store = running.store.clone();
        config.tls = running.tls.clone();
        self.current.store(Arc::new(config));
        status.sha256 = Some(sha);
        status.loaded_at = Utc::now();
        status.version += 1;
        status.last_error = None;
        tracing::info!(file = %path.display(), version = status.version, "configuration reloaded");
        crate::telemetry::service::config_edit("applied");
        ConfigReload::Applied
    }
}

fn refuse(status: &mut ConfigStatus, message: String, sha256: String) -> ConfigReload {
    tracing::error!("configuration edit refused, previous configuration kept: {message}");
    crate::telemetry::service::config_edit("refused");
    status.last_error = Some(ConfigFailure {
        at: Utc::now(),
        message: message.clone(),
        sha256,
    });
    ConfigReload::Refused(message)
}

fn parse(path: &Path, bytes: &[u8], overrides: &Overrides) -> Result<Config, ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ConfigError::Parse {
        path: path.to_owned(),
        message: "the file is not UTF-8 text".into(),
    })?;
    let mut config = Config::parse_file(path, text)?;
    if let Some(listen) = overrides.listen {
        config.listen = listen;
    }
    if let Some(dir) = &overrides.plugins_dir {
        config.plugins_dir = dir.clone();
    }
    Ok(config)
}

/// True when the file holds no TOML key at all.
fn is_blank(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .is_some_and(|t| t.is_empty())
}

fn read(path: &Path, overrides: &Overrides) -> Result<(Config, String), ConfigError> {
    let bytes = read_config_file(path)?;
    let config = parse(path, &bytes, overrides)?;
    Ok((config, sha256_hex(&bytes)))
}
