//! Loading one plugin file the way the server does, for the author commands.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::config::{Config, PluginConfig};
use crate::plugin::Runtime;
use crate::plugin::file::{FileLoad, load_file, name_of};

/// A plugin loaded outside the server.
pub struct Standalone {
    /// The sandbox runtime it runs in.
    pub runtime: Arc<Runtime>,
    /// The file and the plugin, or why it failed the load gate.
    pub load: FileLoad,
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

/// The configuration the author commands run under: the `--config` file,
/// or the defaults.
pub fn config(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(match path {
        Some(c) => Config::load(c)?,
        None => Config::default(),
    })
}

/// The configuration a plugin file gets: the config file's section for it
/// (or the defaults), with `settings` laid over its settings.
pub fn plugin_config(path: &Path, config: &Config, settings: toml::Table) -> PluginConfig {
    let mut pc = config.plugin(&name_of(path));
    pc.settings.extend(settings);
    pc
}

/// Reads, compiles and loads `path` through the whole load gate, under the
/// load bounds and with the compiled cache of `config`.
pub fn load(path: &Path, config: &Config, plugin: &PluginConfig) -> anyhow::Result<Standalone> {
    let runtime = Runtime::new(config.cache_dir.clone())?;
    let load = load_file(&runtime, path, plugin, &config.load)?;
    Ok(Standalone { runtime, load })
}
