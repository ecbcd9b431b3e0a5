//! The configuration file as operators write it, every field optional, and
//! its validation into a [`Config`]: defaults applied, every range checked,
//! relative paths resolved against the file's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::{ConfigError, in_range, invalid, positive, weight};
use super::*;

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
    #[serde(default)]
    store: StoreConfig,
    #[serde(default)]
    handback: HandbackConfig,
    #[serde(default)]
    context: ContextConfig,
    #[serde(default)]
    kpi: KpiConfig,
    shadow: Option<RawShadow>,
    #[serde(default)]
    auth: super::auth::RawAuth,
    #[serde(default)]
    trust: super::trust::RawTrust,
    tls: Option<super::tls::TlsConfig>,
}

/// `[shadow]`: the keys of the shadow copy that differ from the enforced
/// sections. The triggers stay a table here: they are written over the
/// `[triggers]` table of the file before either is read.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShadow {
    #[serde(default)]
    triggers: toml::Table,
    #[serde(default)]
    merge: RawMerge,
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
    mode: Option<PluginMode>,
    instances: Option<InstanceStrategy>,
    reuse_calls: Option<u32>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    reason_tags: BTreeMap<String, Tag>,
    #[serde(default)]
    settings: toml::Table,
    #[serde(default)]
    secret_settings: Vec<String>,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let bytes = crate::config::live::read_config_file(path)?;
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
        let base = path.parent().unwrap_or(Path::new("."));
        let mut config = Config::parse_in(text, base).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_owned(),
                message,
            },
            other => other,
        })?;
        if config.plugins_dir.is_relative() {
            config.plugins_dir = base.join(&config.plugins_dir);
        }
        if let Some(cache) = config.cache_dir.as_mut().filter(|c| c.is_relative()) {
            *cache = base.join(&*cache);
        }
        config.store.resolve(base);
        Ok(config)
    }

    /// Parses and validates config text; files it names (token files) are
    /// taken relative to the working directory.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse_in(text, Path::new("."))
    }

    /// Parses and validates config text whose relative file names are
    /// relative to `base`.
    fn parse_in(text: &str, base: &Path) -> Result<Config, ConfigError> {
        let parse_error = |e: toml::de::Error| ConfigError::Parse {
            path: PathBuf::new(),
            message: e.to_string(),
        };
        let mut raw: RawConfig = toml::from_str(text).map_err(parse_error)?;
        let shadow = match raw.shadow.take() {
            Some(s) => {
                let file: toml::Table = toml::from_str(text).map_err(parse_error)?;
                Some(shadow_copy(&file, s, &raw.merge)?)
            }
            None => None,
        };
        let mut config = Config::validate(raw, base)?;
        // A shadow copy identical to the enforced rules observes nothing.
        let shadow = shadow.filter(|(t, m)| *t != config.triggers || *m != config.merge);
        if let Some((triggers, merge)) = shadow {
            if merge.escalate_threshold > 1000.0 {
                return Err(invalid(
                    "shadow.merge.escalate_threshold",
                    "must be at most 1000",
                ));
            }
            if merge.offer_threshold > merge.escalate_threshold {
                return Err(invalid(
                    "shadow.merge.offer_threshold",
                    "must not exceed the shadow copy's escalate_threshold",
                ));
            }
            let rules = Config {
                triggers: triggers.clone(),
                merge,
                ..config.clone()
            };
            config.shadow = Some(Box::new(ShadowConfig {
                triggers_changed: triggers != config.triggers,
                triggers,
                merge,
                rules,
            }));
        }
        Ok(config)
    }

    fn validate(raw: RawConfig, base: &Path) -> Result<Config, ConfigError> {
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
        raw.handback.validate()?;
        raw.context.validate()?;
        raw.kpi.validate()?;

        let limits = d.limits.overlaid(&raw.limits);
        limits.check("limits")?;
        raw.server.check()?;
        raw.input.check()?;
        raw.load.check()?;
        raw.store.check()?;
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
                mode: p.mode.unwrap_or_default(),
                instances: p.instances.unwrap_or_default(),
                reuse_calls: p.reuse_calls.unwrap_or(DEFAULT_REUSE_CALLS),
                limits: limits.overlaid(&p.limits),
                reason_tags: p.reason_tags,
                settings: PluginSettings::read(
                    p.settings,
                    p.secret_settings,
                    base,
                    &format!("plugins.{name}"),
                )?,
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
            store: raw.store,
            handback: raw.handback,
            context: raw.context,
            kpi: raw.kpi,
            shadow: None,
            auth: raw.auth.validate(base)?,
            trust: raw.trust.validate(base)?,
            tls: raw.tls.map(|mut t| {
                t.resolve(base);
                t
            }),
        })
    }
}

/// The shadow copy of the built-in rules: `[shadow.triggers]` written key
/// by key over the file's `[triggers]` (so a shadow section names only what
/// it changes), then read and checked like `[triggers]` itself.
fn shadow_copy(
    file: &toml::Table,
    shadow: RawShadow,
    merge: &RawMerge,
) -> Result<(TriggersConfig, MergeConfig), ConfigError> {
    let mut triggers = file
        .get("triggers")
        .and_then(toml::Value::as_table)
        .cloned()
        .unwrap_or_default();
    overlay(&mut triggers, shadow.triggers);
    let triggers: TriggersConfig =
        toml::Value::Table(triggers)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse {
                path: PathBuf::new(),
                message: format!("in the shadow copy of [triggers] ([shadow.triggers]): {e}"),
            })?;
    triggers.validate().map_err(|e| match e {
        ConfigError::Invalid { key, message } => invalid(&format!("shadow.{key}"), message),
        other => other,
    })?;
    let d = MergeConfig::default();
    let pick = |shadow: Option<f64>, enforced: Option<f64>, default: f64| {
        shadow.or(enforced).unwrap_or(default)
    };
    let merge = MergeConfig {
        escalate_threshold: pick(
            shadow.merge.escalate_threshold,
            merge.escalate_threshold,
            d.escalate_threshold,
        ),
        offer_threshold: pick(
            shadow.merge.offer_threshold,
            merge.offer_threshold,
            d.offer_threshold,
        ),
    };
    positive("shadow.merge.escalate_threshold", merge.escalate_threshold)?;
    positive("shadow.merge.offer_threshold", merge.offer_threshold)?;
    Ok((triggers, merge))
}

/// Writes `over` into `base`: tables are merged key by key, anything else
/// (numbers, strings, arrays such as phrase lists) replaces what was there.
fn overlay(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => overlay(b, o),
            (_, value) => {
                base.insert(key, value);
            }
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
}
