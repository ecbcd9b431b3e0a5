//! Compilations on threads of their own, one per file, so a slow file (an
//! interpreter takes tens of seconds cold) never holds up the others or the
//! reload thread. A finished compilation waits for the next rescan to pick
//! it up, and wakes the reload thread to do so.

use std::collections::HashMap;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use wasmtime::component::Component;

use super::file::PluginFile;
use super::gate::{LoadFailure, LoadStep, compile};
use super::sandbox::Runtime;
use crate::config::LoadLimits;

/// A compilation running on its own thread, or its result waiting to be
/// picked up by the next rescan.
enum Job {
    Running {
        plugin: String,
        since: DateTime<Utc>,
    },
    Done(Result<Component, String>),
}

/// The compilations under way or done, by file sha256.
#[derive(Default)]
pub struct CompileJobs {
    jobs: Arc<Mutex<HashMap<String, Job>>>,
    /// Wakes the reload thread when a compilation ends.
    waker: Mutex<Option<Sender<Instant>>>,
}

impl CompileJobs {
    /// Where finished compilations report (the reload thread's channel).
    pub fn set_waker(&self, waker: Option<Sender<Instant>>) {
        *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = waker;
    }

    /// Plugins whose new file is compiling, with when it started.
    pub fn running(&self) -> Vec<(String, DateTime<Utc>)> {
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

    /// Forgets finished compilations of files not in `wanted` (changed
    /// again meanwhile).
    pub fn keep_only(&self, wanted: &std::collections::HashSet<String>) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|sha, job| matches!(job, Job::Running { .. }) || wanted.contains(sha));
    }

    /// The compile step, off the reload thread: starts compiling `file` on
    /// a thread of its own (`Ok(None)` meanwhile), or picks up the result of
    /// an earlier start.
    pub fn compile(
        &self,
        runtime: &Arc<Runtime>,
        file: &PluginFile,
        load: &LoadLimits,
    ) -> Result<Option<Component>, LoadFailure> {
        let (plugin, sha) = (file.name.as_str(), file.sha256.as_str());
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        match jobs.remove(sha) {
            Some(Job::Done(result)) => {
                return result
                    .map(Some)
                    .map_err(|m| LoadFailure::new(LoadStep::Compile, None, m, sha));
            }
            Some(running @ Job::Running { .. }) => {
                jobs.insert(sha.to_owned(), running);
                return Ok(None);
            }
            None => {}
        }
        file.check_cost(load)?;
        jobs.insert(
            sha.to_owned(),
            Job::Running {
                plugin: plugin.to_owned(),
                since: Utc::now(),
            },
        );
        // The spawned thread takes the lock when it is done; so does the
        // failure path below.
        drop(jobs);
        let runtime = runtime.clone();
        let jobs = self.jobs.clone();
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let (name, owned, key) = (plugin.to_owned(), file.bytes.clone(), sha.to_owned());
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
            return Err(LoadFailure::new(
                LoadStep::Compile,
                None,
                format!("cannot start a compilation thread: {e}"),
                sha,
            ));
        }
        Ok(None)
    }
}
