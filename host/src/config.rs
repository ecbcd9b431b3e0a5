//! The configuration file, in two stages: the raw TOML form as written by
//! operators, then a validated [`Config`] with defaults applied and ranges
//! checked, so the rest of the service never sees an impossible value.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::reasons::Tag;

pub use crate::policy::{
    AccountConfig, BudgetConfig, ConfidenceConfig, GuardedTopic, HumanRequestConfig, RoutingConfig,
    SentimentConfig, TierConfig, TopicConfig, TriggersConfig,
};

/// Where the service listens when neither the file nor the command line says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Decisions a reused instance serves before it is retired.
pub const DEFAULT_REUSE_CALLS: u32 = 1000;

/// The plugins directory when neither the file nor the command line says.
pub const DEFAULT_PLUGINS_DIR: &str = "plugins";

/// A configuration problem, with enough context for an operator to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not have the expected shape.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// A value is out of its allowed range.
    #[error("config `{key}`: {message}")]
    Invalid {
        /// The dotted key, for example `triggers.confidence.threshold`.
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
}

/// The file as written, every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: Option<String>,
    plugins_dir: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    #[serde(default)]
    merge: RawMerge,
    #[serde(default)]
    triggers: TriggersConfig,
    #[serde(default)]
    tiers: TierConfig,
    #[serde(default)]
    routing: RoutingConfig,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    breaker: RawBreaker,
    #[serde(default)]
    plugins: BTreeMap<String, RawPlugin>,
    #[serde(default)]
    server: ServerConfig,
    #[serde(default)]
    input: InputLimits,
    #[serde(default)]
    decision: DecisionConfig,
    #[serde(default)]
    load: LoadLimits,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBreaker {
    failures: Option<u32>,
    backoff_ms: Option<u64>,
    max_backoff_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMerge {
    escalate_threshold: Option<f64>,
    offer_threshold: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    fuel: Option<u64>,
    deadline_ms: Option<u64>,
    memory_mib: Option<u64>,
    output_kib: Option<u64>,
    vote_kib: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    enabled: Option<bool>,
    weight: Option<f64>,
    on_failure: Option<FailurePolicy>,
    instances: Option<InstanceStrategy>,
    reuse_calls: Option<u32>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    reason_tags: BTreeMap<String, Tag>,
    #[serde(default)]
    settings: toml::Table,
}

/// The validated configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    /// The address the HTTP API listens on.
    pub listen: SocketAddr,
    /// The directory watched for `*.wasm` rule plugins.
    pub plugins_dir: PathBuf,
    /// The compiled-plugin cache; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// How votes become an action.
    pub merge: MergeConfig,
    /// The built-in triggers.
    pub triggers: TriggersConfig,
    /// How action and score map to a tier.
    pub tiers: TierConfig,
    /// Where routing hints come from.
    pub routing: RoutingConfig,
    /// Sandbox limits applied to every plugin call, unless a plugin's own
    /// section overrides them.
    pub limits: Limits,
    /// When a failing plugin is quarantined.
    pub breaker: BreakerConfig,
    /// Per-plugin configuration, keyed by the plugin's file name without `.wasm`.
    pub plugins: BTreeMap<String, PluginConfig>,
    /// Connection handling; read at start only.
    pub server: ServerConfig,
    /// What one decision request may hold.
    pub input: InputLimits,
    /// Bounds on one decision.
    pub decision: DecisionConfig,
    /// What a plugin file may cost to load.
    pub load: LoadLimits,
}

/// Connection handling of the HTTP server. These take effect at start only.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Connections served at once; beyond it, new connections wait in the
    /// kernel's accept queue. Also kept below the process's open-file limit.
    pub max_connections: u32,
    /// A request head must arrive completely within this long, counted from
    /// the connection's opening or the end of the previous response; it is
    /// also how long an idle keep-alive connection stays open.
    pub header_read_timeout_ms: u64,
    /// A request body must arrive completely within this long (408 beyond).
    pub body_read_timeout_ms: u64,
    /// A connection that moves no byte either way for this long is closed
    /// (a client that stops reading its response, for one).
    pub idle_timeout_ms: u64,
    /// On SIGTERM, requests in flight get this long to finish; connections
    /// still open after it are closed.
    pub shutdown_grace_ms: u64,
    /// Decision requests read and decided at once; more wait their turn.
    /// Bounds the memory that request bodies can hold.
    pub max_concurrent_requests: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: 1024,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            shutdown_grace_ms: 10_000,
            max_concurrent_requests: 64,
        }
    }
}

