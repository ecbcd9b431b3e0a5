//! What `GET /v1/plugins` returns: the set's status, with each active
//! plugin's live health, limits and failure policy beside its status.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{FailurePolicy, Limits};
use crate::plugin::breaker::Health;
use crate::plugin::status::PluginStatus;

/// The plugins view.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PluginsView<'a> {
    /// The generation serving.
    pub generation: u64,
    /// Whether the first plugin set is live.
    pub ready: bool,
    /// Directory scans so far.
    pub scans: u64,
    /// Files compiling now.
    pub compiling: Vec<Compiling>,
    /// The directory watched.
    #[schema(value_type = String)]
    pub plugins_dir: PathBuf,
    /// Every plugin file.
    pub plugins: Vec<PluginView<'a>>,
}

/// A file compiling on its own thread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Compiling {
    /// The plugin.
    pub name: String,
    /// When its compilation started.
    pub since: DateTime<Utc>,
}

/// One plugin file: its status and, while it is active, how it is doing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PluginView<'a> {
    /// The status.
    #[serde(flatten)]
    pub status: &'a PluginStatus,
    /// Breaker and failure counts, for an active plugin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    /// The limits each call runs under, for an active plugin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// What a failure counts as, for an active plugin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<FailurePolicy>,
}
