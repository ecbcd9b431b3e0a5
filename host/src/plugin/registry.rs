//! The plugin set and its reloads.
//!
//! A [`PluginSet`] is immutable. A reload scans the directory, builds a whole
//! new set (reusing plugins whose file and configuration did not change) and
//! swaps it in atomically; a decision takes the current set once at its start
//! and finishes on it, whatever reloads happen meanwhile.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};

use super::cache::compiled::CompiledCache;
use super::compile_jobs::CompileJobs;
use super::file::{PluginFile, Unreadable};
use super::gate::{LoadFailure, LoadStep, looks_incomplete};
use super::loaded::LoadedPlugin;
use super::sandbox::Runtime;
use super::settings;
use super::status::{Attempt, AttemptOutcome, LoadState, PluginStatus};
use crate::config::{Config, PluginConfig};
use crate::decision::vote::FailureKind;

/// How long a file that looks half-written (cut off mid-section) may stay
/// unchanged before it is judged broken rather than still arriving.
pub const SETTLE_GRACE: Duration = Duration::from_millis(1000);

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

impl PluginSet {
    /// One line per plugin file that did not load (name, step, message):
    /// a policy judged without it is not the one its author meant.
    pub fn load_failures(&self) -> Vec<String> {
        self.status
            .iter()
            .filter_map(|s| {
                let e = s.error.as_ref()?;
                Some(format!(
                    "plugin {} did not load ({}): {}",
                    s.name, e.step, e.message
                ))
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
struct Rejected {
    failure: LoadFailure,
    config: PluginConfig,
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
    seen: HashSet<String>,
}

/// Holds the current plugin set and replaces it on reload.
pub struct Registry {
    runtime: Arc<Runtime>,
    current: ArcSwap<PluginSet>,
    state: Mutex<ReloadState>,
    /// Compilations, each file on its own thread.
    jobs: CompileJobs,
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
            jobs: CompileJobs::default(),
            ready: AtomicBool::new(false),
            scans: AtomicU64::new(0),
        }
    }

    /// Where compilations report that they are done (the reload thread's
    /// channel). Without one, [`Registry::reload`] waits for them itself.
    pub fn set_waker(&self, waker: Sender<Instant>) {
        self.jobs.set_waker(Some(waker));
    }

    /// Drops the reload thread's sender, so the thread ends once the watch
    /// that feeds it is gone.
    pub fn clear_waker(&self) {
        self.jobs.set_waker(None);
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
        self.jobs.running()
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
            generation: previous.generation + 1,
            ..PluginSet::default()
        };
        let mut summary = ReloadSummary::default();
        for c in &candidates {
            self.place(&mut state, &previous, &mut next, &mut summary, c, config);
        }
        // A finished compilation of a file that changed meanwhile is no
        // longer wanted.
        self.jobs.keep_only(&state.seen);
        summary.removed = previous
            .status
            .iter()
            .filter(|s| !candidates.iter().any(|c| c.name == s.name))
            .map(|s| s.name.clone())
            .collect();
        self.publish(&previous, next, summary, since)
    }

    /// Gives candidate `c` its place in `next`: serving (the new version or
    /// the old one), failed, disabled, or as it was while it is still
    /// arriving or compiling.
    fn place(
        &self,
        state: &mut ReloadState,
        previous: &PluginSet,
        next: &mut PluginSet,
        summary: &mut ReloadSummary,
        c: &Candidate,
        config: &Config,
    ) {
        let generation = next.generation;
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
            return;
        }
        // The previous version keeps serving through a failed candidate only
        // while the trust policy in force would still let it in: a key
        // removed from `[trust]` is revoked for what is already running too.
        let withdrawn = old.filter(|p| !config.trust.permits(&c.name, &p.signature));
        if let Some(p) = withdrawn {
            tracing::warn!(
                plugin = %c.name,
                signature = ?p.signature,
                "the serving version is no longer permitted by [trust]; withdrawn"
            );
        }
        let old = old.filter(|_| withdrawn.is_none());
        let old_status = old_status.filter(|_| withdrawn.is_none());
        let mut verdict = self.judge(state, previous, c, old, &plugin_config, config);
        if let Some(failure) = duplicate(&verdict, next, c) {
            verdict = Verdict::Failed(failure);
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
                let mut error = old_status.and_then(|s| s.error.clone());
                let mut attempt = last_attempt();
                // This very file was refused at its signature, which holds
                // now (it was signed again): the refusal is over, and
                // showing it would say the serving file is unsigned.
                if error
                    .as_ref()
                    .is_some_and(|e| e.step == LoadStep::Verify && e.sha256 == plugin.sha256)
                {
                    error = None;
                    attempt = Some(Attempt {
                        at: Utc::now(),
                        sha256: plugin.sha256.clone(),
                        outcome: AttemptOutcome::Loaded,
                    });
                }
                next.status
                    .push(PluginStatus::active(&plugin, live_since(), attempt, error));
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

    /// Swaps `next` in, unless nothing changed or the first set is still
    /// waiting for a file to compile.
    fn publish(
        &self,
        previous: &PluginSet,
        next: PluginSet,
        mut summary: ReloadSummary,
        since: Instant,
    ) -> ReloadSummary {
        let generation = next.generation;
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

        for name in &summary.failed {
            if let Some(e) = next
                .status
                .iter()
                .find(|s| &s.name == name)
                .and_then(|s| s.error.as_ref())
            {
                tracing::warn!(plugin = %name, step = %e.step, sha256 = %e.sha256, "plugin candidate rejected: {}", e.message);
            }
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
        let file = match PluginFile::read(&c.path, &config.load) {
            Ok(file) => file,
            // Gone between the scan and the read (deleted or renamed away):
            // the next event rescans.
            Err(Unreadable::Gone) => return Verdict::Arriving,
            Err(Unreadable::Refused(failure)) => return Verdict::Failed(failure),
        };
        let sha = &file.sha256;
        state.seen.insert(sha.clone());
        // Checked on every scan, before anything is reused: a signature
        // removed or replaced beside an unchanged file, or a changed
        // `[trust]`, must be seen. It costs a small read and one ed25519
        // verification.
        let verification = match file.verify(&config.trust) {
            Ok(v) => v,
            Err(failure) => {
                return Verdict::Failed(same_refusal(previous, c, plugin_config, failure));
            }
        };
        // Unchanged file, configuration and signature: keep the live plugin.
        if let Some(p) = old.filter(|p| {
            p.sha256 == *sha && p.config == *plugin_config && p.signature == verification
        }) {
            state.arriving.remove(&c.name);
            return Verdict::Live {
                plugin: p.clone(),
                fresh: false,
            };
        }
        // The same broken file under the same configuration: keep the
        // recorded failure rather than recompiling it on every event.
        if let Some(r) = previous.rejected.get(&c.name).filter(|r| {
            r.failure.sha256 == *sha
                    && r.config == *plugin_config
                    // The file holding the name may have gone since.
                    && r.failure.kind != Some(FailureKind::DuplicateName)
                    // The signature passed this time.
                    && r.failure.step != LoadStep::Verify
        }) {
            return Verdict::Failed(r.failure.clone());
        }

        let component = match state.compiled.get(sha) {
            Some(component) => component,
            None => match self.jobs.compile(&self.runtime, &file, &config.load) {
                Ok(Some(component)) => {
                    state.compiled.insert(sha.clone(), component.clone());
                    component
                }
                Ok(None) => return Verdict::Compiling,
                Err(failure) => {
                    if failure.kind.is_none()
                        && looks_incomplete(&file.bytes, &failure.message)
                        && still_arriving(state, c, sha)
                    {
                        tracing::debug!(plugin = %c.name, "file looks half-written; waiting for it to settle");
                        return Verdict::Arriving;
                    }
                    state.arriving.remove(&c.name);
                    return Verdict::Failed(failure);
                }
            },
        };
        state.arriving.remove(&c.name);
        match file.load(&self.runtime, &component, plugin_config) {
            Ok(mut p) => {
                p.signature = verification;
                Verdict::Live {
                    plugin: Arc::new(p),
                    fresh: true,
                }
            }
            Err(f) => Verdict::Failed(f),
        }
    }
}

/// A refusal at the verify step, as recorded when the same file was refused
/// for the same reason under the same configuration: with its first time,
/// an unchanged directory compares equal and is not swapped again.
fn same_refusal(
    previous: &PluginSet,
    c: &Candidate,
    plugin_config: &PluginConfig,
    failure: LoadFailure,
) -> LoadFailure {
    previous
        .rejected
        .get(&c.name)
        .filter(|r| {
            r.failure.step == failure.step
                && r.failure.sha256 == failure.sha256
                && r.failure.message == failure.message
                && r.config == *plugin_config
        })
        .map_or(failure, |r| r.failure.clone())
}

/// Whether a file that looks half-written is still within its grace period:
/// the grace starts when its current contents were first seen.
fn still_arriving(state: &mut ReloadState, c: &Candidate, sha: &str) -> bool {
    let arriving = state
        .arriving
        .entry(c.name.clone())
        .or_insert_with(|| Arriving {
            sha256: sha.to_owned(),
            since: Instant::now(),
        });
    if arriving.sha256 != sha {
        arriving.sha256 = sha.to_owned();
        arriving.since = Instant::now();
    }
    arriving.since.elapsed() < SETTLE_GRACE
}

/// Two files whose plugins call themselves by the same name, under the same
/// configuration, would both vote the same vote: a plugin copied (or an old
/// version left) under a second file name counts twice. The first file (by
/// name) keeps it. A copy with its own configuration (other settings,
/// limits, failure policy) is a deliberate second instance and loads.
fn duplicate(verdict: &Verdict, next: &PluginSet, c: &Candidate) -> Option<LoadFailure> {
    let Verdict::Live { plugin, fresh } = verdict else {
        return None;
    };
    let holder = next
        .active
        .iter()
        .find(|p| p.info.name == plugin.info.name)?;
    if holder.config == plugin.config {
        return Some(LoadFailure::new(
            LoadStep::Describe,
            Some(FailureKind::DuplicateName),
            format!(
                "the plugin calls itself {:?}, as {} already does, with the same \
                 configuration: it would vote twice, so this file is not loaded \
                 (give it its own [plugins.{}] section to run a second instance)",
                plugin.info.name,
                holder.file.display(),
                c.name
            ),
            &plugin.sha256,
        ));
    }
    if *fresh {
        tracing::warn!(
            plugin = %c.name,
            same_as = %holder.name,
            "a second instance of plugin {:?} with its own configuration",
            plugin.info.name
        );
    }
    None
}