/// What one decision request may hold. Beyond either bound the request is
/// refused (422) naming the field; the defaults are far above any real chat
/// or e-mail thread.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InputLimits {
    /// Messages in one conversation.
    pub max_messages: u32,
    /// Characters in one message's text.
    pub max_message_chars: u32,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            max_messages: 1000,
            max_message_chars: 65_536,
        }
    }
}

/// Bounds on one decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionConfig {
    /// A decision answers within this long with what it has: built-in
    /// triggers that finished, and plugins not yet called marked `deadline`.
    /// Each plugin call's own deadline is cut to what remains of it.
    pub deadline_ms: u64,
}

impl Default for DecisionConfig {
    fn default() -> Self {
        DecisionConfig { deadline_ms: 2_000 }
    }
}

/// What a plugin file may cost to load; a file beyond a bound fails its
/// `compile` step naming the bound, before any compilation work is spent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadLimits {
    /// Size of a plugin file, in MiB. The Python example is 18 MiB.
    pub max_file_mib: u64,
    /// Size of the largest function body in a plugin, in KiB. Compilation
    /// time and memory grow with a function's size (a 2 MiB function took
    /// over a minute and 825 MiB). The largest in the examples is the
    /// Python interpreter's, 416 KiB; the JavaScript engine's is 167 KiB.
    pub max_function_kib: u64,
}

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            max_file_mib: 128,
            max_function_kib: 512,
        }
    }
}

/// Thresholds of the merge; see `merge` for the rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MergeConfig {
    /// A score at or above this escalates (default 1.0).
    pub escalate_threshold: f64,
    /// A score at or above this, but below `escalate_threshold`, offers a
    /// human to the customer (default 0.5).
    pub offer_threshold: f64,
}

impl Default for MergeConfig {
    fn default() -> Self {
        MergeConfig {
            escalate_threshold: 1.0,
            offer_threshold: 0.5,
        }
    }
}

/// Per-call sandbox limits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limits {
    /// Wasm fuel per call; roughly one unit per instruction. Shopify Functions
    /// allow 11 M instructions; a generous default leaves room for
    /// interpreter-based plugins while still stopping an infinite loop.
    pub fuel: u64,
    /// Wall-clock deadline per call, in milliseconds.
    pub deadline_ms: u64,
    /// Linear memory cap per instance, in MiB.
    pub memory_mib: u64,
    /// Cap on what a plugin may print or log per call, in KiB; the rest is
    /// dropped.
    pub output_kib: u64,
    /// Cap on the size of a vote (reason, detail, queue and skills), in KiB;
    /// a larger vote is refused as `bad_output`.
    pub vote_kib: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 100_000_000,
            deadline_ms: 200,
            memory_mib: 64,
            output_kib: 64,
            vote_kib: 16,
        }
    }
}

impl Limits {
    /// These limits with the values set in `raw` replacing them.
    fn overlaid(&self, raw: &RawLimits) -> Limits {
        Limits {
            fuel: raw.fuel.unwrap_or(self.fuel),
            deadline_ms: raw.deadline_ms.unwrap_or(self.deadline_ms),
            memory_mib: raw.memory_mib.unwrap_or(self.memory_mib),
            output_kib: raw.output_kib.unwrap_or(self.output_kib),
            vote_kib: raw.vote_kib.unwrap_or(self.vote_kib),
        }
    }

    fn check(&self, prefix: &str) -> Result<(), ConfigError> {
        let key = |k: &str| format!("{prefix}.{k}");
        in_range(&key("fuel"), self.fuel, 1, MAX_FUEL)?;
        in_range(&key("deadline_ms"), self.deadline_ms, 1, 60_000)?;
        in_range(&key("memory_mib"), self.memory_mib, 1, 4096)?;
        in_range(&key("output_kib"), self.output_kib, 1, 16_384)?;
        in_range(&key("vote_kib"), self.vote_kib, 1, 1024)?;
        Ok(())
    }
}

