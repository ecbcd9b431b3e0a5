//! Compiled components kept in memory by file sha256, so that flipping a
//! plugin between versions (or back after a bad deploy) does not recompile.

use std::collections::HashMap;

use wasmtime::component::Component;

/// How many compiled components are kept.
const ENTRIES: usize = 8;

/// Compiled components by file sha256, least recently used first out.
#[derive(Default)]
pub struct CompiledCache {
    entries: HashMap<String, (Component, u64)>,
    clock: u64,
}

impl CompiledCache {
    /// The component compiled from `sha`, if kept; refreshes it.
    pub fn get(&mut self, sha: &str) -> Option<Component> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(sha).map(|(c, used)| {
            *used = clock;
            c.clone()
        })
    }

    /// Keeps `component`, dropping the least recently used beyond the
    /// bound.
    pub fn insert(&mut self, sha: String, component: Component) {
        self.clock += 1;
        if self.entries.len() >= ENTRIES
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
