//! The plugin set and its reloads.
//!
//! A [`PluginSet`] is immutable. A reload scans the directory, builds a whole
//! new set (reusing plugins whose file and configuration did not change) and
//! swaps it in atomically; a decision takes the current set once at its start
//! and finishes on it, whatever reloads happen meanwhile.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde::Serialize;
use wasmtime::component::Component;

use super::loader::{LoadFailure, LoadStep, LoadedPlugin, compile, looks_incomplete, sha256_hex};
use super::sandbox::Runtime;
use super::settings;
use crate::config::{Config, PluginConfig};

/// How long a file that looks half-written (cut off mid-section) may stay
/// unchanged before it is judged broken rather than still arriving.
pub const SETTLE_GRACE: Duration = Duration::from_millis(1000);

/// How many compiled components are kept for reuse, so that flipping a
/// plugin between versions (or back after a bad deploy) does not recompile.
const COMPILED_CACHE_ENTRIES: usize = 8;

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

/// The outcome of the latest attempt to load a new version of a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttemptOutcome {
    /// The candidate went live.
    Loaded,
    /// The candidate failed the gate; see `error`.
    Failed,
}

/// The latest attempt to load a new version of a plugin (a changed file or a
/// changed configuration).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// The sha256 of the candidate file.
    pub sha256: String,
    /// What came of it.
    pub outcome: AttemptOutcome,
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
    /// The `escalator:rules` interface version the serving version was built against.
    pub interface: Option<String>,
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
    /// The latest attempt to load a new version.
    pub last_attempt: Option<Attempt>,
    /// Set when the latest attempt failed. On an active plugin this is a
    /// rejected candidate: the version above kept serving.
    pub error: Option<LoadFailure>,
}

impl PluginStatus {
    fn active(
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
            interface: p
                .interface
                .map(|v| format!("{}@{v}", super::interface::PACKAGE)),
            sha256: Some(p.sha256.clone()),
            loaded_at: Some(p.loaded_at),
            generation: Some(generation),
            weight: p.config.weight,
            settings: settings::to_json(&p.settings),
            last_attempt,
            error,
        }
    }

    fn inactive(name: &str, file: &Path, status: LoadState, weight: f64) -> Self {
        PluginStatus {
            name: name.to_owned(),
            file: file.to_owned(),
            status,
            version: None,
            description: None,
            interface: None,
            sha256: None,
            loaded_at: None,
            generation: None,
            weight,
            settings: serde_json::Value::Null,
            last_attempt: None,
            error: None,
        }
    }
}

/// What a reload did.
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
    /// Set when a file looked half-written: scan again after this long.
    pub retry_after: Option<Duration>,
}

/// A `.wasm` file found in the plugins directory.
struct Candidate {
    name: String,
    path: PathBuf,
}

/// Lists `*.wasm` files, following symlinks (Kubernetes ConfigMap volumes are
/// made of them). Hidden entries, such as ConfigMap's `..data` or an editor's
/// `.x.wasm.swp`, are skipped.
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

/// Compiled components by file sha256, least recently used first out.
#[derive(Default)]
struct CompiledCache {
    entries: HashMap<String, (Component, u64)>,
    clock: u64,
}

impl CompiledCache {
    fn get(&mut self, sha: &str) -> Option<Component> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(sha).map(|(c, used)| {
            *used = clock;
            c.clone()
        })
    }

    fn insert(&mut self, sha: String, component: Component) {
        self.clock += 1;
        if self.entries.len() >= COMPILED_CACHE_ENTRIES
            && let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
        {
            self.entries.remove(&oldest);
        }
        self.entries.insert(sha, (component, self.clock));
    }
}

/// A file that looked half-written when last seen.
struct Arriving {
    sha256: String,
    since: Instant,
}

/// Mutable bookkeeping of reloads, behind one lock so reloads never race.
#[derive(Default)]
struct ReloadState {
    compiled: CompiledCache,
    arriving: HashMap<String, Arriving>,
}

