//! Calling a live plugin on one decision: a fresh or reused instance, the
//! decision's deadline, the circuit breaker, and the failure policy that
//! turns a failed call into a vote.

use std::time::Instant;

use super::bindings::types as wit;
use super::breaker::Admission;
use super::convert::{from_wit_vote, restore_unread, take_unread};
use super::entropy::Entropy;
use super::loaded::{LoadedPlugin, Warm};
use super::sandbox::{Runtime, classify};
use crate::config::{BreakerConfig, FailurePolicy, InstanceStrategy, Limits};
use crate::decision::reasons::Code;
use crate::decision::source::Source;
use crate::decision::vote::{FailureKind, Verdict, Vote};

impl LoadedPlugin {
    /// The source shown in its votes.
    pub fn source(&self) -> Source {
        Source::Plugin(self.name.clone())
    }

    /// Runs the plugin on one decision in a fresh instance. Never fails: a
    /// trap, an exhausted budget, an error returned by the plugin, an invalid
    /// vote or a quarantine becomes the vote the plugin's failure policy says
    /// (abstain by default), carrying the error.
    ///
    /// `input` is shared between the plugins of a decision; only its settings
    /// are replaced for this plugin.
    ///
    /// `deadline` is the decision's: the call's own deadline is cut to what
    /// remains of it, and a plugin reached after it is not called at all
    /// (its vote fails as `deadline`, which does not count against its
    /// circuit breaker: the time was spent by others).
    ///
    /// The plugin's clocks and random numbers are those of `entropy`.
    pub fn evaluate(
        &self,
        runtime: &Runtime,
        input: &mut wit::Input,
        breaker: &BreakerConfig,
        deadline: Instant,
        entropy: &Entropy,
    ) -> Vote {
        let start = Instant::now();
        let source = self.source();
        let remaining = deadline.saturating_duration_since(start);
        let mut vote = match self.breaker.admit() {
            _ if remaining.is_zero() => Vote::failed(
                source.clone(),
                FailureKind::Deadline,
                "not called: the decision's deadline (decision.deadline_ms) had passed".into(),
            ),
            Admission::Quarantined(until) => Vote::failed(
                source.clone(),
                FailureKind::Quarantined,
                format!(
                    "skipped: quarantined by its circuit breaker until {}",
                    until.to_rfc3339()
                ),
            ),
            Admission::Call => {
                let mut limits = self.config.limits;
                let cut = remaining.as_millis().max(1) as u64;
                let cut_short = cut < limits.deadline_ms;
                limits.deadline_ms = limits.deadline_ms.min(cut);
                let vote = self.call(runtime, input, true, &limits, entropy);
                match &vote.error {
                    // Out of time only because the decision was: not the
                    // plugin's fault.
                    Some(e) if cut_short && e.kind == FailureKind::Deadline => {}
                    Some(e) => self
                        .breaker
                        .failed(&self.name, e.kind, input_key(input), breaker),
                    None => self.breaker.succeeded(&self.name),
                }
                vote
            }
        };
        if let Some(e) = &vote.error {
            if e.kind != FailureKind::Quarantined {
                tracing::warn!(
                    plugin = &*self.name,
                    kind = e.kind.as_str(),
                    "plugin call failed: {}",
                    e.message
                );
            }
            apply_failure_policy(&mut vote, self.config.on_failure);
        }
        vote.source = source;
        vote.version = Some(self.info.version.clone());
        vote.sha256 = Some(self.sha256.clone());
        vote.signer = self.signature.signer().cloned();
        vote.weight *= self.config.weight;
        vote.elapsed_us = start.elapsed().as_micros() as u64;
        self.observe_cost(vote.elapsed_us);
        vote
    }

    /// One call, in a fresh instance or a reused one as configured (`pool`
    /// false forces a fresh one that is not kept: the smoke test); the vote's
    /// error says how it failed.
    pub(super) fn call(
        &self,
        runtime: &Runtime,
        input: &mut wit::Input,
        pool: bool,
        limits: &Limits,
        entropy: &Entropy,
    ) -> Vote {
        let mut settings = self
            .spare_settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_else(|| self.settings.clone());
        std::mem::swap(&mut input.settings, &mut settings);
        let unread = take_unread(input, self.reads);
        let vote = self.call_with_settings(runtime, input, pool, limits, entropy);
        restore_unread(input, unread);
        std::mem::swap(&mut input.settings, &mut settings);
        self.spare_settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(settings);
        vote
    }

