//! The plugin set and its reloads.
//!
//! A [`PluginSet`] is immutable. A reload scans the directory, builds a whole
//! new set (reusing plugins whose file and configuration did not change) and
//! swaps it in atomically; a decision takes the current set once at its start
//! and finishes on it, whatever reloads happen meanwhile.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde::Serialize;
use wasmtime::component::Component;

use super::loader::{
    LoadFailure, LoadStep, LoadedPlugin, check_cost, compile, looks_incomplete, sha256_hex,
};
use super::sandbox::Runtime;
use super::settings;
use crate::config::{Config, LoadLimits, PluginConfig};
use crate::files::{self, ReadError};

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
    /// Files still compiling on their own threads; each wakes the reload
    /// thread when it is done.
    pub compiling: Vec<String>,
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
    /// The sha256 of every file read in the current scan.
    seen: std::collections::HashSet<String>,
}

/// A compilation running on its own thread, or its result waiting to be
/// picked up by the next rescan.
enum Job {
    Running {
        plugin: String,
        since: DateTime<Utc>,
    },
    Done(Result<Component, String>),
}

/// Holds the current plugin set and replaces it on reload.
pub struct Registry {
    runtime: Arc<Runtime>,
    current: ArcSwap<PluginSet>,
    state: Mutex<ReloadState>,
    /// Compilations by file sha256. Each file compiles on its own thread, so
    /// one slow file never holds up the others or the reload thread.
    jobs: Arc<Mutex<HashMap<String, Job>>>,
    /// Wakes the reload thread when a compilation ends.
    waker: Mutex<Option<Sender<Instant>>>,
    /// True once the first plugin set is live.
    ready: AtomicBool,
    /// Directory scans so far.
    scans: AtomicU64,
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
    /// The file is compiling on its own thread; leave everything as it was
    /// until it is done.
    Compiling,
}

impl Registry {
    /// An empty registry (generation 0) over `runtime`.
    pub fn new(runtime: Arc<Runtime>) -> Registry {
        Registry {
            runtime,
            current: ArcSwap::from_pointee(PluginSet::default()),
            state: Mutex::new(ReloadState::default()),
            jobs: Arc::default(),
            waker: Mutex::new(None),
            ready: AtomicBool::new(false),
            scans: AtomicU64::new(0),
        }
    }

    /// Where compilations report that they are done (the reload thread's
    /// channel). Without one, [`Registry::reload`] waits for them itself.
    pub fn set_waker(&self, waker: Sender<Instant>) {
        *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(waker);
    }

    /// Drops the reload thread's sender, so the thread ends once the watch
    /// that feeds it is gone.
    pub fn clear_waker(&self) {
        *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// True once the first plugin set is live: every file present at start
    /// has loaded or failed.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// How many times the plugins directory has been scanned.
    pub fn scans(&self) -> u64 {
        self.scans.load(Ordering::Relaxed)
    }

    /// Plugins whose new file is compiling, with when it started.
    pub fn compiling(&self) -> Vec<(String, DateTime<Utc>)> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<_> = jobs
            .values()
            .filter_map(|j| match j {
                Job::Running { plugin, since } => Some((plugin.clone(), *since)),
                Job::Done(_) => None,
            })
            .collect();
        list.sort();
        list
    }