/// The most fuel a call may be given. wasmtime keeps fuel as a signed
/// 64-bit count; this stays clear of its end, and "practically unlimited"
/// (leaving the deadline as the bound) is still expressible.
const MAX_FUEL: u64 = 1_000_000_000_000_000_000;

impl ServerConfig {
    fn check(&self) -> Result<(), ConfigError> {
        in_range(
            "server.max_connections",
            self.max_connections.into(),
            1,
            1_000_000,
        )?;
        for (key, v) in [
            ("server.header_read_timeout_ms", self.header_read_timeout_ms),
            ("server.body_read_timeout_ms", self.body_read_timeout_ms),
            ("server.idle_timeout_ms", self.idle_timeout_ms),
            ("server.shutdown_grace_ms", self.shutdown_grace_ms),
        ] {
            in_range(key, v, 1, 3_600_000)?;
        }
        in_range(
            "server.max_concurrent_requests",
            self.max_concurrent_requests.into(),
            1,
            100_000,
        )
    }
}

impl InputLimits {
    fn check(&self) -> Result<(), ConfigError> {
        in_range("input.max_messages", self.max_messages.into(), 1, 100_000)?;
        in_range(
            "input.max_message_chars",
            self.max_message_chars.into(),
            1,
            1 << 20,
        )
    }
}

impl LoadLimits {
    fn check(&self) -> Result<(), ConfigError> {
        in_range("load.max_file_mib", self.max_file_mib, 1, 4096)?;
        in_range("load.max_function_kib", self.max_function_kib, 1, 1 << 20)
    }
}

/// What a plugin failure (trap, exhausted budget, error, bad output, or
/// quarantine) counts as in the merge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailurePolicy {
    /// The plugin has no say (fail open).
    #[default]
    Abstain,
    /// A hard escalation: a human takes over (fail closed).
    Escalate,
    /// A stay vote with the plugin's weight.
    Stay,
}

/// How a plugin's instances are used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceStrategy {
    /// A fresh instance per decision: nothing survives between decisions.
    #[default]
    Fresh,
    /// Instances are kept and reused, each for at most `reuse_calls`
    /// decisions and never after a failure: much cheaper for plugins with an
    /// interpreter inside, at the cost of state (globals, caches) carrying
    /// over from one decision to the next.
    Reuse,
}

/// The circuit breaker that quarantines a failing plugin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker (default 5).
    pub failures: u32,
    /// The first quarantine, in milliseconds (default 1000); each further
    /// quarantine in a row doubles it.
    pub backoff_ms: u64,
    /// The longest quarantine, in milliseconds (default 60000).
    pub max_backoff_ms: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failures: 5,
            backoff_ms: 1_000,
            max_backoff_ms: 60_000,
        }
    }
}

/// Configuration of one plugin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginConfig {
    /// A disabled plugin is not loaded.
    pub enabled: bool,
    /// Multiplies the weight of the plugin's votes.
    pub weight: f64,
    /// What a failure of this plugin counts as.
    pub on_failure: FailurePolicy,
    /// Fresh instance per decision, or reused instances.
    pub instances: InstanceStrategy,
    /// With reused instances: decisions per instance before it is retired.
    pub reuse_calls: u32,
    /// This plugin's limits: the global ones with its overrides applied.
    pub limits: Limits,
    /// Escalation tags of the plugin's reason codes, for the learning loop.
    pub reason_tags: BTreeMap<String, Tag>,
    /// Settings handed to the plugin, checked against what it declares.
    pub settings: toml::Table,
}

impl Default for PluginConfig {
    fn default() -> Self {
        PluginConfig {
            enabled: true,
            weight: 1.0,
            on_failure: FailurePolicy::Abstain,
            instances: InstanceStrategy::Fresh,
            reuse_calls: DEFAULT_REUSE_CALLS,
            limits: Limits::default(),
            reason_tags: BTreeMap::new(),
            settings: toml::Table::new(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN.parse().expect("default address parses"),
            plugins_dir: PathBuf::from(DEFAULT_PLUGINS_DIR),
            cache_dir: crate::plugin::cache::default_dir(),
            merge: MergeConfig::default(),
            triggers: TriggersConfig::default(),
            tiers: TierConfig::default(),
            routing: RoutingConfig::default(),
            limits: Limits::default(),
            breaker: BreakerConfig::default(),
            plugins: BTreeMap::new(),
            server: ServerConfig::default(),
            input: InputLimits::default(),
            decision: DecisionConfig::default(),
            load: LoadLimits::default(),
        }
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let bytes = crate::live_config::read_config_file(path)?;
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::Parse {
            path: path.to_owned(),
            message: "the file is not UTF-8 text".into(),
        })?;
        Config::parse_file(path, &text)
    }

