//! A plugin file on its way to going live: read within the load bounds,
//! fingerprinted, bounded in cost, compiled, and put through the gate.
//!
//! [`load_file`] takes every step at once (`escalator check` and `eval`);
//! `escalator test` compiles once and loads once per settings; the registry
//! takes the same steps one by one, with the compile step on a thread of
//! its own and behind its caches.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use wasmtime::component::Component;

use super::gate::{LoadFailure, LoadStep, check_cost, compile, verify};
use super::loaded::LoadedPlugin;
use super::sandbox::Runtime;
use crate::config::files::{self, ReadError, sha256_hex};
use crate::config::{LoadLimits, PluginConfig, TrustConfig};
use crate::decision::vote::FailureKind;
use crate::signing::Verification;

/// A plugin file's contents and identity.
pub struct PluginFile {
    /// The plugin's name: the file name without `.wasm`.
    pub name: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Their sha256, hex.
    pub sha256: String,
}

/// Why a plugin file could not be read.
#[derive(Debug)]
pub enum Unreadable {
    /// It is no longer there (deleted or renamed away since it was listed).
    Gone,
    /// It cannot be read, or is beyond a load bound.
    Refused(LoadFailure),
}

/// The plugin name a file gets: its file name without `.wasm`.
pub fn name_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plugin".into())
}

impl PluginFile {
    /// Reads `path` if it is a regular file within `load.max_file_mib`.
    pub fn read(path: &Path, limits: &LoadLimits) -> Result<PluginFile, Unreadable> {
        let cap = limits.max_file_mib << 20;
        let bytes = files::read_regular(path, cap, "load.max_file_mib").map_err(|e| match e {
            ReadError::NotFound => Unreadable::Gone,
            // Refused before any compilation work: a bound of the compile step.
            e @ ReadError::TooLarge { .. } => Unreadable::Refused(LoadFailure::new(
                LoadStep::Compile,
                Some(FailureKind::TooLarge),
                e.to_string(),
                "",
            )),
            e => Unreadable::Refused(LoadFailure::new(
                LoadStep::Read,
                None,
                format!("cannot read {}: {e}", path.display()),
                "",
            )),
        })?;
        Ok(PluginFile {
            name: name_of(path),
            path: path.to_owned(),
            sha256: sha256_hex(&bytes),
            bytes,
        })
    }

    /// The verify step: the file's signature under the trust policy.
    pub fn verify(&self, trust: &TrustConfig) -> Result<Verification, LoadFailure> {
        verify(&self.name, &self.path, &self.sha256, trust)
    }

    /// Refuses a file whose largest function is beyond
    /// `load.max_function_kib`, before any compilation work.
    pub fn check_cost(&self, limits: &LoadLimits) -> Result<(), LoadFailure> {
        check_cost(&self.bytes, limits).map_err(|m| {
            LoadFailure::new(
                LoadStep::Compile,
                Some(FailureKind::FunctionTooLarge),
                m,
                &self.sha256,
            )
        })
    }

    /// The compile step: the cost bound, then compilation (or the on-disk
    /// cache).
    pub fn compile(
        &self,
        runtime: &Runtime,
        limits: &LoadLimits,
    ) -> Result<Component, LoadFailure> {
        self.check_cost(limits)?;
        compile(runtime, &self.bytes, &self.sha256)
            .map_err(|m| LoadFailure::new(LoadStep::Compile, None, m, &self.sha256))
    }

    /// The rest of the gate, on the compiled component, under `config`.
    pub fn load(
        &self,
        runtime: &Runtime,
        component: &Component,
        config: &PluginConfig,
    ) -> Result<LoadedPlugin, LoadFailure> {
        LoadedPlugin::load(
            runtime,
            &self.name,
            &self.path,
            &self.sha256,
            component,
            config,
        )
    }
}

/// A file put through every step outside the server.
pub struct FileLoad {
    /// The file's size in bytes.
    pub bytes: u64,
    /// The plugin, or why it could not go live.
    pub plugin: Result<LoadedPlugin, LoadFailure>,
}

/// Reads, bounds, compiles and loads `path`, as the server would. A file
/// that is missing or unreadable is an error; one that fails a step of the
/// gate is a [`LoadFailure`] in the result.
pub fn load_file(
    runtime: &Arc<Runtime>,
    path: &Path,
    config: &PluginConfig,
    limits: &LoadLimits,
) -> anyhow::Result<FileLoad> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let file = match PluginFile::read(path, limits) {
        Ok(file) => file,
        Err(Unreadable::Gone) => anyhow::bail!("cannot read {}: no such file", path.display()),
        Err(Unreadable::Refused(f)) if f.step == LoadStep::Read => anyhow::bail!(f.message),
        Err(Unreadable::Refused(f)) => {
            return Ok(FileLoad {
                bytes: size,
                plugin: Err(f),
            });
        }
    };
    let plugin = file
        .compile(runtime, limits)
        .and_then(|component| file.load(runtime, &component, config));
    Ok(FileLoad {
        bytes: file.bytes.len() as u64,
        plugin,
    })
}