    /// Blocks until the first plugin set is live (for callers that start a
    /// service outside the HTTP path: benchmarks).
    pub fn wait_ready(&self) {
        while !self.is_ready() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Scans until no file is compiling (for callers without a reload
    /// thread: the command line, tests, benchmarks).
    pub fn reload_until_settled(&self, config: &Config) -> ReloadSummary {
        loop {
            let summary = self.reload(config, Instant::now());
            if summary.compiling.is_empty() {
                return summary;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The compile step, off the reload thread: starts compiling `bytes` on
    /// a thread of its own, or picks up the result of an earlier start.
    fn compile_in_background(
        &self,
        plugin: &str,
        bytes: &[u8],
        sha: &str,
        load: &LoadLimits,
    ) -> Result<Option<Component>, (Option<&'static str>, String)> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        match jobs.remove(sha) {
            Some(Job::Done(result)) => return result.map(Some).map_err(|m| (None, m)),
            Some(running @ Job::Running { .. }) => {
                jobs.insert(sha.to_owned(), running);
                return Ok(None);
            }
            None => {}
        }
        check_cost(bytes, load).map_err(|m| (Some("function_too_large"), m))?;
        jobs.insert(
            sha.to_owned(),
            Job::Running {
                plugin: plugin.to_owned(),
                since: Utc::now(),
            },
        );
        let runtime = self.runtime.clone();
        let jobs = self.jobs.clone();
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let (name, owned, key) = (plugin.to_owned(), bytes.to_vec(), sha.to_owned());
        let spawned = std::thread::Builder::new()
            .name(format!("escalator-compile-{plugin}"))
            .spawn(move || {
                let (plugin, bytes, sha) = (name, owned, key);
                let started = Instant::now();
                tracing::info!(plugin = %plugin, bytes = bytes.len(), "compiling plugin");
                let result = compile(&runtime, &bytes, &sha);
                let elapsed_ms = started.elapsed().as_millis() as u64;
                match &result {
                    Ok(_) => tracing::info!(plugin = %plugin, elapsed_ms, "plugin compiled"),
                    Err(e) => {
                        tracing::warn!(plugin = %plugin, elapsed_ms, "plugin did not compile: {e}")
                    }
                }
                jobs.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(sha, Job::Done(result));
                if let Some(waker) = waker {
                    let _ = waker.send(Instant::now());
                }
            });
        if let Err(e) = spawned {
            let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            jobs.remove(sha);
            return Err((None, format!("cannot start a compilation thread: {e}")));
        }
        Ok(None)
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
        self.scans.fetch_add(1, Ordering::Relaxed);
        let previous = self.current.load_full();
        let generation = previous.generation + 1;

        let candidates = match scan(&config.plugins_dir) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(dir = %config.plugins_dir.display(), "cannot read plugins directory: {e}");
                self.ready.store(true, Ordering::Release);
                return ReloadSummary {
                    generation: previous.generation,
                    ..ReloadSummary::default()
                };
            }
        };
        state
            .arriving
            .retain(|name, _| candidates.iter().any(|c| &c.name == name));
        state.seen.clear();

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
            let mut verdict = self.judge(&mut state, &previous, c, old, &plugin_config, config);
            // Two files whose plugins call themselves by the same name, under
            // the same configuration, would both vote the same vote: a
            // plugin copied (or an old version left) under a second file
            // name counts twice. The first file (by name) keeps it. A copy
            // with its own configuration (other settings, limits, failure
            // policy) is a deliberate second instance and loads.
            if let Verdict::Live { plugin, fresh } = &verdict
                && let Some(holder) = next.active.iter().find(|p| p.info.name == plugin.info.name)
            {
                if holder.config == plugin.config {
                    verdict = Verdict::Failed(LoadFailure {
                        step: LoadStep::Describe,
                        kind: Some("duplicate_name"),
                        message: format!(
                            "the plugin calls itself {:?}, as {} already does, with the same \
                             configuration: it would vote twice, so this file is not loaded \
                             (give it its own [plugins.{}] section to run a second instance)",
                            plugin.info.name,
                            holder.file.display(),
                            c.name
                        ),
                        sha256: plugin.sha256.clone(),
                        at: Utc::now(),
                    });
                } else if *fresh {
                    tracing::warn!(
                        plugin = %c.name,
                        same_as = %holder.name,
                        "a second instance of plugin {:?} with its own configuration",
                        plugin.info.name
                    );
                }
            }
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
                Verdict::Arriving | Verdict::Compiling => {
                    if matches!(verdict, Verdict::Compiling) {
                        summary.compiling.push(c.name.clone());
                    } else {
                        summary.retry_after = Some(SETTLE_GRACE);
                    }
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
        // A finished compilation of a file that changed meanwhile is no
        // longer wanted.
        let seen = &state.seen;
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|sha, job| matches!(job, Job::Running { .. }) || seen.contains(sha));
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
        // The first set waits for every file present at start, so the
        // service never serves without a plugin that is merely slow to
        // compile (readiness says so meanwhile).
        if !self.is_ready() && !summary.compiling.is_empty() {
            summary.generation = previous.generation;
            return summary;
        }
        // Generations and failures of unchanged files are carried over, so an
        // unchanged directory compares equal and does not bump the generation.
        if same_active && previous.status == next.status {
            summary.generation = previous.generation;
            self.ready.store(true, Ordering::Release);
            return summary;
        }

        self.current.store(Arc::new(next));
        self.ready.store(true, Ordering::Release);
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
        config: &Config,
    ) -> Verdict {
        let cap = config.load.max_file_mib << 20;
        let bytes = match files::read_regular(&c.path, cap, "load.max_file_mib") {
            Ok(b) => b,
            // Gone between the scan and the read (deleted or renamed away):
            // the next event rescans.
            Err(ReadError::NotFound) => return Verdict::Arriving,
            // Refused before any compilation work: a bound of the compile step.
            Err(e @ ReadError::TooLarge { .. }) => {
                return Verdict::Failed(LoadFailure {
                    step: LoadStep::Compile,
                    kind: Some("too_large"),
                    message: e.to_string(),
                    sha256: String::new(),
                    at: Utc::now(),
                });
            }
            Err(e) => {
                return Verdict::Failed(LoadFailure {
                    step: LoadStep::Read,
                    kind: None,
                    message: format!("cannot read {}: {e}", c.path.display()),
                    sha256: String::new(),
                    at: Utc::now(),
                });
            }
        };
        let sha = sha256_hex(&bytes);
        state.seen.insert(sha.clone());
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
        if let Some(r) = previous.rejected.get(&c.name).filter(|r| {
            r.failure.sha256 == sha
                    && r.config == *plugin_config
                    // The file holding the name may have gone since.
                    && r.failure.kind != Some("duplicate_name")
        }) {
            return Verdict::Failed(r.failure.clone());
        }

        let component = match state.compiled.get(&sha) {
            Some(component) => component,
            None => match self.compile_in_background(&c.name, &bytes, &sha, &config.load) {
                Ok(Some(component)) => {
                    state.compiled.insert(sha.clone(), component.clone());
                    component
                }
                Ok(None) => return Verdict::Compiling,
                Err((kind, message)) => {
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
                        kind,
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
