//! Turning a `.wasm` file into a live plugin, through a gate of steps that
//! each must pass, and running a live plugin on one decision.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use wasmtime::component::Component;

use super::bindings::{RulePre, types as wit};
use super::breaker::{Admission, Breaker};
use super::convert::{from_wit_vote, to_wit_input};
use super::sandbox::{PluginState, Runtime, classify, describe_error};
use super::settings;
use crate::config::{
    BreakerConfig, FailurePolicy, InstanceStrategy, Limits, LoadLimits, PluginConfig,
};
use crate::input::Conversation;
use crate::signals::Signals;
use crate::vote::{Verdict, Vote};

/// The step of loading at which a plugin failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadStep {
    /// Reading the file.
    Read,
    /// Compiling it (not wasm, or a core module rather than a component).
    Compile,
    /// Resolving its imports and exports against the `rule` world.
    Link,
    /// Creating an instance.
    Instantiate,
    /// Calling `describe`.
    Describe,
    /// Checking the configured settings against those declared.
    Settings,
    /// Calling `validate-settings`.
    Validate,
    /// Evaluating the built-in smoke conversation.
    Smoke,
}

/// Why a plugin file could not go live.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadFailure {
    /// The step that failed.
    pub step: LoadStep,
    /// The class of the failure where there is one: the classes of a
    /// failed vote (`trap`, `out_of_fuel`, `deadline`, `out_of_memory`), or
    /// `too_large`, `function_too_large`, `duplicate_name`.
    pub kind: Option<&'static str>,
    /// What went wrong, for operators.
    pub message: String,
    /// The sha256 of the file that failed.
    pub sha256: String,
    /// When the attempt was made.
    pub at: DateTime<Utc>,
}

/// What a plugin says about itself (`describe`), in host form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginInfo {
    /// The name the plugin gives itself.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// One line on what the rule does.
    pub description: String,
}

/// A plugin that passed every load step and can vote.
pub struct LoadedPlugin {
    /// The plugin's identity: its file name without `.wasm`.
    pub name: Arc<str>,
    /// The file it was loaded from.
    pub file: PathBuf,
    /// The sha256 of that file, hex.
    pub sha256: String,
    /// What the plugin says about itself.
    pub info: PluginInfo,
    /// The operator's configuration the plugin was loaded with.
    pub config: PluginConfig,
    /// The `escalator:rules` version it was built against.
    pub interface: Option<super::interface::Version>,
    /// The settings the plugin declares.
    pub specs: Vec<wit::SettingSpec>,
    /// The resolved settings, handed to every call.
    pub settings: Vec<wit::Setting>,
    /// When it went live.
    pub loaded_at: DateTime<Utc>,
    /// Quarantines this version when it keeps failing.
    pub breaker: Breaker,
    pre: RulePre<PluginState>,
    /// Idle instances kept for reuse (`instances = "reuse"`).
    warm: Mutex<Vec<Warm>>,
    /// Copies of `settings` that calls lend into the shared input and give
    /// back, so a call does not clone every setting string.
    spare_settings: Mutex<Vec<Vec<wit::Setting>>>,
}

/// An instance kept for reuse, with the calls it has served.
struct Warm {
    store: wasmtime::Store<PluginState>,
    rule: super::bindings::Rule,
    calls: u32,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.name)
            .field("sha256", &self.sha256)
            .field("version", &self.info.version)
            .finish_non_exhaustive()
    }
}

/// The hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The first eight bytes of a component (magic, then version 0x0d and layer 1)
/// and of a core module (version 1, layer 0).
const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
const CORE_MODULE_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/// A conversation every plugin must be able to evaluate before going live: an
/// ordinary exchange that exercises every field of the input. Its id is
/// `escalator-smoke-test`.
pub static SMOKE: LazyLock<Conversation> = LazyLock::new(|| {
    Conversation::from_json(
        br#"{"conversation_id":"escalator-smoke-test","channel":"chat",
            "now":"2026-01-01T00:02:00Z",
            "customer":{"id":"smoke","tier":"standard","account_rank":5000,
                        "language":"en","timezone":"UTC","attributes":{"plan":"monthly"}},
            "topic":{"category":"orders","subcategory":"tracking"},
            "messages":[
              {"role":"customer","text":"Hi, where is my order?","at":"2026-01-01T00:00:00Z"},
              {"role":"ai","text":"It ships tomorrow.","at":"2026-01-01T00:00:05Z",
               "ai":{"confidence":0.9,"intent":"order-status","outcome":"answered"}},
              {"role":"customer","text":"Great, thanks!","at":"2026-01-01T00:01:00Z"}],
            "attributes":{"source":"smoke-test"}}"#,
        DateTime::UNIX_EPOCH,
    )
    .expect("the smoke conversation is valid")
});

