//! Deciding items again, on worker threads of replay's own: a replay never
//! takes the threads that serve live decisions, and in the server its
//! threads run at a lower scheduling priority, so the kernel gives the
//! serving threads the CPU first.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::case::Case;
use super::item::Item;
use crate::config::Config;
use crate::decide::decide_as;
use crate::plugin::{PluginSet, Registry, Runtime};

/// A rule set to decide with: a configuration and the plugins loaded under
/// it. Cheap to clone.
#[derive(Clone)]
pub struct Rules {
    /// The configuration.
    pub config: Arc<Config>,
    /// The plugins that vote.
    pub set: Arc<PluginSet>,
    /// The sandbox they run in.
    pub runtime: Arc<Runtime>,
}

impl Rules {
    /// `config`, made fit for replay ([`for_replay`]), with the plugins of
    /// `plugins_dir` loaded under it in `runtime`; with no directory, the
    /// built-in triggers alone.
    pub fn load(
        config: &Config,
        plugins_dir: Option<PathBuf>,
        runtime: Arc<Runtime>,
    ) -> anyhow::Result<Rules> {
        let mut config = for_replay(config);
        let set = match plugins_dir {
            Some(dir) => {
                // A missing directory would replay as "every plugin vote
                // removed", blamed on whatever else the candidate changed.
                if !dir.is_dir() {
                    anyhow::bail!(
                        "plugins directory {} does not exist (give the server's --plugins if it had one)",
                        dir.display()
                    );
                }
                config.plugins_dir = dir;
                let registry = Registry::new(runtime.clone());
                registry.reload_until_settled(&config);
                registry.current()
            }
            None => Arc::new(PluginSet::default()),
        };
        Ok(Rules {
            config: Arc::new(config),
            set,
            runtime,
        })
    }

    /// One line per plugin file that did not load: replay still runs
    /// without it, but then it judges a rule set other than the one meant.
    pub fn warnings(&self) -> Vec<String> {
        self.set.load_failures()
    }
}

/// How a replay uses the machine.
#[derive(Debug, Clone, Copy)]
pub struct Workers {
    /// Threads deciding at once.
    pub threads: usize,
    /// Run them at a lower priority than the process's other threads (the
    /// server's replays; the command line has the machine to itself).
    pub yield_to_serving: bool,
}

impl Workers {
    /// One thread per core.
    pub fn all_cores() -> Workers {
        Workers {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            yield_to_serving: false,
        }
    }
}

/// How many points of `nice` replay threads in the server give up.
#[cfg(target_os = "linux")]
const NICE: i32 = 10;

/// The configuration a rule set replays with: plugins' time limits
/// stretched, their circuit breakers out of reach, and fresh instances
/// for every call. A replay runs on
/// busy cores, far from the conditions a live decision met; fuel, which
/// does not depend on the machine, still bounds every call, and a breaker
/// that quarantined a plugin half-way through would change the votes of
/// every later decision.
pub fn for_replay(config: &Config) -> Config {
    let mut config = config.clone();
    config.decision.deadline_ms = config.decision.deadline_ms.saturating_mul(10);
    config.limits.deadline_ms = config.limits.deadline_ms.saturating_mul(10);
    for plugin in config.plugins.values_mut() {
        plugin.limits.deadline_ms = plugin.limits.deadline_ms.saturating_mul(10);
    }
    config.breaker.failures = 1_000_000_000;
    // A reused instance carries state from one decision into the next,
    // which no replay can restore: every decision gets a fresh one.
    for plugin in config.plugins.values_mut() {
        plugin.instances = crate::config::InstanceStrategy::Fresh;
    }
    config
}

/// Decides `items` with `candidate` (and bare requests with `baseline`
/// too) on `workers`, and pairs each with its baseline. `done` counts the
/// items finished, for a progress bar. The cases come back in the items'
/// order.
pub fn replay(
    items: Vec<Item>,
    candidate: &Rules,
    baseline: &Rules,
    workers: Workers,
    done: &AtomicU64,
) -> Vec<Case> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Case)>> = Mutex::new(Vec::with_capacity(items.len()));
    let threads = workers.threads.clamp(1, items.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                if workers.yield_to_serving {
                    lower_priority();
                }
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    if let Some(case) = one(item, candidate, baseline) {
                        mine.push((i, case));
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(mine);
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, c)| c).collect()
}

/// One item decided again and paired with its baseline.
fn one(item: &Item, candidate: &Rules, baseline: &Rules) -> Option<Case> {
    let decided = |rules: &Rules| {
        let d = decide_as(
            item.decision_id.clone(),
            &item.request,
            &rules.config,
            &rules.set,
            &rules.runtime,
            false,
        );
        serde_json::to_value(&d).unwrap_or(Value::Null)
    };
    let now = decided(candidate);
    let before = match &item.logged {
        Some(record) => return Case::new(record, &now, item.verdict.clone()),
        None => {
            let mut v = decided(baseline);
            v["request"] = serde_json::to_value(&item.request).unwrap_or(Value::Null);
            v["decided_at"] = Value::String(item.request.now.to_rfc3339());
            v
        }
    };
    Case::new(&before, &now, None)
}

/// Asks the kernel to run this thread after the process's others (Linux
/// gives each thread its own nice value; elsewhere it is left alone).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let tid = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(tid), NICE) {
            tracing::debug!("replay threads keep their priority: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_stretches_time_limits_and_keeps_breakers_closed() {
        let live = Config::default();
        let r = for_replay(&live);
        assert_eq!(r.decision.deadline_ms, live.decision.deadline_ms * 10);
        assert_eq!(r.limits.deadline_ms, live.limits.deadline_ms * 10);
        assert_eq!(r.limits.fuel, live.limits.fuel);
        assert_eq!(r.breaker.failures, 1_000_000_000);
        let mut reused = Config::default();
        let mut p = reused.plugin("cache");
        p.instances = crate::config::InstanceStrategy::Reuse;
        reused.plugins.insert("cache".into(), p);
        assert_eq!(
            for_replay(&reused).plugins["cache"].instances,
            crate::config::InstanceStrategy::Fresh
        );
    }
}
