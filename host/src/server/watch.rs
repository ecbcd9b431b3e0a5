//! Hot reload: watches the plugins directory and the config file's directory,
//! and reloads on change. A plugin's signature file (`X.wasm.sig`) counts
//! as a change of the plugin.
//!
//! Directories are watched, not files: editors save by writing a temporary
//! file and renaming it over the old one, and Kubernetes ConfigMap volumes
//! swap a `..data` symlink, neither of which a per-file watch sees. Events are
//! debounced so a burst (a save, a copy landing in several writes) becomes one
//! reload, and every reload rescans everything. Only events that can change
//! content count: the reload's own reads raise open and access events, and
//! reacting to those made the watcher rescan ~75 times a second forever.
//! Reloads, the first load at start included, run on their own thread, off
//! the request path and off the async runtime.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use notify::event::{EventKind, ModifyKind};
use notify::{Event, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use crate::audit::{self, Audit};
use crate::config::live::{ConfigReload, LiveConfig};
use crate::plugin::Registry;
use crate::signing;

/// How long the watched directories must be quiet before a reload starts.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// A running watch; dropping it stops watching and ends the reload thread.
pub struct Watch {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    registry: Arc<Registry>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        // The registry holds a sender to the reload thread (for finished
        // compilations) and the thread holds the registry: without this the
        // channel never closes, the thread never ends, and the runtime with
        // its reserved address space is never freed.
        self.registry.clear_waker();
    }
}

/// Whether an event can mean changed content: creations, writes, renames
/// (the ConfigMap `..data` swap is one) and removals. Opens, reads, closes
/// (every write before a close already raised its own event) and metadata
/// changes cannot.
fn changes_content(event: &Event) -> bool {
    !matches!(
        event.kind,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
    )
}

/// Starts watching, and the reload thread, whose first job is loading the
/// plugins present now.
pub fn start(
    config: Arc<LiveConfig>,
    registry: Arc<Registry>,
    audit: Audit,
) -> notify::Result<Watch> {
    let (tx, rx) = channel::<Instant>();
    registry.set_waker(tx.clone());

    let plugins_dir = config.get().plugins_dir.clone();
    let source = config.source();
    let config_dir: Option<PathBuf> = source.as_ref().map(|p| {
        p.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .to_owned()
    });
    // The config file's directory is watched for the config file alone (and
    // a ConfigMap's `..data` swap): a log file written beside it would
    // otherwise make every logged line a rescan.
    let separate_config_dir = config_dir
        .clone()
        .filter(|dir| !same_dir(dir, &plugins_dir));
    let config_name = source
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|n| n.to_owned());
    let concerns_us = move |event: &Event| {
        event.paths.is_empty()
            || event.paths.iter().any(|path| {
                // A plugin's signature is part of the plugin (signing after
                // copying the file must load it); another `.sig` file is
                // none of ours.
                if path.extension().is_some_and(|e| e == "sig") {
                    return signing::plugin_of(path).is_some();
                }
                let in_config_dir = separate_config_dir
                    .as_deref()
                    .is_some_and(|dir| path.parent() == Some(dir));
                let name = path.file_name();
                !in_config_dir
                    || name == config_name.as_deref()
                    || name.is_some_and(|n| n.to_string_lossy().starts_with(".."))
            })
    };

    let mut debouncer =
        new_debouncer(
            DEBOUNCE,
            None,
            move |result: DebounceEventResult| match result {
                Ok(events) => {
                    let first = events
                        .iter()
                        .filter(|e| changes_content(&e.event) && concerns_us(&e.event))
                        .map(|e| e.time)
                        .min();
                    if let Some(first) = first {
                        let _ = tx.send(first);
                    }
                }
                Err(errors) => {
                    for e in errors {
                        tracing::error!("file watch error: {e}");
                    }
                }
            },
        )?;

    debouncer.watch(&plugins_dir, RecursiveMode::NonRecursive)?;
    if let Some(dir) = &config_dir
        && !same_dir(dir, &plugins_dir)
    {
        debouncer.watch(dir, RecursiveMode::NonRecursive)?;
    }

    let thread_registry = registry.clone();
    std::thread::Builder::new()
        .name("escalator-reload".into())
        .spawn(move || {
            let registry = thread_registry;
            let started = Instant::now();
            let dir = config.get().plugins_dir.clone();
            tracing::info!(dir = %dir.display(), "loading plugins");
            let before = registry.current();
            let summary = registry.reload(&config.get(), started);
            audit::changes::plugins(&audit, &before, &registry.current(), &summary);
            crate::telemetry::service::plugins_reloaded(&summary);
            let retry = summary.retry_after.map(|d| Instant::now() + d);
            if registry.is_ready() {
                log_ready(&registry, started);
            }
            reload_loop(rx, config, registry, audit, retry, started)
        })?;
    Ok(Watch {
        _debouncer: debouncer,
        registry,
    })
}

fn same_dir(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn log_ready(registry: &Registry, started: Instant) {
    let set = registry.current();
    tracing::info!(
        generation = set.generation,
        active = set.active.len(),
        failed = set.status.len() - set.active.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "plugins loaded; ready"
    );
}

/// Waits for events (or for a retry of a half-written file, or for a
/// compilation to end) and reloads the configuration, then the plugins
/// under the configuration now in force.
fn reload_loop(
    rx: Receiver<Instant>,
    config: Arc<LiveConfig>,
    registry: Arc<Registry>,
    audit: Audit,
    mut retry: Option<Instant>,
    started: Instant,
) {
    loop {
        let since = match retry {
            Some(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(t) => t,
                Err(RecvTimeoutError::Timeout) => at,
                Err(RecvTimeoutError::Disconnected) => return,
            },
            None => match rx.recv() {
                Ok(t) => t,
                Err(_) => return,
            },
        };
        // One save can reach us as two debounced batches (its write, then
        // its rename or close): wait one debounce period, then drain what
        // queued up meanwhile, so one reload covers it all.
        std::thread::sleep(DEBOUNCE);
        let since = rx.try_iter().fold(since, Instant::min);
        retry = None;

        let config_before = config.status();
        let reloaded = config.reload(|candidate| registry.check_settings(candidate));
        audit::changes::config_reload(&audit, &config_before, &reloaded, &config.status());
        if let ConfigReload::Applied = reloaded {
            tracing::info!(
                event_to_live_ms = since.elapsed().as_secs_f64() * 1000.0,
                "new configuration live"
            );
        }
        let was_ready = registry.is_ready();
        let before = registry.current();
        let summary = registry.reload(&config.get(), since);
        audit::changes::plugins(&audit, &before, &registry.current(), &summary);
        crate::telemetry::service::plugins_reloaded(&summary);
        if let Some(after) = summary.retry_after {
            retry = Some(Instant::now() + after);
        }
        if !was_ready && registry.is_ready() {
            log_ready(&registry, started);
        }
    }
}
