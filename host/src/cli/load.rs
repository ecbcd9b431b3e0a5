//! Loading one plugin file the way the server does, for the author commands.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::config::{Config, PluginConfig};
use crate::plugin::{LoadFailure, LoadedPlugin, Runtime, compile, sha256_hex};

/// A plugin loaded outside the server.
pub struct Standalone {
    /// The sandbox runtime it runs in.
    pub runtime: Arc<Runtime>,
    /// The file's size.
    pub bytes: usize,
    /// The plugin, or why it failed the load gate.
    pub plugin: Result<LoadedPlugin, LoadFailure>,
}

/// Parses `--settings` arguments into a TOML table: `name=value` pairs (the
/// value in TOML syntax, falling back to a plain string) and TOML files.
pub fn settings(args: &[String]) -> anyhow::Result<toml::Table> {
    let mut table = toml::Table::new();
    for arg in args {
        match arg.split_once('=') {
            Some((name, value)) if !Path::new(arg).exists() => {
                let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
                    .ok()
                    .and_then(|mut t| t.remove("v"))
                    .unwrap_or_else(|| toml::Value::String(value.to_owned()));
                table.insert(name.trim().to_owned(), parsed);
            }
            _ => {
                let text = std::fs::read_to_string(arg)
                    .with_context(|| format!("cannot read settings file {arg}"))?;
                let file: toml::Table =
                    toml::from_str(&text).with_context(|| format!("settings file {arg}"))?;
                table.extend(file);
            }
        }
    }
    Ok(table)
}

/// The plugin's name: its file name without `.wasm`.
pub fn name_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plugin".into())
}

/// The configuration a plugin file gets: the config file's section for it
/// (or the defaults), with `settings` laid over its settings.
pub fn plugin_config(
    path: &Path,
    config: Option<&Path>,
    settings: toml::Table,
) -> anyhow::Result<PluginConfig> {
    let config = match config {
        Some(c) => Config::load(c)?,
        None => Config::default(),
    };
    let mut pc = config.plugin(&name_of(path));
    pc.settings.extend(settings);
    Ok(pc)
}

/// Reads, compiles and loads `path` through the whole load gate.
pub fn load(path: &Path, config: &PluginConfig) -> anyhow::Result<Standalone> {
    let runtime = Runtime::new(crate::plugin::cache::default_dir())
        .map_err(|e| anyhow::anyhow!("cannot start the Wasm runtime: {e:#}"))?;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let sha = sha256_hex(&bytes);
    let limits = Config::default().load;
    let plugin = crate::plugin::check_cost(&bytes, &limits)
        .and_then(|()| compile(&runtime, &bytes, &sha))
        .map_err(|message| LoadFailure {
            step: crate::plugin::LoadStep::Compile,
            kind: None,
            message,
            sha256: sha.clone(),
            at: chrono::Utc::now(),
        })
        .and_then(|component| {
            LoadedPlugin::load(&runtime, &name_of(path), path, &sha, &component, config)
        });
    Ok(Standalone {
        runtime,
        bytes: bytes.len(),
        plugin,
    })
}
