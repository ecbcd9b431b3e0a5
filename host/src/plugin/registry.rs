//! The plugin set and its reloads.
//!
//! A [`PluginSet`] is immutable. A reload scans the directory, builds a whole
//! new set (reusing plugins whose file and configuration did not change) and
//! swaps it in atomically; a decision takes the current set once at its start
//! and finishes on it, whatever reloads happen meanwhile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::loader::{LoadFailure, LoadStep, LoadedPlugin, sha256_hex};
use super::sandbox::Runtime;
use super::settings;
use crate::config::{Config, Limits, PluginConfig};

/// One generation of plugins.
#[derive(Debug, Default)]
pub struct PluginSet {
    /// Increases by one with every swap.
    pub generation: u64,
    /// The plugins that vote, sorted by name.
    pub active: Vec<Arc<LoadedPlugin>>,
    /// Every `.wasm` file seen, active or not, sorted by name.
    pub status: Vec<PluginStatus>,
    /// The latest failed candidate of each plugin, with the configuration it
    /// failed under, so an unchanged broken file is not recompiled.
    rejected: BTreeMap<String, Rejected>,
}

#[derive(Debug, Clone)]
struct Rejected {
    failure: LoadFailure,
    config: PluginConfig,
    limits: Limits,
}

/// Whether a plugin file is serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadState {
    /// It votes.
    Active,
    /// It never loaded; see `error`.
    Failed,
    /// Turned off in the configuration.
    Disabled,
}

/// The status of one plugin file, as shown by `GET /v1/plugins`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginStatus {
    /// The plugin's identity: its file name without `.wasm`.
    pub name: String,
    /// The file.
    pub file: PathBuf,
    /// Active, failed or disabled.
    pub status: LoadState,
    /// The serving version's own version string.
    pub version: Option<String>,
    /// The serving version's description.
    pub description: Option<String>,
    /// The sha256 of the serving version's file.
    pub sha256: Option<String>,
    /// When the serving version went live.
    pub loaded_at: Option<DateTime<Utc>>,
    /// The generation in which the serving version went live.
    pub generation: Option<u64>,
    /// The weight applied to its votes.
    pub weight: f64,
    /// The settings it runs with, defaults filled in.
    pub settings: serde_json::Value,
    /// The last failed load attempt of this file, if the latest attempt failed.
    /// On an active plugin this is a rejected candidate: the previous version
    /// kept serving.
    pub error: Option<LoadFailure>,
}

impl PluginStatus {
    fn active(p: &LoadedPlugin, generation: u64, error: Option<LoadFailure>) -> PluginStatus {
        PluginStatus {
            name: p.name.to_string(),
            file: p.file.clone(),
            status: LoadState::Active,
            version: Some(p.info.version.clone()),
            description: Some(p.info.description.clone()),
            sha256: Some(p.sha256.clone()),
            loaded_at: Some(p.loaded_at),
            generation: Some(generation),
            weight: p.config.weight,
            settings: settings::to_json(&p.settings),
            error,
        }
    }
}

/// Holds the current plugin set and replaces it on reload.
pub struct Registry {
    runtime: Arc<Runtime>,
    current: ArcSwap<PluginSet>,
    /// Reloads are serialised so two scans never race to publish.
    reloading: Mutex<()>,
}

/// What a reload did, for the log.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ReloadSummary {
    /// The generation now serving.
    pub generation: u64,
    /// Whether a new set was swapped in.
    pub swapped: bool,
    /// Plugins that went live (new or changed).
    pub loaded: Vec<String>,
    /// Plugins no longer present.
    pub removed: Vec<String>,
    /// Plugins whose candidate failed (the previous version, if any, kept serving).
    pub failed: Vec<String>,
}

/// A `.wasm` file found in the plugins directory.
struct Candidate {
    name: String,
    path: PathBuf,
}

