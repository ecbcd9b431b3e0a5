//! What `GET /v1/plugins` shows of each plugin file: serving or not, which
//! version, and how the latest attempt to load a new version went.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::gate::LoadFailure;
use super::interface;
use super::loaded::LoadedPlugin;
use crate::signing::Verification;

/// Whether a plugin file is serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LoadState {
    /// It votes.
    Active,
    /// It never loaded; see `error`.
    Failed,
    /// Turned off in the configuration.
    Disabled,
}

/// The outcome of the latest attempt to load a new version of a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AttemptOutcome {
    /// The candidate went live.
    Loaded,
    /// The candidate failed the gate; see `error`.
    Failed,
}

/// The latest attempt to load a new version of a plugin (a changed file or a
/// changed configuration).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Attempt {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// The sha256 of the candidate file.
    pub sha256: String,
    /// What came of it.
    pub outcome: AttemptOutcome,
}

/// The status of one plugin file, as shown by `GET /v1/plugins`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PluginStatus {
    /// The plugin's identity: its file name without `.wasm`.
    pub name: String,
    /// The file.
    #[schema(value_type = String)]
    pub file: PathBuf,
    /// Active, failed or disabled.
    pub status: LoadState,
    /// The serving version's own version string.
    pub version: Option<String>,
    /// The serving version's description.
    pub description: Option<String>,
    /// The `escalator:rules` interface version the serving version was built against.
    pub interface: Option<String>,
    /// The sha256 of the serving version's file.
    pub sha256: Option<String>,
    /// The serving version's signature: `verified` (with the signing key's
    /// name and id and the signed digest), `unverified` (with the problem;
    /// only where signatures are not required) or `unsigned`.
    pub signature: Option<Verification>,
    /// When the serving version went live.
    pub loaded_at: Option<DateTime<Utc>>,
    /// The generation in which the serving version went live.
    pub generation: Option<u64>,
    /// The weight applied to its votes.
    pub weight: f64,
    /// The settings it runs with, defaults filled in; a secret one as
    /// `{"secret": true, "set": …, "sha256": "<12 hex digits>"}` (and
    /// `from`, when read from the environment or a file).
    pub settings: serde_json::Value,
    /// The latest attempt to load a new version.
    pub last_attempt: Option<Attempt>,
    /// Set when the latest attempt failed. On an active plugin this is a
    /// rejected candidate: the version above kept serving.
    pub error: Option<LoadFailure>,
}

impl PluginStatus {
    pub(super) fn active(
        p: &LoadedPlugin,
        generation: u64,
        last_attempt: Option<Attempt>,
        error: Option<LoadFailure>,
    ) -> Self {
        PluginStatus {
            name: p.name.to_string(),
            file: p.file.clone(),
            status: LoadState::Active,
            version: Some(p.info.version.clone()),
            description: Some(p.info.description.clone()),
            interface: p.interface.map(|v| format!("{}@{v}", interface::PACKAGE)),
            sha256: Some(p.sha256.clone()),
            signature: Some(p.signature.clone()),
            loaded_at: Some(p.loaded_at),
            generation: Some(generation),
            weight: p.config.weight,
            settings: p.settings_json(),
            last_attempt,
            error,
        }
    }

    pub(super) fn inactive(name: &str, file: &Path, status: LoadState, weight: f64) -> Self {
        PluginStatus {
            name: name.to_owned(),
            file: file.to_owned(),
            status,
            version: None,
            description: None,
            interface: None,
            sha256: None,
            signature: None,
            loaded_at: None,
            generation: None,
            weight,
            settings: serde_json::Value::Null,
            last_attempt: None,
            error: None,
        }
    }
}