/// Holds the current plugin set and replaces it on reload.
pub struct Registry {
    runtime: Arc<Runtime>,
    current: ArcSwap<PluginSet>,
    state: Mutex<ReloadState>,
}

/// What happened to one candidate file.
enum Verdict {
    /// Keep serving this plugin; `fresh` when it is a new version.
    Live {
        plugin: Arc<LoadedPlugin>,
        fresh: bool,
    },
    /// The candidate failed the gate.
    Failed(LoadFailure),
    /// The file looks half-written; leave everything as it was for now.
    Arriving,
}

impl Registry {
    /// An empty registry (generation 0) over `runtime`.
    pub fn new(runtime: Arc<Runtime>) -> Registry {
        Registry {
            runtime,
            current: ArcSwap::from_pointee(PluginSet::default()),
            state: Mutex::new(ReloadState::default()),
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

    /// Checks every configured plugin setting against what the loaded
    /// plugins declare, so a config edit with an unknown or mistyped setting
    /// can be refused as a whole before it replaces the live one.
    pub fn check_settings(&self, config: &Config) -> Result<(), String> {
        let set = self.current();
        for p in &set.active {
            if let Some(pc) = config.plugins.get(&*p.name) {
                settings::resolve(&p.specs, &pc.settings)
                    .map_err(|e| format!("plugins.{}.settings: {e}", p.name))?;
            }
        }
        Ok(())
    }

    /// Scans the plugins directory and swaps in a new set if anything
    /// changed. A file that fails to load never removes a working version of
    /// the same plugin: that version keeps serving and the failure is shown
    /// beside it. `since` is when the triggering event happened, for the log.
    pub fn reload(&self, config: &Config, since: Instant) -> ReloadSummary {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
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
        state
            .arriving
            .retain(|name, _| candidates.iter().any(|c| &c.name == name));

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
                next.status.push(PluginStatus::inactive(
                    &c.name,
                    &c.path,
                    LoadState::Disabled,
                    plugin_config.weight,
                ));
                continue;
            }
            let verdict = self.judge(&mut state, &previous, c, old, &plugin_config);
            let live_since = || old_status.and_then(|s| s.generation).unwrap_or(generation);
            let last_attempt = || old_status.and_then(|s| s.last_attempt.clone());
            match verdict {
                Verdict::Live {
                    plugin,
                    fresh: true,
                } => {
                    summary.loaded.push(c.name.clone());
                    let attempt = Attempt {
                        at: plugin.loaded_at,
                        sha256: plugin.sha256.clone(),
                        outcome: AttemptOutcome::Loaded,
                    };
                    next.status.push(PluginStatus::active(
                        &plugin,
                        generation,
                        Some(attempt),
                        None,
                    ));
                    next.active.push(plugin);
                }
                Verdict::Live {
                    plugin,
                    fresh: false,
                } => {
                    let error = old_status.and_then(|s| s.error.clone());
                    next.status.push(PluginStatus::active(
                        &plugin,
                        live_since(),
                        last_attempt(),
                        error,
                    ));
                    next.active.push(plugin);
                }
                Verdict::Failed(failure) => {
                    let attempt = Attempt {
                        at: failure.at,
                        sha256: failure.sha256.clone(),
                        outcome: AttemptOutcome::Failed,
                    };
                    let fresh = previous
                        .rejected
                        .get(&c.name)
                        .is_none_or(|r| r.failure != failure);
                    if fresh {
                        summary.failed.push(c.name.clone());
                    }
                    next.rejected.insert(
                        c.name.clone(),
                        Rejected {
                            failure: failure.clone(),
                            config: plugin_config.clone(),
                        },
                    );
                    match old {
                        Some(p) => {
                            next.status.push(PluginStatus::active(
                                p,
                                live_since(),
                                Some(attempt),
                                Some(failure),
                            ));
                            next.active.push(p.clone());
                        }
                        None => {
                            let mut s = PluginStatus::inactive(
                                &c.name,
                                &c.path,
                                LoadState::Failed,
                                plugin_config.weight,
                            );
                            s.sha256 = Some(failure.sha256.clone());
                            s.last_attempt = Some(attempt);
                            s.error = Some(failure);
                            next.status.push(s);
                        }
                    }
                }
                Verdict::Arriving => {
                    summary.retry_after = Some(SETTLE_GRACE);
                    if let Some(s) = old_status {
                        next.status.push(s.clone());
                    }
                    if let Some(p) = old {
                        next.active.push(p.clone());
                    }
                    if let Some(r) = previous.rejected.get(&c.name) {
                        next.rejected.insert(c.name.clone(), r.clone());
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
        if same_active && previous.status == next.status {
            summary.generation = previous.generation;
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
            event_to_live_ms = since.elapsed().as_secs_f64() * 1000.0,
            "plugin set swapped"
        );
        for name in &summary.failed {
            if let Some(e) = self
                .current
                .load()
                .status
                .iter()
                .find(|s| &s.name == name)
                .and_then(|s| s.error.as_ref())
            {
                tracing::warn!(plugin = %name, step = ?e.step, sha256 = %e.sha256, "plugin candidate rejected: {}", e.message);
            }
        }
        summary
    }

    /// Decides what to do with one candidate file.
    fn judge(
        &self,
        state: &mut ReloadState,
        previous: &PluginSet,
        c: &Candidate,
        old: Option<&Arc<LoadedPlugin>>,
        plugin_config: &PluginConfig,
    ) -> Verdict {
        let bytes = match std::fs::read(&c.path) {
            Ok(b) => b,
            // Gone between the scan and the read (deleted or renamed away):
            // the next event rescans.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Verdict::Arriving,
            Err(e) => {
                return Verdict::Failed(LoadFailure {
                    step: LoadStep::Read,
                    message: format!("cannot read {}: {e}", c.path.display()),
                    sha256: String::new(),
                    at: Utc::now(),
                });
            }
        };
        let sha = sha256_hex(&bytes);
        // Unchanged file and configuration: keep the live plugin.
        if let Some(p) = old.filter(|p| p.sha256 == sha && p.config == *plugin_config) {
            state.arriving.remove(&c.name);
            return Verdict::Live {
                plugin: p.clone(),
                fresh: false,
            };
        }
        // The same broken file under the same configuration: keep the
        // recorded failure rather than recompiling it on every event.
        if let Some(r) = previous
            .rejected
            .get(&c.name)
            .filter(|r| r.failure.sha256 == sha && r.config == *plugin_config)
        {
            return Verdict::Failed(r.failure.clone());
        }

        let component = match state.compiled.get(&sha) {
            Some(component) => component,
            None => match compile(&self.runtime, &bytes, &sha) {
                Ok(component) => {
                    state.compiled.insert(sha.clone(), component.clone());
                    component
                }
                Err(message) => {
                    if looks_incomplete(&bytes, &message) {
                        let arriving =
                            state
                                .arriving
                                .entry(c.name.clone())
                                .or_insert_with(|| Arriving {
                                    sha256: sha.clone(),
                                    since: Instant::now(),
                                });
                        if arriving.sha256 != sha {
                            arriving.sha256 = sha.clone();
                            arriving.since = Instant::now();
                        }
                        if arriving.since.elapsed() < SETTLE_GRACE {
                            tracing::debug!(plugin = %c.name, "file looks half-written; waiting for it to settle");
                            return Verdict::Arriving;
                        }
                    }
                    state.arriving.remove(&c.name);
                    return Verdict::Failed(LoadFailure {
                        step: LoadStep::Compile,
                        message,
                        sha256: sha,
                        at: Utc::now(),
                    });
                }
            },
        };
        state.arriving.remove(&c.name);
        match LoadedPlugin::load(
            &self.runtime,
            &c.name,
            &c.path,
            &sha,
            &component,
            plugin_config,
        ) {
            Ok(p) => Verdict::Live {
                plugin: Arc::new(p),
                fresh: true,
            },
            Err(f) => Verdict::Failed(f),
        }
    }
}