/// Lists `*.wasm` files (following symlinks, as Kubernetes ConfigMap volumes
/// use them). Hidden entries such as ConfigMap's `..data` are skipped.
fn scan(dir: &Path) -> std::io::Result<Vec<Candidate>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(name) = file_name.strip_suffix(".wasm") else {
            continue;
        };
        if name.is_empty() || name.starts_with('.') || !path.is_file() {
            continue;
        }
        found.push(Candidate {
            name: name.to_owned(),
            path,
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

impl Registry {
    /// An empty registry (generation 0) over `runtime`.
    pub fn new(runtime: Arc<Runtime>) -> Registry {
        Registry {
            runtime,
            current: ArcSwap::from_pointee(PluginSet::default()),
            reloading: Mutex::new(()),
        }
    }

    /// The set serving now. Hold the `Arc` for the whole decision.
    pub fn current(&self) -> Arc<PluginSet> {
        self.current.load_full()
    }

    /// The shared sandbox runtime.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// Scans the plugins directory and swaps in a new set if anything
    /// changed. A file that fails to load never removes a working version of
    /// the same plugin: that version keeps serving and the failure is shown
    /// beside it.
    pub fn reload(&self, config: &Config) -> ReloadSummary {
        let _guard = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        let started = Instant::now();
        let previous = self.current.load_full();
        let generation = previous.generation + 1;

        let candidates = match scan(&config.plugins_dir) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(dir = %config.plugins_dir.display(), "cannot read plugins directory: {e}");
                return ReloadSummary {
                    generation: previous.generation,
                    ..ReloadSummary::default()
                };
            }
        };

        let mut next = PluginSet {
            generation,
            ..PluginSet::default()
        };
        let mut summary = ReloadSummary::default();
        for c in &candidates {
            let old = previous.active.iter().find(|p| *p.name == *c.name);
            let old_status = previous.status.iter().find(|s| s.name == c.name);
            let plugin_config = config.plugin(&c.name);
            if !plugin_config.enabled {
                next.status.push(PluginStatus {
                    name: c.name.clone(),
                    file: c.path.clone(),
                    status: LoadState::Disabled,
                    version: None,
                    description: None,
                    sha256: None,
                    loaded_at: None,
                    generation: None,
                    weight: plugin_config.weight,
                    settings: serde_json::Value::Null,
                    error: None,
                });
                continue;
            }
            let outcome = std::fs::read(&c.path)
                .map_err(|e| LoadFailure {
                    step: LoadStep::Read,
                    message: format!("cannot read {}: {e}", c.path.display()),
                    sha256: String::new(),
                    at: Utc::now(),
                })
                .and_then(|bytes| {
                    let sha = sha256_hex(&bytes);
                    // Unchanged file and configuration: keep the live plugin.
                    if let Some(p) = old.filter(|p| {
                        p.sha256 == sha && p.config == plugin_config && p.limits == config.limits
                    }) {
                        return Ok((p.clone(), true));
                    }
                    // The same broken file under the same configuration: keep
                    // the recorded failure rather than recompiling it on every
                    // directory event.
                    if let Some(r) = previous.rejected.get(&c.name).filter(|r| {
                        r.failure.sha256 == sha
                            && r.config == plugin_config
                            && r.limits == config.limits
                    }) {
                        return Err(r.failure.clone());
                    }
                    LoadedPlugin::load(
                        &self.runtime,
                        &c.name,
                        &c.path,
                        &bytes,
                        &plugin_config,
                        &config.limits,
                    )
                    .map(|p| (Arc::new(p), false))
                });
            match outcome {
                Ok((plugin, reused)) => {
                    let live_since = if reused {
                        old_status.and_then(|s| s.generation).unwrap_or(generation)
                    } else {
                        summary.loaded.push(c.name.clone());
                        generation
                    };
                    next.status
                        .push(PluginStatus::active(&plugin, live_since, None));
                    next.active.push(plugin);
                }
                Err(failure) => {
                    summary.failed.push(c.name.clone());
                    next.rejected.insert(
                        c.name.clone(),
                        Rejected {
                            failure: failure.clone(),
                            config: plugin_config.clone(),
                            limits: config.limits,
                        },
                    );
                    match old {
                        Some(p) => {
                            let live_since =
                                old_status.and_then(|s| s.generation).unwrap_or(generation);
                            next.status
                                .push(PluginStatus::active(p, live_since, Some(failure)));
                            next.active.push(p.clone());
                        }
                        None => next.status.push(PluginStatus {
                            name: c.name.clone(),
                            file: c.path.clone(),
                            status: LoadState::Failed,
                            version: None,
                            description: None,
                            sha256: Some(failure.sha256.clone()),
                            loaded_at: None,
                            generation: None,
                            weight: plugin_config.weight,
                            settings: serde_json::Value::Null,
                            error: Some(failure),
                        }),
                    }
                }
            }
        }
        summary.removed = previous
            .status
            .iter()
            .filter(|s| !candidates.iter().any(|c| c.name == s.name))
            .map(|s| s.name.clone())
            .collect();

        let same_active = previous.active.len() == next.active.len()
            && previous
                .active
                .iter()
                .zip(&next.active)
                .all(|(a, b)| Arc::ptr_eq(a, b));
        // Generations and failures of unchanged files are carried over, so an
        // unchanged directory compares equal and does not bump the generation.
        let same_status = previous.status == next.status;
        if same_active && same_status {
            summary.generation = previous.generation;
            summary.failed.clear();
            return summary;
        }

        self.current.store(Arc::new(next));
        summary.generation = generation;
        summary.swapped = true;
        tracing::info!(
            generation,
            loaded = ?summary.loaded,
            removed = ?summary.removed,
            failed = ?summary.failed,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "plugin set reloaded"
        );
        for s in self.current.load().status.iter() {
            if let Some(e) = &s.error
                && summary.failed.contains(&s.name)
            {
                tracing::warn!(plugin = %s.name, step = ?e.step, sha256 = %e.sha256, "plugin failed to load: {}", e.message);
            }
        }
        summary
    }
}
