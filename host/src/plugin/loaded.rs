//! A plugin that passed the load gate: what it is, how it is configured,
//! and what it keeps between calls.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::abi::{Rule, RulePre};
use super::bindings::types as wit;
use super::breaker::Breaker;
use super::interface::Version;
use super::sandbox::PluginState;
use super::secrets::Secrets;
use crate::config::PluginConfig;
use crate::signing::Verification;

/// What a plugin says about itself (`describe`), in host form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginInfo {
    /// The name the plugin gives itself.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// One line on what the rule does.
    pub description: String,
}

/// A plugin that passed every load step and can vote.
pub struct LoadedPlugin {
    /// The plugin's identity: its file name without `.wasm`.
    pub name: Arc<str>,
    /// The file it was loaded from.
    pub file: PathBuf,
    /// The sha256 of that file, hex.
    pub sha256: String,
    /// What the plugin says about itself.
    pub info: PluginInfo,
    /// The operator's configuration the plugin was loaded with.
    pub config: PluginConfig,
    /// The `escalator:rules` version it was built against.
    pub interface: Option<Version>,
    /// The settings the plugin declares.
    pub specs: Vec<wit::SettingSpec>,
    /// The resolved settings, handed to every call.
    pub settings: Vec<wit::Setting>,
    /// The values of its secret settings, scrubbed from everything it
    /// prints, logs and returns.
    pub secrets: Arc<Secrets>,
    /// The parts of the input it says it reads (`None`: all of them).
    pub reads: Option<wit::InputParts>,
    /// When it went live.
    pub loaded_at: DateTime<Utc>,
    /// What its verify step found: who signed it, if anyone.
    pub signature: Verification,
    /// Quarantines this version when it keeps failing.
    pub breaker: Breaker,
    pub(super) pre: RulePre,
    /// Idle instances kept for reuse (`instances = "reuse"`).
    pub(super) warm: Mutex<Vec<Warm>>,
    /// Copies of `settings` that calls lend into the shared input and give
    /// back, so a call does not clone every setting string.
    pub(super) spare_settings: Mutex<Vec<Vec<wit::Setting>>>,
    /// A moving average of its recent call times, in microseconds: a
    /// decision starts its slowest plugins first.
    pub(super) cost_us: AtomicU64,
}

/// An instance kept for reuse, with the calls it has served.
pub(super) struct Warm {
    pub(super) store: wasmtime::Store<PluginState>,
    pub(super) rule: Rule,
    pub(super) calls: u32,
}

impl LoadedPlugin {
    /// What a call of this plugin has recently taken, in microseconds (0
    /// before its first call).
    pub fn typical_cost_us(&self) -> u64 {
        self.cost_us.load(Ordering::Relaxed)
    }

    /// Folds one call's time into [`LoadedPlugin::typical_cost_us`].
    pub(super) fn observe_cost(&self, elapsed_us: u64) {
        let old = self.cost_us.load(Ordering::Relaxed);
        let new = if old == 0 {
            elapsed_us
        } else {
            (old * 7 + elapsed_us) / 8
        };
        self.cost_us.store(new, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.name)
            .field("sha256", &self.sha256)
            .field("version", &self.info.version)
            .finish_non_exhaustive()
    }
}