    /// Parses and validates the text of config file `path`. A relative
    /// `plugins_dir` is taken relative to the file's directory, so the
    /// service can be started from anywhere.
    pub fn parse_file(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut config = Config::parse(text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_owned(),
                message,
            },
            other => other,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        if config.plugins_dir.is_relative() {
            config.plugins_dir = base.join(&config.plugins_dir);
        }
        if let Some(cache) = config.cache_dir.as_mut().filter(|c| c.is_relative()) {
            *cache = base.join(&*cache);
        }
        Ok(config)
    }

    /// Parses and validates config text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
        Config::validate(raw)
    }

    fn validate(raw: RawConfig) -> Result<Config, ConfigError> {
        let d = Config::default();
        let listen = match raw.listen {
            Some(s) => s
                .parse()
                .map_err(|_| invalid("listen", "expected HOST:PORT, e.g. 127.0.0.1:8080"))?,
            None => d.listen,
        };

        let merge = MergeConfig {
            escalate_threshold: raw
                .merge
                .escalate_threshold
                .unwrap_or(d.merge.escalate_threshold),
            offer_threshold: raw.merge.offer_threshold.unwrap_or(d.merge.offer_threshold),
        };
        positive("merge.escalate_threshold", merge.escalate_threshold)?;
        positive("merge.offer_threshold", merge.offer_threshold)?;
        if merge.escalate_threshold > 1000.0 {
            return Err(invalid("merge.escalate_threshold", "must be at most 1000"));
        }
        if merge.offer_threshold > merge.escalate_threshold {
            return Err(invalid(
                "merge.offer_threshold",
                "must not exceed merge.escalate_threshold",
            ));
        }

        raw.triggers.validate()?;
        raw.tiers.validate()?;
        raw.routing.validate()?;

        let limits = d.limits.overlaid(&raw.limits);
        limits.check("limits")?;
        raw.server.check()?;
        raw.input.check()?;
        raw.load.check()?;
        in_range("decision.deadline_ms", raw.decision.deadline_ms, 1, 600_000)?;

        let breaker = BreakerConfig {
            failures: raw.breaker.failures.unwrap_or(d.breaker.failures),
            backoff_ms: raw.breaker.backoff_ms.unwrap_or(d.breaker.backoff_ms),
            max_backoff_ms: raw
                .breaker
                .max_backoff_ms
                .unwrap_or(d.breaker.max_backoff_ms),
        };
        in_range(
            "breaker.failures",
            breaker.failures.into(),
            1,
            1_000_000_000,
        )?;
        in_range("breaker.backoff_ms", breaker.backoff_ms, 1, 86_400_000)?;
        in_range(
            "breaker.max_backoff_ms",
            breaker.max_backoff_ms,
            1,
            86_400_000,
        )?;
        if breaker.max_backoff_ms < breaker.backoff_ms {
            return Err(invalid(
                "breaker.max_backoff_ms",
                "backoff_ms must be at least 1 and max_backoff_ms at least backoff_ms",
            ));
        }

        let mut plugins = BTreeMap::new();
        for (name, p) in raw.plugins {
            let config = PluginConfig {
                enabled: p.enabled.unwrap_or(true),
                weight: p.weight.unwrap_or(1.0),
                on_failure: p.on_failure.unwrap_or_default(),
                instances: p.instances.unwrap_or_default(),
                reuse_calls: p.reuse_calls.unwrap_or(DEFAULT_REUSE_CALLS),
                limits: limits.overlaid(&p.limits),
                reason_tags: p.reason_tags,
                settings: p.settings,
            };
            weight(&format!("plugins.{name}.weight"), config.weight)?;
            in_range(
                &format!("plugins.{name}.reuse_calls"),
                config.reuse_calls.into(),
                1,
                1_000_000,
            )?;
            config.limits.check(&format!("plugins.{name}.limits"))?;
            plugins.insert(name, config);
        }

        Ok(Config {
            listen,
            plugins_dir: raw.plugins_dir.unwrap_or(d.plugins_dir),
            // An empty path turns the cache off.
            cache_dir: match raw.cache_dir {
                Some(p) if p.as_os_str().is_empty() => None,
                Some(p) => Some(p),
                None => d.cache_dir,
            },
            merge,
            triggers: raw.triggers,
            tiers: raw.tiers,
            routing: raw.routing,
            limits,
            breaker,
            plugins,
            server: raw.server,
            input: raw.input,
            decision: raw.decision,
            load: raw.load,
        })
    }

    /// The configuration of plugin `name`, or the defaults (with the global
    /// limits).
    pub fn plugin(&self, name: &str) -> PluginConfig {
        self.plugins
            .get(name)
            .cloned()
            .unwrap_or_else(|| PluginConfig {
                limits: self.limits,
                ..PluginConfig::default()
            })
    }
}

