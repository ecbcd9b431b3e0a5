//! The load gate: the steps a plugin file must pass, in order, before it may
//! vote — verify (its signature, where the trust policy asks for one),
//! compile (bounded first), link, instantiate, `describe`, settings,
//! `validate-settings`, and one evaluation of a smoke conversation. Any
//! failure names its step and, for a guest failure, its class.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use wasmtime::component::Component;

use super::abi::RulePre;
use super::breaker::Breaker;
use super::call::summarize;
use super::convert::to_wit_input;
use super::entropy::Entropy;
use super::interface;
use super::loaded::{LoadedPlugin, PluginInfo};
use super::sandbox::{PluginState, Runtime, classify, describe_error};
use super::secrets::{self, Secrets};
use super::settings;
use crate::config::files::{ReadError, read_regular};
use crate::config::{LoadLimits, PluginConfig, TrustConfig};
use crate::decision::input::Conversation;
use crate::decision::signals::Signals;
use crate::decision::vote::FailureKind;
use crate::signing::{self, Refusal, Verification};

/// The step of loading at which a plugin failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadStep {
    /// Reading the file.
    Read,
    /// Checking its signature against the trusted keys, before any work is
    /// spent on its bytes.
    Verify,
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

impl fmt::Display for LoadStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LoadStep::Read => "read",
            LoadStep::Verify => "verify",
            LoadStep::Compile => "compile",
            LoadStep::Link => "link",
            LoadStep::Instantiate => "instantiate",
            LoadStep::Describe => "describe",
            LoadStep::Settings => "settings",
            LoadStep::Validate => "validate",
            LoadStep::Smoke => "smoke",
        })
    }
}

/// Why a plugin file could not go live.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LoadFailure {
    /// The step that failed.
    pub step: LoadStep,
    /// The class of the failure where there is one: a guest's failure is
    /// classed as a failed vote would be; a file refused by a load bound is
    /// `too_large` or `function_too_large`; a second file with the same
    /// plugin is `duplicate_name`.
    pub kind: Option<FailureKind>,
    /// What went wrong, for operators.
    pub message: String,
    /// The sha256 of the file that failed.
    pub sha256: String,
    /// When the attempt was made.
    pub at: DateTime<Utc>,
}

impl LoadFailure {
    /// A failure at `step` of the file with hash `sha256`, now.
    pub fn new(step: LoadStep, kind: Option<FailureKind>, message: String, sha256: &str) -> Self {
        LoadFailure {
            step,
            kind,
            message,
            sha256: sha256.to_owned(),
            at: Utc::now(),
        }
    }
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

/// The verify step of the gate, on plugin `name`'s file at `path` whose
/// sha256 is `sha256`: reads the signature document beside it and checks it
/// against the keys `trust` allows for the plugin.
///
/// Whether a signature is required is the policy's call alone. When it is,
/// any refusal fails the step. When it is not, a valid signature still
/// names its signer, and one that does not hold is reported as unverified
/// but does not stop the plugin: an unsigned plugin would load anyway, so
/// refusing a badly signed one would protect nothing.
pub fn verify(
    name: &str,
    path: &Path,
    sha256: &str,
    trust: &TrustConfig,
) -> Result<Verification, LoadFailure> {
    let required = trust.required(name);
    let limit = "the signature file limit";
    let checked = match read_regular(
        &signing::document_path(path),
        signing::MAX_DOCUMENT_BYTES,
        limit,
    ) {
        Err(ReadError::NotFound) if !required => return Ok(Verification::Unsigned),
        Err(ReadError::NotFound) => Err(Refusal::Missing),
        Err(e) => Err(Refusal::Malformed(format!("cannot read it: {e}"))),
        Ok(document) => {
            let mut digest = [0u8; 32];
            hex::decode_to_slice(sha256, &mut digest)
                .map_err(|_| Refusal::Malformed(format!("bad file digest {sha256:?}")))
                .and_then(|()| signing::verify(&digest, Some(&document), &trust.keys_for(name)))
        }
    };
    match checked {
        Ok(signer) => Ok(Verification::Verified(signer)),
        Err(refusal) if required => Err(LoadFailure::new(
            LoadStep::Verify,
            None,
            format!("signature required: {refusal}"),
            sha256,
        )),
        Err(refusal) => Ok(Verification::Unverified {
            problem: refusal.to_string(),
        }),
    }
}

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
        let fail = |step, message: String| LoadFailure::new(step, None, message, sha256);
        // A guest failure at a gate step is classified as it would be in a
        // decision; the backtrace goes to the log, not the status line.
        let guest = |step, store: &wasmtime::Store<PluginState>, e: wasmtime::Error| {
            let kind = classify(&e, store.data().memory_denied());
            tracing::debug!(plugin = name, ?step, "load gate failure: {e:?}");
            LoadFailure::new(step, Some(kind), summarize(kind, &e), sha256)
        };
        let interface =
            interface::check(runtime.engine(), component).map_err(|m| fail(LoadStep::Link, m))?;
        let instance_pre = runtime
            .linker()
            .instantiate_pre(component)
            .map_err(|e| fail(LoadStep::Link, describe_error(&e)))?;
        let pre = RulePre::new(instance_pre, interface).map_err(|e| {
            fail(
                LoadStep::Link,
                format!(
                    "the component does not implement the {}@{} `rule` world: {}",
                    interface::PACKAGE,
                    interface.unwrap_or(interface::HOST_VERSION),
                    describe_error(&e)
                ),
            )
        })?;

        let plugin_name: Arc<str> = Arc::from(name);
        // Loading is no decision: it sees the smoke test's world.
        let entropy = Entropy::of("escalator-load", SMOKE.now);
        let mut store = runtime.store(&plugin_name, "escalator-load", limits, &entropy);
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
        // From here on the plugin holds its secrets: what it prints or
        // returns is scrubbed of them.
        let secrets = Arc::new(Secrets::of(&resolved, |name| {
            secrets::is_secret(&info.settings, &config.settings, name)
        }));
        store.data_mut().set_secrets(secrets.clone());
        let validated = match rule.call_validate_settings(&mut store, &resolved) {
            Ok(v) => v,
            Err(e) => return Err(guest(LoadStep::Validate, &store, e)),
        };
        validated.map_err(|m| {
            fail(
                LoadStep::Validate,
                format!("the plugin rejected its settings: {}", secrets.scrub(&m)),
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
            secrets,
            reads: info.reads,
            loaded_at: Utc::now(),
            // Set by the caller that ran the verify step.
            signature: Verification::Unsigned,
            breaker: Breaker::default(),
            pre,
            warm: Mutex::new(Vec::new()),
            spare_settings: Mutex::new(Vec::new()),
            cost_us: Default::default(),
        };

        let smoke = &*SMOKE;
        let mut input = to_wit_input(smoke, &Signals::compute(smoke));
        let vote = plugin.call(runtime, &mut input, false, &config.limits, &entropy);
        if let Some(e) = vote.error {
            return Err(LoadFailure {
                kind: Some(e.kind),
                ..fail(LoadStep::Smoke, e.message)
            });
        }
        Ok(plugin)
    }
}
