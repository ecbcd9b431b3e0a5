//! Watches the plugins directory and reloads on change.
//!
//! The directory is watched, not the files: editors save by writing a
//! temporary file and renaming it over the old one, and Kubernetes ConfigMap
//! volumes swap a `..data` symlink, neither of which a per-file watch sees.
//! Events are debounced so that a burst (a save, a copy landing in several
//! writes) becomes one reload, and every reload rescans the whole directory,
//! so the kind of event never matters.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::registry::Registry;
use crate::config::Config;

/// How long the directory must be quiet before a reload starts.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// A running watch; dropping it stops watching.
pub type Watch = Debouncer<notify::RecommendedWatcher, RecommendedCache>;

/// Starts watching `dir` and reloads `registry` with the current `config` on
/// every debounced burst of events.
pub fn watch(
    dir: &Path,
    registry: Arc<Registry>,
    config: Arc<ArcSwap<Config>>,
) -> notify::Result<Watch> {
    let mut debouncer =
        new_debouncer(
            DEBOUNCE,
            None,
            move |result: DebounceEventResult| match result {
                Ok(events) if !events.is_empty() => {
                    let config = config.load_full();
                    registry.reload(&config);
                }
                Ok(_) => {}
                Err(errors) => {
                    for e in errors {
                        tracing::error!("watching the plugins directory failed: {e}");
                    }
                }
            },
        )?;
    debouncer.watch(dir, RecursiveMode::NonRecursive)?;
    Ok(debouncer)
}
