//! The plugins of one decision, evaluated side by side.
//!
//! A decision's plugins are independent of each other, so its latency can be
//! that of its slowest plugin rather than the sum of all of them. The
//! decision's own thread always works through its plugins; a small pool of
//! helper threads (one per core) joins in, but only with CPU that is spare:
//! a helper takes one of the runtime's CPU permits ([`Runtime::permits`], the
//! same ones the API holds while it decides) without waiting, and gives up
//! when there is none. Under load, then, a decision runs its plugins itself,
//! one after another, and no request waits for a helper busy with another's
//! plugins; when the service is quiet, a decision's plugins run on every
//! core.
//!
//! Plugins are claimed slowest first (by their recent call times), so that a
//! slow interpreted plugin starts at once and the cheap ones fill in beside
//! it. Enforced plugins are claimed before shadow ones: time a shadow rule
//! takes never costs an enforced one its turn within the deadline.
//!
//! A runtime made [`Runtime::solo`] gets no helpers: a replay brings a
//! thread per core of its own and runs below serving priority, which the
//! helpers do not.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::time::Instant;

use super::bindings::types as wit;
use super::entropy::Entropy;
use super::loaded::LoadedPlugin;
use super::sandbox::Runtime;
use crate::config::BreakerConfig;
use crate::decision::vote::{FailureKind, Vote};

/// One plugin to call: the plugin and whether it votes in shadow.
pub struct Call<'a> {
    /// The plugin.
    pub plugin: &'a Arc<LoadedPlugin>,
    /// A shadow rule: claimed after every enforced one.
    pub shadow: bool,
}

/// Calls every plugin of `calls` on `input` and returns their votes in the
/// order of `calls`. See [`LoadedPlugin::evaluate`] for what each call
/// does with the deadline, the breaker and `entropy`.
pub fn evaluate_all(
    calls: &[Call<'_>],
    runtime: &Arc<Runtime>,
    input: wit::Input,
    breaker: &BreakerConfig,
    deadline: Instant,
    entropy: &Entropy,
) -> Vec<Vote> {
    if let [only] = calls {
        let mut input = input;
        return vec![
            only.plugin
                .evaluate(runtime, &mut input, breaker, deadline, entropy),
        ];
    }
    let mut order: Vec<usize> = (0..calls.len()).collect();
    // Enforced before shadow, then slowest first.
    order.sort_by_key(|&i| {
        let c = &calls[i];
        (c.shadow, std::cmp::Reverse(c.plugin.typical_cost_us()))
    });
    let batch = Arc::new(Batch {
        plugins: order.iter().map(|&i| calls[i].plugin.clone()).collect(),
        slots: order,
        runtime: runtime.clone(),
        template: input,
        breaker: *breaker,
        deadline,
        entropy: *entropy,
        next: AtomicUsize::new(0),
        done: Mutex::new(Done {
            count: 0,
            votes: (0..calls.len()).map(|_| None).collect(),
        }),
        finished: Condvar::new(),
    });
    let helpers = if runtime.is_solo() {
        0
    } else {
        POOL.offer(&batch, calls.len() - 1)
    };
    batch.work();
    let votes = batch.wait();
    if helpers > 0 {
        POOL.withdraw(&batch);
    }
    votes
}

/// The shared state of one decision's plugin calls.
struct Batch {
    /// The plugins in claim order.
    plugins: Vec<Arc<LoadedPlugin>>,
    /// Where each claimed plugin's vote goes in the answer.
    slots: Vec<usize>,
    runtime: Arc<Runtime>,
    /// The decision's input; each thread that claims a plugin works on a
    /// copy of its own, since a call lends its settings into the input.
    template: wit::Input,
    breaker: BreakerConfig,
    deadline: Instant,
    entropy: Entropy,
    /// The next plugin to claim.
    next: AtomicUsize,
    done: Mutex<Done>,
    finished: Condvar,
}

struct Done {
    count: usize,
    votes: Vec<Option<Vote>>,
}

impl Batch {
    /// Claims and calls plugins until none is left to claim.
    fn work(&self) {
        let mut input: Option<wit::Input> = None;
        loop {
            let claim = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(plugin) = self.plugins.get(claim) else {
                return;
            };
            let input = input.get_or_insert_with(|| self.template.clone());
            let call = || {
                plugin.evaluate(
                    &self.runtime,
                    input,
                    &self.breaker,
                    self.deadline,
                    &self.entropy,
                )
            };
            // A panic is a bug of the host's, not the plugin's; it must not
            // leave the decision waiting for a vote that never comes.
            let vote = catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|_| {
                Vote::failed(
                    plugin.source(),
                    FailureKind::Trap,
                    "internal error: the host failed while calling this plugin (see its log)"
                        .into(),
                )
            });
            let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
            done.votes[self.slots[claim]] = Some(vote);
            done.count += 1;
            if done.count == self.plugins.len() {
                self.finished.notify_all();
            }
        }
    }

    /// Waits until every plugin has voted, and takes the votes.
    fn wait(&self) -> Vec<Vote> {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        while done.count < self.plugins.len() {
            done = self.finished.wait(done).unwrap_or_else(|e| e.into_inner());
        }
        std::mem::take(&mut done.votes)
            .into_iter()
            .map(|v| v.expect("every claimed plugin leaves a vote"))
            .collect()
    }
}

/// The helper threads, shared by every runtime in the process.
static POOL: LazyLock<Pool> = LazyLock::new(Pool::start);

struct Pool {
    queue: Mutex<VecDeque<Arc<Batch>>>,
    ready: Condvar,
    /// Helpers waiting for work: a decision offers no more than this.
    idle: AtomicUsize,
}

impl Pool {
    fn start() -> Pool {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let pool = Pool {
            queue: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            idle: AtomicUsize::new(0),
        };
        for i in 0..threads {
            let spawned = std::thread::Builder::new()
                .name(format!("escalator-plugins-{i}"))
                .spawn(|| POOL.serve());
            // Without helpers every decision runs its plugins itself, as it
            // would under load: slower, not wrong.
            if let Err(e) = spawned {
                tracing::warn!("cannot start a plugin helper thread: {e}");
            }
        }
        pool
    }

    /// Offers `batch` to at most `wanted` idle helpers; returns how many
    /// tickets were queued.
    fn offer(&self, batch: &Arc<Batch>, wanted: usize) -> usize {
        let n = wanted.min(self.idle.load(Ordering::Relaxed));
        if n == 0 {
            return 0;
        }
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..n {
            queue.push_back(batch.clone());
        }
        drop(queue);
        for _ in 0..n {
            self.ready.notify_one();
        }
        n
    }

    /// Drops the tickets of a finished batch that no helper took.
    fn withdraw(&self, batch: &Arc<Batch>) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.retain(|b| !Arc::ptr_eq(b, batch));
    }

    /// A helper's life: take a ticket, help if a CPU permit is spare.
    fn serve(&self) {
        loop {
            self.idle.fetch_add(1, Ordering::Relaxed);
            let batch = {
                let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if let Some(b) = queue.pop_front() {
                        break b;
                    }
                    queue = self.ready.wait(queue).unwrap_or_else(|e| e.into_inner());
                }
            };
            self.idle.fetch_sub(1, Ordering::Relaxed);
            // Nothing left to claim: the decision's thread got there first.
            if batch.next.load(Ordering::Relaxed) >= batch.plugins.len() {
                continue;
            }
            if let Ok(_permit) = batch.runtime.permits().try_acquire() {
                batch.work();
            }
        }
    }
}
