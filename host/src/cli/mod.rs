//! The `escalator` command line: `serve` for operators, and `check`, `eval`,
//! `test` and `new` for plugin authors. The author commands run plugins in
//! the same sandbox, with the same limits, as the server.
//!
//! [`serve`] runs the service; [`run`] runs the author commands, writing to
//! the given output, so tests drive the command line in-process.

mod check;
mod eval;
mod kpis;
mod load;
mod log;
mod new;
mod openapi;
mod quality;
mod replay;
mod review;
mod serve;
mod sign;
mod simulate;
mod store;
mod test;
mod token;

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
    /// How log lines are written to stderr: `text` (coloured only on a
    /// terminal) or `json` (one object a line, fields as keys).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "ESCALATOR_LOG_FORMAT"
    )]
    pub log_format: LogFormat,
}

/// The log's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
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

/// `escalator token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// A new random token, and the `[auth.tokens.NAME]` section that
    /// accepts it.
    New {
        /// The caller's name in the config and the audit trail.
        #[arg(long, default_value = "helpdesk")]
        name: String,
        /// The caller's role.
        #[arg(long, value_parser = ["client", "operator"], default_value = "client")]
        role: String,
    },
    /// The SHA-256 digest of a token read from standard input.
    Hash,
}

/// The subcommands.
// Parsed once per process: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Makes API tokens for `[auth]`: `new` prints a random token and the
    /// digest to configure; `hash` prints the digest of a token read from
    /// standard input.
    Token {
        /// What to do.
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Runs the HTTP service.
    Serve(ServeArgs),
    /// Prints the API's OpenAPI 3.1 document (what `GET /openapi.json`
    /// serves; `docs/openapi.json` is its copy).
    Openapi,
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
    /// against their plugin, or against a whole policy (configuration,
    /// built-in triggers and plugins) for the expected action, reasons, tier
    /// and priority; exits non-zero if any case fails.
    Test {
        /// Fixture files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Resolve plugin fixtures' relative plugin paths against this
        /// directory instead of the fixture's own; policy fixtures load
        /// their plugins from it.
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
    /// The handoff-quality KPIs of a window, from the store: rates,
    /// time to a human, repeat handoffs, CSAT gap, first-reply context,
    /// trends and per-rule review verdicts (definitions in README).
    Kpis {
        /// The config file whose `[store]` and `[kpi]` to use
        /// (`ESCALATOR_STORE_URL` wins over its store).
        #[arg(long, short, env = "ESCALATOR_CONFIG")]
        config: Option<PathBuf>,
        /// Decisions made at or after this RFC 3339 time (default: 28 days
        /// before `--to`).
        #[arg(long)]
        from: Option<String>,
        /// Decisions made before this RFC 3339 time (default: now).
        #[arg(long)]
        to: Option<String>,
        /// The trend's bucket: day or week.
        #[arg(long)]
        bucket: Option<String>,
        /// Only this category (`(none)`: conversations without one).
        #[arg(long)]
        category: Option<String>,
        /// Only this channel.
        #[arg(long)]
        channel: Option<String>,
        /// The output format.
        #[arg(long, value_enum, default_value = "table")]
        format: kpis::KpiFormat,
    },
    /// Decides logged conversations again with a candidate rule set (a
    /// config file and/or a plugins directory) and reports what would
    /// change: flipped actions by category, reason, customer tier and
    /// plugin; earlier or later escalation; precision and recall against
    /// reviewers' verdicts; a sample side by side. Without a candidate it
    /// checks that the live rules reproduce the log exactly. Exits 1 when a
    /// `--fail-if` threshold is crossed.
    Replay {
        /// The live config file: its store, and the rules that decided
        /// (`ESCALATOR_STORE_URL` wins over its store).
        #[arg(long, short, env = "ESCALATOR_CONFIG")]
        config: Option<PathBuf>,
        /// The live plugins directory, when the server ran with `--plugins`.
        #[arg(long)]
        plugins: Option<PathBuf>,
        /// The candidate config file (default: the live one).
        #[arg(long)]
        candidate: Option<PathBuf>,
        /// The candidate plugins directory (default: `--plugins`, else the
        /// candidate config's).
        #[arg(long)]
        candidate_plugins: Option<PathBuf>,
        /// Replay the conversations of this file (JSON lines or an array of
        /// stored records or of `POST /v1/decide` bodies) instead of the store.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Decisions made at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Decisions made before this RFC 3339 time.
        #[arg(long)]
        until: Option<String>,
        /// Only this topic category.
        #[arg(long)]
        category: Option<String>,
        /// Only this channel.
        #[arg(long)]
        channel: Option<String>,
        /// Only decisions that had this action.
        #[arg(long)]
        action: Option<String>,
        /// Only this customer tier.
        #[arg(long)]
        customer_tier: Option<String>,
        /// Only this conversation.
        #[arg(long)]
        conversation: Option<String>,
        /// Only decisions a reviewer gave a verdict on.
        #[arg(long)]
        reviewed: bool,
        /// At most this many decisions, oldest first.
        #[arg(long)]
        limit: Option<u64>,
        /// The report's format: text, markdown or json.
        #[arg(long, default_value = "text")]
        format: crate::replay::render::Format,
        /// Flipped decisions shown side by side.
        #[arg(long, default_value_t = 10)]
        sample: usize,
        /// Exit 1 when this holds, e.g. `escalation_rate_up>2` (points) or
        /// `correct_lost>0`. Repeatable. `--fail-if help` lists the metrics.
        #[arg(long = "fail-if", value_name = "METRIC>VALUE")]
        fail_if: Vec<String>,
        /// Worker threads (default: one per core).
        #[arg(long)]
        jobs: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// The review loop: reviewed decisions as regression fixtures.
    Review {
        /// What to do.
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Reads the decision log.
    Log {
        /// What to do with it.
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Drives a running server with synthetic support traffic: conversations
    /// in English, Portuguese and Spanish spread over the last `--days`,
    /// decided through the API, then the outcome events that follow each
    /// decision (pick-ups, replies, resolutions, CSAT, reviews), so the KPI
    /// dashboard and the review queue fill in one command. The same seed
    /// sends the same traffic.
    Simulate {
        /// The server's base URL, e.g. `http://127.0.0.1:8080`.
        #[arg(long)]
        server: String,
        /// How many conversations to send.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        conversations: u64,
        /// The seed: the same seed, count and `--end` send the same traffic.
        #[arg(long)]
        seed: u64,
        /// Spread the conversations over this many days before `--end`.
        #[arg(long, default_value_t = 28, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
        /// The end of the span, RFC 3339 (default: now, truncated to the hour).
        #[arg(long)]
        end: Option<String>,
    },
    /// Makes a signing key pair: `NAME.key` (secret, mode 0600) and
    /// `NAME.pub` (the public key, to trust in `[trust] keys`).
    Keygen {
        /// The key files' path without extension.
        #[arg(long)]
        out: PathBuf,
    },
    /// Signs a plugin file: writes its detached signature, `PLUGIN.wasm.sig`,
    /// beside it.
    Sign {
        /// The plugin component.
        plugin: PathBuf,
        /// The secret key file (from `keygen`).
        #[arg(long)]
        key: PathBuf,
    },
    /// Checks a plugin's signature as the server's verify step does, with
    /// signatures required; exits 1 with the reason when it does not hold.
    Verify {
        /// The plugin component.
        plugin: PathBuf,
        /// A trusted public key: a `.pub` file or the key's text.
        /// Repeatable.
        #[arg(long, value_name = "PUB")]
        key: Vec<String>,
        /// A config file whose `[trust]` keys (and per-plugin keys) apply.
        #[arg(long, short)]
        config: Option<PathBuf>,
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

/// The `review` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Writes reviewed decisions as fixture files for `escalator test`, one
    /// file per verdict (`reviewed-correct.test.json`, …), each case
    /// expecting what the reviewer said the rules should have done.
    Export {
        /// The config file whose `[store]` to read; the fixtures name it as
        /// their policy.
        #[arg(long, short, env = "ESCALATOR_CONFIG")]
        config: Option<PathBuf>,
        /// Decisions made at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Decisions made before this RFC 3339 time.
        #[arg(long)]
        until: Option<String>,
        /// The directory to write the fixtures to.
        #[arg(long, short)]
        out: PathBuf,
        /// The policy config the fixtures name (default: `--config`).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// The plugins directory the fixtures name (default: the policy
        /// config's); give the server's `--plugins` when it had one.
        #[arg(long)]
        plugins: Option<PathBuf>,
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
        Command::Token { action } => match action {
            TokenCommand::New { name, role } => token::new(&name, &role, out),
            TokenCommand::Hash => token::hash(&mut std::io::stdin().lock(), out),
        },
        Command::Serve(_) => Err(anyhow::anyhow!("`serve` runs the service: call cli::serve")),
        Command::Openapi => openapi::run(out),
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
        Command::Simulate {
            server,
            conversations,
            seed,
            days,
            end,
        } => simulate::run(
            &simulate::Options {
                server,
                conversations,
                seed,
                days,
                end,
            },
            out,
        ),
        Command::Review {
            command:
                ReviewCommand::Export {
                    config,
                    since,
                    until,
                    out: out_dir,
                    policy,
                    plugins,
                },
        } => review::export(
            &review::ExportArgs {
                config: config.as_deref(),
                since: since.as_deref(),
                until: until.as_deref(),
                out_dir: &out_dir,
                policy: policy.as_deref(),
                plugins: plugins.as_deref(),
            },
            out,
        ),
        Command::Kpis {
            config,
            from,
            to,
            bucket,
            category,
            channel,
            format,
        } => kpis::run(
            config.as_deref(),
            &crate::kpi::WindowArgs {
                from: from.as_deref(),
                to: to.as_deref(),
                bucket: bucket.as_deref(),
                category: category.as_deref(),
                channel: channel.as_deref(),
            },
            format,
            out,
        ),
        Command::Replay {
            config,
            plugins,
            candidate,
            candidate_plugins,
            file,
            since,
            until,
            category,
            channel,
            action,
            customer_tier,
            conversation,
            reviewed,
            limit,
            format,
            sample,
            fail_if,
            jobs,
            quiet,
        } => (|| {
            if fail_if.iter().any(|f| f == "help") {
                let _ = write!(out, "{}", crate::replay::gate::help());
                return Ok(0);
            }
            let thresholds = fail_if
                .iter()
                .map(|f| f.parse().map_err(|e| anyhow::anyhow!("--fail-if {f}: {e}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            replay::run(
                replay::Args {
                    config: config.as_deref(),
                    plugins: plugins.as_deref(),
                    candidate: candidate.as_deref(),
                    candidate_plugins: candidate_plugins.as_deref(),
                    file: file.as_deref(),
                    since: since.as_deref(),
                    until: until.as_deref(),
                    selection: crate::replay::session::Selection {
                        category,
                        channel,
                        action,
                        customer_tier,
                        conversation,
                        reviewed_only: reviewed,
                        limit,
                        ..Default::default()
                    },
                    format,
                    sample,
                    fail_if: &thresholds,
                    jobs,
                    progress: !quiet,
                },
                out,
            )
        })(),
        Command::New {
            name,
            lang,
            dir,
            sdk,
        } => new::run(&name, lang, dir.as_deref(), sdk.as_deref(), out),
        Command::Keygen { out: base } => sign::keygen(&base, out),
        Command::Sign { plugin, key } => sign::sign(&plugin, &key, out),
        Command::Verify {
            plugin,
            key,
            config,
        } => sign::verify(&plugin, &key, config.as_deref(), out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(out, "error: {e:#}");
            2
        }
    }
}