/// The compile step of the gate: checks that the bytes are a component (not
/// a core module, not something else) and compiles them.
pub fn compile(runtime: &Runtime, bytes: &[u8], sha256: &str) -> Result<Component, String> {
    let header = bytes.get(..8);
    if header == Some(&CORE_MODULE_HEADER[..]) {
        return Err(
            "this is a core WebAssembly module, not a component; build the plugin with \
             `cargo build --target wasm32-wasip2` (or another component toolchain)"
                .into(),
        );
    }
    if header != Some(&COMPONENT_HEADER[..]) {
        return Err(format!(
            "not a WebAssembly component ({} bytes, does not start with the component header)",
            bytes.len()
        ));
    }
    let started = Instant::now();
    let (component, origin) = runtime
        .compile(bytes, sha256)
        .map_err(|e| describe_error(&e))?;
    tracing::debug!(
        sha256,
        ?origin,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "component ready"
    );
    Ok(component)
}

/// Refuses, before compiling, a component whose largest function is above
/// `load.max_function_kib`: compilation time and memory grow with a
/// function's size, and one 1,000,000-instruction function cost a minute of
/// CPU and 825 MiB. Bytes that do not parse are left to the compiler, which
/// says what is wrong with them.
pub fn check_cost(bytes: &[u8], limits: &LoadLimits) -> Result<(), String> {
    let cap = limits.max_function_kib << 10;
    let mut index = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let Ok(payload) = payload else {
            return Ok(());
        };
        if let wasmparser::Payload::CodeSectionEntry(body) = payload {
            let size = body.range().len() as u64;
            if size > cap {
                return Err(format!(
                    "function {index} is {} KiB, above load.max_function_kib = {}: compiling \
                     it could take minutes and hundreds of MiB",
                    size >> 10,
                    limits.max_function_kib
                ));
            }
            index += 1;
        }
    }
    Ok(())
}

/// Whether a compile failure looks like a file caught while still being
/// written: too short for a header, or a component cut off in the middle of
/// a section (the parser then reports an unexpected end, or a section that
/// reaches past the end of the file).
pub fn looks_incomplete(bytes: &[u8], compile_error: &str) -> bool {
    bytes.len() < COMPONENT_HEADER.len()
        || (bytes.starts_with(&COMPONENT_HEADER)
            && (compile_error.contains("unexpected end")
                || compile_error.contains("out of bounds")))
}

impl LoadedPlugin {
    /// Runs the rest of the load gate on a compiled component: link →
    /// instantiate → `describe` → settings check → `validate-settings` → one
    /// evaluation of the smoke conversation. Any failure names its step.
    pub fn load(
        runtime: &Runtime,
        name: &str,
        file: &Path,
        sha256: &str,
        component: &Component,
        config: &PluginConfig,
    ) -> Result<LoadedPlugin, LoadFailure> {
        let limits = &config.limits;
        let fail = |step, message: String| LoadFailure {
            step,
            kind: None,
            message,
            sha256: sha256.to_owned(),
            at: Utc::now(),
        };
        // A guest failure at a gate step is classified as it would be in a
        // decision; the backtrace goes to the log, not the status line.
        let guest = |step, store: &wasmtime::Store<PluginState>, e: wasmtime::Error| {
            let kind = classify(&e, store.data().memory_denied());
            tracing::debug!(plugin = name, ?step, "load gate failure: {e:?}");
            LoadFailure {
                step,
                kind: Some(kind),
                message: summarize(kind, &e),
                sha256: sha256.to_owned(),
                at: Utc::now(),
            }
        };
        let interface = super::interface::check(runtime.engine(), component)
            .map_err(|m| fail(LoadStep::Link, m))?;
        let instance_pre = runtime
            .linker()
            .instantiate_pre(component)
            .map_err(|e| fail(LoadStep::Link, describe_error(&e)))?;
        let pre = RulePre::new(instance_pre).map_err(|e| {
            fail(
                LoadStep::Link,
                format!(
                    "the component does not implement the escalator:rules@0.1.0 `rule` world: {}",
                    describe_error(&e)
                ),
            )
        })?;

        let plugin_name: Arc<str> = Arc::from(name);
        let mut store = runtime.store(&plugin_name, "escalator-load", limits);
        let rule = match pre.instantiate(&mut store) {
            Ok(rule) => rule,
            Err(e) => return Err(guest(LoadStep::Instantiate, &store, e)),
        };
        let info = match rule.call_describe(&mut store) {
            Ok(info) => info,
            Err(e) => return Err(guest(LoadStep::Describe, &store, e)),
        };
        store.data_mut().flush_output();
        let resolved = settings::resolve(&info.settings, &config.settings)
            .map_err(|m| fail(LoadStep::Settings, m))?;
        let validated = match rule.call_validate_settings(&mut store, &resolved) {
            Ok(v) => v,
            Err(e) => return Err(guest(LoadStep::Validate, &store, e)),
        };
        validated.map_err(|m| {
            fail(
                LoadStep::Validate,
                format!("the plugin rejected its settings: {m}"),
            )
        })?;
        store.data_mut().flush_output();

        let plugin = LoadedPlugin {
            name: plugin_name,
            file: file.to_owned(),
            sha256: sha256.to_owned(),
            info: PluginInfo {
                name: info.name,
                version: info.version,
                description: info.description,
            },
            config: config.clone(),
            specs: info.settings,
            interface,
            settings: resolved,
            loaded_at: Utc::now(),
            breaker: Breaker::default(),
            pre,
            warm: Mutex::new(Vec::new()),
            spare_settings: Mutex::new(Vec::new()),
        };

        let smoke = &*SMOKE;
        let mut input = to_wit_input(smoke, &Signals::compute(smoke));
        let vote = plugin.call(runtime, &mut input, false, &config.limits);
        if let Some(e) = vote.error {
            return Err(LoadFailure {
                kind: Some(e.kind),
                ..fail(LoadStep::Smoke, e.message)
            });
        }
        Ok(plugin)
    }