fn invalid(key: &str, message: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.to_owned(),
    }
}

fn positive(key: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(key, &format!("must be a number above 0, got {v}")))
    }
}

/// Plugin weights share the built-in triggers' bound, so no single voter
/// can outweigh every other by orders of magnitude.
fn weight(key: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() && (0.0..=1000.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(key, &format!("must be 0 to 1000, got {v}")))
    }
}

/// Every integer key has a range, so that no accepted value can overflow a
/// duration or a size computed from it later.
pub(crate) fn in_range(key: &str, v: u64, lo: u64, hi: u64) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(invalid(key, &format!("must be {lo} to {hi}, got {v}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_documented_defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.merge.escalate_threshold, 1.0);
        assert_eq!(c.merge.offer_threshold, 0.5);
        assert_eq!(c.triggers.confidence.threshold, 0.55);
        assert_eq!(c.triggers.sentiment.angry_at, -0.6);
        assert_eq!(c.triggers.sentiment.frustrated_at, -0.3);
        assert_eq!(c.triggers.budget.max_customer_turns, 4);
        assert_eq!(c.triggers.budget.max_seconds, 360);
        assert_eq!(c.triggers.account.top_n, 100);
        assert_eq!(c.triggers.sentiment.streak, 2);
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
    }

    #[test]
    fn plugin_limits_override_the_global_ones() {
        let c = Config::parse(
            "[limits]\nfuel = 10\nmemory_mib = 8\n[plugins.p]\non_failure = \"escalate\"\nlimits = { fuel = 99 }\n",
        )
        .unwrap();
        let p = c.plugin("p");
        assert_eq!(p.limits.fuel, 99);
        assert_eq!(p.limits.memory_mib, 8);
        assert_eq!(p.on_failure, FailurePolicy::Escalate);
        assert_eq!(c.plugin("other").limits.fuel, 10);
        assert!(Config::parse("[plugins.p]\non_failure = \"panic\"").is_err());
    }

    #[test]
    fn plugin_sections_are_read() {
        let c = Config::parse("[plugins.vip-accounts]\nweight = 2.0\nsettings = { top_n = 5 }\n")
            .unwrap();
        let p = c.plugin("vip-accounts");
        assert_eq!(p.weight, 2.0);
        assert_eq!(p.settings["top_n"].as_integer(), Some(5));
        assert!(c.plugin("other").enabled);
    }

    #[test]
    fn out_of_range_and_unknown_keys_are_rejected_with_the_key() {
        let cases = [
            (
                "[triggers.confidence]\nthreshold = 1.5",
                "triggers.confidence.threshold",
            ),
            ("[merge]\noffer_threshold = 2.0", "merge.offer_threshold"),
            ("[plugins.x]\nweight = -1.0", "plugins.x.weight"),
            (
                "[triggers.sentiment]\nstreak = 0",
                "triggers.sentiment.streak",
            ),
        ];
        for (text, key) in cases {
            let err = Config::parse(text).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
        let err = Config::parse("[merge]\nescalate_treshold = 1.0")
            .unwrap_err()
            .to_string();
        assert!(err.contains("escalate_treshold"), "{err}");
    }
}
