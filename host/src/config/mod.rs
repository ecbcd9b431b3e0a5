//! The operator's configuration: the validated [`Config`] every other module
//! reads, with its sections and defaults. The file's raw form and its
//! validation are in `raw`, the built-in triggers' sections in [`triggers`],
//! the range checks in [`error`], and the copy in force, which hot-reloads,
//! in [`live`]. The rest of the service never sees an impossible value.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub mod auth;
pub mod error;
pub mod files;
pub mod handback;
pub mod kpi;
pub mod live;
pub mod phrases;
pub mod plugin_settings;
mod raw;
pub mod secret;
pub mod store;
pub mod tag;
pub mod tls;
pub mod triggers;
pub mod trust;

pub use auth::{AuthConfig, Role};
pub use error::ConfigError;
use error::in_range;
pub use handback::{ContextConfig, HandbackConfig, RoutineTest};
pub use kpi::KpiConfig;
pub use plugin_settings::PluginSettings;
pub use store::StoreConfig;
pub use tag::Tag;
pub use triggers::{
    AccountConfig, BudgetConfig, ConfidenceConfig, GuardedTopic, HumanRequestConfig, RoutingConfig,
    SentimentConfig, TierConfig, TopicConfig, TriggersConfig,
};
pub use trust::TrustConfig;

/// Where the service listens when neither the file nor the command line says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Decisions a reused instance serves before it is retired.
pub const DEFAULT_REUSE_CALLS: u32 = 1000;

/// The plugins directory when neither the file nor the command line says.
pub const DEFAULT_PLUGINS_DIR: &str = "plugins";

/// Where compiled plugins are cached when the configuration does not say:
/// the user's cache directory.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("escalator").join("compiled"))
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
    /// The decision log and outcome events; read at start only.
    pub store: StoreConfig,
    /// When a conversation a human owns may go back to the AI.
    pub handback: HandbackConfig,
    /// What the handoff context adds from the decision log.
    pub context: ContextConfig,
    /// How the handoff KPIs are read.
    pub kpi: KpiConfig,
    /// Rules observed on live traffic without deciding anything: a shadow
    /// copy of the built-in triggers and merge thresholds
    /// (`[shadow.triggers]`, `[shadow.merge]`). Shadow plugins are marked
    /// in their own section (`mode = "shadow"`).
    pub shadow: Option<Box<ShadowConfig>>,
    /// Who may call the API: named bearer tokens and their roles.
    pub auth: AuthConfig,
    /// Which keys may sign plugins, and whether plugins must be signed.
    pub trust: TrustConfig,
    /// HTTPS served by the service itself; read at start only.
    pub tls: Option<tls::TlsConfig>,
}

/// The shadow copy of the built-in rules: the `[triggers]` and `[merge]`
/// sections with the keys of `[shadow.triggers]` and `[shadow.merge]`
/// written over them.
#[derive(Debug, Clone, Serialize)]
pub struct ShadowConfig {
    /// The built-in triggers as the shadow copy has them.
    pub triggers: TriggersConfig,
    /// The merge thresholds as the shadow copy has them.
    pub merge: MergeConfig,
    /// False when the shadow copy's triggers are the enforced ones (only
    /// the thresholds differ): their votes are then taken, not cast again.
    pub triggers_changed: bool,
    /// The whole configuration as the shadow copy has it, which the
    /// decision pipeline runs with.
    #[serde(skip)]
    pub rules: Config,
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

/// Whether a plugin's votes count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginMode {
    /// Its votes are merged into the decision.
    #[default]
    Enforce,
    /// It is called on live traffic and its votes are recorded (marked
    /// `shadow`), but only the decision's would-be outcome counts them.
    Shadow,
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
    /// Enforced, or evaluated in shadow.
    pub mode: PluginMode,
    /// Fresh instance per decision, or reused instances.
    pub instances: InstanceStrategy,
    /// With reused instances: decisions per instance before it is retired.
    pub reuse_calls: u32,
    /// This plugin's limits: the global ones with its overrides applied.
    pub limits: Limits,
    /// Escalation tags of the plugin's reason codes, for the learning loop.
    pub reason_tags: BTreeMap<String, Tag>,
    /// Settings handed to the plugin, checked against what it declares;
    /// some may be secret (`secret_settings`, or read from `env`/`file`).
    pub settings: PluginSettings,
}

impl Default for PluginConfig {
    fn default() -> Self {
        PluginConfig {
            enabled: true,
            weight: 1.0,
            on_failure: FailurePolicy::Abstain,
            mode: PluginMode::Enforce,
            instances: InstanceStrategy::Fresh,
            reuse_calls: DEFAULT_REUSE_CALLS,
            limits: Limits::default(),
            reason_tags: BTreeMap::new(),
            settings: PluginSettings::default(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN.parse().expect("default address parses"),
            plugins_dir: PathBuf::from(DEFAULT_PLUGINS_DIR),
            cache_dir: default_cache_dir(),
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
            store: StoreConfig::default(),
            handback: HandbackConfig::default(),
            context: ContextConfig::default(),
            kpi: KpiConfig::default(),
            shadow: None,
            auth: AuthConfig::default(),
            trust: TrustConfig::default(),
            tls: None,
        }
    }
}

impl Config {
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
    fn phrase_lists_are_patterns_compiled_with_the_file() {
        let c = Config::parse(
            "[triggers.human_request.phrases]\nen = [\"(fetch|get) me a (grown up|adult)\"]\n",
        )
        .unwrap();
        assert_eq!(
            c.triggers.human_request.phrases["en"].sources(),
            ["(fetch|get) me a (grown up|adult)"]
        );
        // A broken pattern refuses the whole file, naming the pattern.
        let err = Config::parse("[triggers.sentiment]\nanger_phrases = [\"(scam|fraud\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("(scam|fraud"), "{err}");
        assert!(err.contains("anger_phrases"), "{err}");
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