    /// `plugin:<name>`, the source shown in votes.
    pub fn source(&self) -> String {
        format!("plugin:{}", self.name)
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
    pub fn evaluate(
        &self,
        runtime: &Runtime,
        input: &mut wit::Input,
        breaker: &BreakerConfig,
        deadline: Instant,
    ) -> Vote {
        let start = Instant::now();
        let source = self.source();
        let remaining = deadline.saturating_duration_since(start);
        let mut vote = match self.breaker.admit() {
            _ if remaining.is_zero() => Vote::failed(
                source.clone(),
                "deadline",
                "not called: the decision's deadline (decision.deadline_ms) had passed".into(),
            ),
            Admission::Quarantined(until) => Vote::failed(
                source.clone(),
                "quarantined",
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
                let vote = self.call(runtime, input, true, &limits);
                match &vote.error {
                    // Out of time only because the decision was: not the
                    // plugin's fault.
                    Some(e) if cut_short && e.kind == "deadline" => {}
                    Some(e) => self
                        .breaker
                        .failed(&self.name, e.kind, input_key(input), breaker),
                    None => self.breaker.succeeded(&self.name),
                }
                vote
            }
        };
        if let Some(e) = &vote.error {
            if e.kind != "quarantined" {
                tracing::warn!(
                    plugin = &*self.name,
                    kind = e.kind,
                    "plugin call failed: {}",
                    e.message
                );
            }
            apply_failure_policy(&mut vote, self.config.on_failure);
        }
        vote.source = source;
        vote.version = Some(self.info.version.clone());
        vote.sha256 = Some(self.sha256.clone());
        vote.weight *= self.config.weight;
        vote.elapsed_us = start.elapsed().as_micros() as u64;
        vote
    }

    /// One call, in a fresh instance or a reused one as configured (`pool`
    /// false forces a fresh one that is not kept: the smoke test); the vote's
    /// error says how it failed.
    fn call(&self, runtime: &Runtime, input: &mut wit::Input, pool: bool, limits: &Limits) -> Vote {
        let mut settings = self
            .spare_settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_else(|| self.settings.clone());
        std::mem::swap(&mut input.settings, &mut settings);
        let vote = self.call_with_settings(runtime, input, pool, limits);
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
    ) -> Vote {
        let reuse = pool && self.config.instances == InstanceStrategy::Reuse;
        let warm = if reuse {
            self.warm.lock().unwrap_or_else(|e| e.into_inner()).pop()
        } else {
            None
        };
        let (mut store, rule, calls) = match warm {
            Some(mut w) => {
                Runtime::arm(&mut w.store, &input.conversation.id, limits);
                (w.store, Ok(w.rule), w.calls)
            }
            None => {
                let mut store = runtime.store(&self.name, &input.conversation.id, limits);
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
            Ok(Ok(v)) => match from_wit_vote(v, max_vote) {
                Ok(v) => v,
                Err(m) => Vote::failed(source, "bad_output", m),
            },
            Ok(Err(m)) => Vote::failed(source, "plugin_error", m),
            Err(e) => {
                let kind = classify(&e, store.data().memory_denied());
                tracing::debug!(plugin = &*self.name, "plugin call failed: {e:?}");
                Vote::failed(source, kind, summarize(kind, &e))
            }
        };
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
fn summarize(kind: &str, error: &wasmtime::Error) -> String {
    let what = match error.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => error.to_string(),
    };
    match kind {
        "out_of_memory" => format!("the plugin ran out of memory (its memory_mib limit): {what}"),
        "out_of_fuel" => format!("the plugin used up its fuel (its fuel limit): {what}"),
        "deadline" => format!("the plugin overran its deadline: {what}"),
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
    let kind = vote.error.as_ref().map_or("failure", |e| e.kind);
    match policy {
        FailurePolicy::Abstain => vote.verdict = Verdict::Abstain,
        FailurePolicy::Escalate => {
            vote.verdict = Verdict::Escalate;
            vote.hard = true;
            vote.reason = "plugin_failed".to_owned();
            vote.detail =
                format!("the plugin failed ({kind}) and fails closed: a human takes over");
        }
        FailurePolicy::Stay => {
            vote.verdict = Verdict::Stay;
            vote.reason = "plugin_failed".to_owned();
            vote.detail = format!("the plugin failed ({kind}) and fails towards staying");
        }
    }
}