    /// [`LoadedPlugin::call`] once `input` holds this plugin's settings.
    fn call_with_settings(
        &self,
        runtime: &Runtime,
        input: &wit::Input,
        pool: bool,
        limits: &Limits,
        entropy: &Entropy,
    ) -> Vote {
        let reuse = pool && self.config.instances == InstanceStrategy::Reuse;
        let warm = if reuse {
            self.warm.lock().unwrap_or_else(|e| e.into_inner()).pop()
        } else {
            None
        };
        let (mut store, rule, calls) = match warm {
            Some(mut w) => {
                Runtime::arm(&mut w.store, &input.conversation.id, limits, entropy);
                (w.store, Ok(w.rule), w.calls)
            }
            None => {
                let mut store = runtime.store(&self.name, &input.conversation.id, limits, entropy);
                store.data_mut().set_secrets(self.secrets.clone());
                let rule = self.pre.instantiate(&mut store);
                (store, rule, 0)
            }
        };
        let (result, rule) = match rule {
            Ok(rule) => (rule.call_evaluate(&mut store, input), Some(rule)),
            Err(e) => (Err(e), None),
        };
        store.data_mut().flush_output();
        let fuel_used = self
            .config
            .limits
            .fuel
            .saturating_sub(store.get_fuel().unwrap_or(0));
        let source = self.source();
        let max_vote = (self.config.limits.vote_kib as usize) * 1024;
        let mut vote = match result {
            Ok(Ok(v)) => match from_wit_vote(source.clone(), v, max_vote) {
                Ok(v) => v,
                Err(m) => Vote::failed(source, FailureKind::BadOutput, m),
            },
            Ok(Err(m)) => Vote::failed(source, FailureKind::PluginError, m),
            Err(e) => {
                let kind = classify(&e, store.data().memory_denied());
                tracing::debug!(plugin = &*self.name, "plugin call failed: {e:?}");
                Vote::failed(source, kind, summarize(kind, &e))
            }
        };
        self.secrets.scrub_vote(&mut vote);
        vote.fuel_used = Some(fuel_used);
        vote.memory_peak_bytes = Some(store.data().peak_memory() as u64);
        // A reused instance goes back only after a clean call, and retires
        // after `reuse_calls` calls or when its output pipes fill up.
        if let (true, Some(rule)) = (reuse, rule)
            && vote.error.is_none()
            && calls + 1 < self.config.reuse_calls
            && !store.data().output_nearly_full()
        {
            let mut warm = self.warm.lock().unwrap_or_else(|e| e.into_inner());
            warm.push(Warm {
                store,
                rule,
                calls: calls + 1,
            });
        }
        vote
    }
}

/// One line for an operator: what the failure class means, and the trap or
/// error without wasmtime's backtrace (which goes to the debug log).
pub(super) fn summarize(kind: FailureKind, error: &wasmtime::Error) -> String {
    let what = match error.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => error.to_string(),
    };
    match kind {
        FailureKind::OutOfMemory => {
            format!("the plugin ran out of memory (its memory_mib limit): {what}")
        }
        FailureKind::OutOfFuel => format!("the plugin used up its fuel (its fuel limit): {what}"),
        FailureKind::Deadline => format!("the plugin overran its deadline: {what}"),
        _ => what,
    }
}

/// The deadline of a plugin evaluated on its own (the author commands,
/// benchmarks): an hour away, so only the plugin's own limits apply.
pub fn alone() -> Instant {
    Instant::now() + std::time::Duration::from_secs(3600)
}

/// A fingerprint of a decision's input, so the circuit breaker can tell one
/// input failing again and again (a hostile or pathological request, which
/// must not switch the plugin off for every other customer) from the
/// plugin failing on many different inputs.
fn input_key(input: &wit::Input) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let c = &input.conversation;
    c.id.hash(&mut h);
    for m in &c.messages {
        m.text.hash(&mut h);
        m.at_ms.hash(&mut h);
    }
    h.finish()
}

/// Turns a failed vote into what the plugin's failure policy says it counts
/// as. The error stays on the vote either way.
fn apply_failure_policy(vote: &mut Vote, policy: FailurePolicy) {
    let kind = vote.error.as_ref().map_or("failure", |e| e.kind.as_str());
    match policy {
        FailurePolicy::Abstain => vote.verdict = Verdict::Abstain,
        FailurePolicy::Escalate => {
            vote.verdict = Verdict::Escalate;
            vote.hard = true;
            vote.reason = Code::PluginFailed.as_str().to_owned();
            vote.code = Some(Code::PluginFailed);
            vote.detail =
                format!("the plugin failed ({kind}) and fails closed: a human takes over");
        }
        FailurePolicy::Stay => {
            vote.verdict = Verdict::Stay;
            vote.reason = Code::PluginFailed.as_str().to_owned();
            vote.code = Some(Code::PluginFailed);
            vote.detail = format!("the plugin failed ({kind}) and fails towards staying");
        }
    }
}
