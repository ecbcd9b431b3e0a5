//! The `escalator` command line: `serve` for operators, and `check`, `eval`,
//! `test` and `new` for plugin authors. The author commands run plugins in
//! the same sandbox, with the same limits, as the server.
//!
//! [`serve`] runs the service; [`run`] runs the author commands, writing to
//! the given output, so tests drive the command line in-process.

mod check;
mod eval;
mod load;
mod log;
mod new;
mod quality;
mod serve;
mod test;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use serve::{ServeArgs, serve};

/// Decides when an AI-handled support conversation must go to a human.
#[derive(Debug, Parser)]
#[command(name = "escalator", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A language a plugin skeleton can be made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// Rust, with the escalator-sdk crate.
    Rust,
    /// Python, built with componentize-py.
    Python,
    /// JavaScript, built with componentize-js.
    Js,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the HTTP service.
    Serve(ServeArgs),
    /// Loads a plugin through the full load gate and reports on it: metadata,
    /// interface version, settings, and fuel and time on the smoke conversation.
    Check {
        /// The plugin component.
        plugin: PathBuf,
        /// Settings: `name=value` (value in TOML syntax, else a string) or a
        /// TOML file of settings. Repeatable; later ones win.
        #[arg(long = "settings", short = 's', value_name = "FILE|NAME=VALUE")]
        settings: Vec<String>,
        /// A config file whose `[limits]` and `[plugins.NAME]` apply.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Runs a plugin on one conversation (the JSON of `POST /v1/decide`) and
    /// prints its vote, fuel used, peak memory and elapsed time as JSON.
    Eval {
        /// The plugin component.
        plugin: PathBuf,
        /// The conversation, a JSON file (`-` for standard input).
        conversation: PathBuf,
        /// Settings, as for `check`.
        #[arg(long = "settings", short = 's', value_name = "FILE|NAME=VALUE")]
        settings: Vec<String>,
        /// A config file whose `[limits]` and `[plugins.NAME]` apply.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Runs test fixtures (`*.test.json` files, or directories holding them)
    /// against their plugins; exits non-zero if any case fails.
    Test {
        /// Fixture files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Resolve fixtures' relative plugin paths against this directory
        /// instead of the fixture's own.
        #[arg(long)]
        plugins: Option<PathBuf>,
        /// Print one JSON report instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Runs a policy (configuration and plugins) over labelled conversations
    /// (`*.jsonl`, see corpus/README.md) and reports must-escalate recall,
    /// needless escalations and agreement, by language and category, with
    /// every miss.
    Quality {
        /// Corpus files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The policy's config file (default: the built-in defaults).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// The plugins directory (default: the config file's; none without one).
        #[arg(long)]
        plugins: Option<PathBuf>,
        /// Print one JSON report instead of text.
        #[arg(long)]
        json: bool,
        /// Exit 1 when must-escalate recall is below this share (0-1).
        #[arg(long)]
        min_recall: Option<f64>,
        /// Exit 1 when the needless-escalation rate is above this share (0-1).
        #[arg(long)]
        max_needless: Option<f64>,
    },
    /// Reads the decision log.
    Log {
        /// What to do with it.
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Creates a plugin skeleton that builds and passes its sample test.
    New {
        /// The plugin's name (lowercase letters, digits and dashes).
        name: String,
        /// The language.
        #[arg(long, value_enum, default_value = "rust")]
        lang: Lang,
        /// Where to create it (default: ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The escalator-sdk crate to depend on (Rust skeletons).
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
}

/// The `log` subcommands.
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Writes decision records (or, with `--events`, outcome events) as JSON
    /// lines, oldest first, for offline analysis.
    Export {
        /// The config file whose `[store]` to read (`ESCALATOR_STORE_URL`
        /// wins over it).
        #[arg(long, short, env = "ESCALATOR_CONFIG")]
        config: Option<PathBuf>,
        /// Decisions made (events received) at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Decisions made (events received) before this RFC 3339 time.
        #[arg(long)]
        until: Option<String>,
        /// Outcome events instead of decisions.
        #[arg(long)]
        events: bool,
        /// The output format.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
    },
}

/// How `log export` writes records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
}

/// Runs an author command, writing its report to `out`; returns the exit
/// code: 0 success, 1 a check or test failed, 2 the command could not run.
pub fn run(command: Command, out: &mut dyn Write) -> i32 {
    let result = match command {
        Command::Serve(_) => Err(anyhow::anyhow!("`serve` runs the service: call cli::serve")),
        Command::Check {
            plugin,
            settings,
            config,
        } => check::run(&plugin, &settings, config.as_deref(), out),
        Command::Eval {
            plugin,
            conversation,
            settings,
            config,
        } => eval::run(&plugin, &conversation, &settings, config.as_deref(), out),
        Command::Test {
            paths,
            plugins,
            json,
        } => test::run(&paths, plugins.as_deref(), json, out),
        Command::Quality {
            paths,
            config,
            plugins,
            json,
            min_recall,
            max_needless,
        } => quality::run(
            &quality::Options {
                paths: &paths,
                config: config.as_deref(),
                plugins: plugins.as_deref(),
                json,
                min_recall,
                max_needless,
            },
            out,
        ),
        Command::Log {
            command:
                LogCommand::Export {
                    config,
                    since,
                    until,
                    events,
                    format: ExportFormat::Jsonl,
                },
        } => log::export(
            config.as_deref(),
            since.as_deref(),
            until.as_deref(),
            events,
            out,
        ),
        Command::New {
            name,
            lang,
            dir,
            sdk,
        } => new::run(&name, lang, dir.as_deref(), sdk.as_deref(), out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(out, "error: {e:#}");
            2
        }
    }
}
