//! Loading plugins and policies the way the server does, for the author
//! commands.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::config::{Config, PluginConfig};
use crate::decision::input::Conversation;
use crate::decision::response::Decision;
use crate::plugin::file::{FileLoad, load_file, name_of};
use crate::plugin::{PluginSet, Registry, Runtime};

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

/// A policy loaded outside the server: a configuration and the plugins that
/// passed the load gate under it.
pub struct Policy {
    /// The configuration, its plugins directory the one actually loaded.
    pub config: Config,
    /// The sandbox runtime the plugins run in.
    pub runtime: Arc<Runtime>,
    /// The plugins, and every file that failed to load.
    pub set: Arc<PluginSet>,
}

impl Policy {
    /// Loads `config` (the built-in defaults without one) with the plugins
    /// in `plugins`, or, when that is not given, in the config's plugins
    /// directory; with neither, the policy is the built-in triggers alone,
    /// since the default plugins directory belongs to no one in particular.
    /// A plugin that fails the gate is left out, as the server would; see
    /// [`Policy::warnings`].
    pub fn load(config: Option<&Path>, plugins: Option<&Path>) -> anyhow::Result<Policy> {
        let mut loaded = self::config(config)?;
        let dir = match (plugins, config) {
            (Some(dir), _) => Some(dir.to_owned()),
            (None, Some(_)) => Some(loaded.plugins_dir.clone()),
            (None, None) => None,
        };
        let runtime = Runtime::new(loaded.cache_dir.clone())?;
        let set = match dir {
            Some(dir) => {
                if !dir.is_dir() {
                    anyhow::bail!("plugins directory {} does not exist", dir.display());
                }
                loaded.plugins_dir = dir;
                let registry = Registry::new(runtime.clone());
                registry.reload_until_settled(&loaded);
                registry.current()
            }
            None => Arc::new(PluginSet::default()),
        };
        Ok(Policy {
            config: loaded,
            runtime,
            set,
        })
    }

    /// One line per plugin file that did not load: the policy still runs
    /// without it, but its author is judging a different policy than the
    /// one they meant to.
    pub fn warnings(&self) -> Vec<String> {
        let lines = self.set.load_failures().into_iter();
        lines.map(|l| format!("warning: {l}")).collect()
    }

    /// The names of the plugins that vote.
    pub fn plugin_names(&self) -> Vec<&str> {
        self.set.active.iter().map(|p| &*p.name).collect()
    }

    /// Decides on `conversation` as `POST /v1/decide` would, under an id
    /// made from the conversation's, so that plugins drawing random numbers
    /// give a fixture the same votes every run.
    pub fn decide(&self, conversation: &Conversation) -> Decision {
        crate::decide::decide_as(
            format!("fixture-{}", conversation.id),
            conversation,
            &self.config,
            &self.set,
            &self.runtime,
            false,
        )
    }
}
