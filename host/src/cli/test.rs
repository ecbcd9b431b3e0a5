//! `escalator test`: fixture files run against a plugin, or against a whole
//! policy.
//!
//! A plugin fixture, `NAME.test.json`:
//!
//! ```json
//! {
//!   "plugin": "vip-accounts.wasm",
//!   "settings": { "top_n": 10 },
//!   "cases": [
//!     { "name": "top-ranked account escalates",
//!       "conversation": { "conversation_id": "c", "customer": { "account_rank": 3 }, "messages": [] },
//!       "expect": { "verdict": "escalate", "reason": "vip_account", "hard": true },
//!       "max_fuel": 1000000 }
//!   ]
//! }
//! ```
//!
//! `plugin` is relative to the fixture file (or to `--plugins`). A case's
//! `conversation` is the JSON of `POST /v1/decide`, inline or as a path to a
//! JSON file; its `settings` are laid over the file's. `expect` may hold
//! `verdict`, `reason`, `hard`, `priority` and `error` (a failure class).
//!
//! A policy fixture names a policy instead — the configuration, the
//! built-in triggers and every plugin — so a reviewed decision can be kept
//! as a regression test of what the service as a whole answers:
//!
//! ```json
//! {
//!   "policy": { "config": "../escalator.toml", "plugins": "../plugins" },
//!   "cases": [
//!     { "name": "reviewed: double charge goes to a human",
//!       "conversation": "double-charge.json",
//!       "expect": { "action": "escalate", "reasons": ["low_confidence"], "tier": "human_led", "priority": 40 } },
//!     { "name": "reviewed: needless escalation",
//!       "conversation": "thanks.json",
//!       "expect": { "action": ["stay", "offer"] } }
//!   ]
//! }
//! ```
//!
//! `policy.config` defaults to the built-in defaults; `policy.plugins` to
//! the config's plugins directory when there is a config, and to no plugins
//! otherwise (as `escalator quality`); both are relative to the fixture
//! file, and `--plugins` overrides `policy.plugins`. A plugin that fails to
//! load is warned about and left out, as the server would. `expect` may
//! hold `action` (one, or a list of acceptable ones), `reasons` (codes that
//! must all be among the decision's; a plugin's are `<plugin>/<code>`),
//! `tier` and `priority`. The conversation's `now` is honoured, so a stored
//! request decides the same way whenever it is run.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::load::{self, Policy};
use crate::config::{Config, InputLimits};
use crate::decision::Decision;
use crate::decision::input::Conversation;
use crate::decision::merge::Action;
use crate::decision::signals::Signals;
use crate::decision::tier::Tier;
use crate::decision::vote::Vote;
use crate::plugin::file::{PluginFile, Unreadable};
use crate::plugin::{Entropy, LoadedPlugin, Runtime, alone, to_wit_input};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    plugin: PathBuf,
    #[serde(default)]
    settings: serde_json::Map<String, Value>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    conversation: Value,
    #[serde(default)]
    settings: serde_json::Map<String, Value>,
    #[serde(default)]
    expect: Expect,
    max_fuel: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    verdict: Option<String>,
    reason: Option<String>,
    hard: Option<bool>,
    priority: Option<u8>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFixture {
    policy: PolicySource,
    cases: Vec<PolicyCase>,
}

/// Where a policy fixture's policy comes from; paths are relative to the
/// fixture file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySource {
    config: Option<PathBuf>,
    plugins: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyCase {
    name: String,
    conversation: Value,
    #[serde(default)]
    expect: PolicyExpect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyExpect {
    #[serde(default, deserialize_with = "actions")]
    action: Option<Vec<Action>>,
    #[serde(default)]
    reasons: Vec<String>,
    #[serde(default, deserialize_with = "tier")]
    tier: Option<String>,
    priority: Option<u8>,
}

/// `action` as one action or a list of acceptable ones: a reviewer who
/// found an escalation needless may accept staying or only offering.
fn actions<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Action>>, D::Error> {
    let list = match Value::deserialize(d)? {
        Value::Array(items) => items,
        one => vec![one],
    };
    if list.is_empty() {
        return Err(D::Error::custom("an empty list of actions accepts nothing"));
    }
    list.into_iter()
        .map(|a| Action::deserialize(a).map_err(D::Error::custom))
        .collect::<Result<_, _>>()
        .map(Some)
}

/// `tier`, checked against the tiers there are, so a misspelt one is an
/// error in the fixture and not a case that can never pass.
fn tier<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let want = String::deserialize(d)?;
    let known = [Tier::AiResolved, Tier::AiAssisted, Tier::HumanLed].map(|t| name(&t));
    if known.contains(&want) {
        Ok(Some(want))
    } else {
        Err(D::Error::custom(format!(
            "unknown tier `{want}`, expected one of {}",
            known.join(", ")
        )))
    }
}

/// What a policy case's decision was, for the report.
#[derive(Debug, Serialize)]
struct Decided {
    action: Action,
    tier: Tier,
    priority: u8,
    reasons: Vec<String>,
}

impl Decided {
    fn of(d: &Decision) -> Decided {
        Decided {
            action: d.action,
            tier: d.tier,
            priority: d.priority,
            reasons: d.reasons.iter().map(|r| r.code.clone()).collect(),
        }
    }

    fn reason_list(&self) -> String {
        if self.reasons.is_empty() {
            "none".to_owned()
        } else {
            self.reasons.join(", ")
        }
    }
}

/// What a case ran into: a plugin's vote or a policy's decision, each
/// `None` when the case could not run.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Got {
    Vote { vote: Option<Box<Vote>> },
    Decision { decision: Option<Decided> },
}

/// One case's result.
#[derive(Debug, Serialize)]
struct Outcome {
    file: PathBuf,
    case: String,
    passed: bool,
    problems: Vec<String>,
    #[serde(flatten)]
    got: Got,
}

/// The snake_case name a value serialises to.
fn name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A case's conversation: inline, or a JSON file relative to the fixture.
fn conversation(
    base: &Path,
    conversation: &Value,
    limits: &InputLimits,
) -> Result<Conversation, String> {
    let parse = |b: &[u8]| {
        Conversation::from_json_within(b, chrono::Utc::now(), limits).map_err(|e| e.to_string())
    };
    match conversation {
        Value::String(p) => std::fs::read(base.join(p))
            .map_err(|e| format!("cannot read {p}: {e}"))
            .and_then(|b| parse(&b)),
        v => parse(v.to_string().as_bytes()),
    }
}

fn json_to_toml(v: &Value) -> anyhow::Result<toml::Value> {
    Ok(match v {
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(items) => {
            toml::Value::Array(items.iter().map(json_to_toml).collect::<Result<_, _>>()?)
        }
        other => bail!("setting values are booleans, numbers, strings or lists, not {other}"),
    })
}

fn fixtures_in(path: &Path, found: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for e in entries {
            let skip = e.file_name().is_some_and(|n| {
                n == "target" || n == "node_modules" || n.to_string_lossy().starts_with('.')
            });
            if !skip {
                fixtures_in(&e, found)?;
            }
        }
    } else if path.to_string_lossy().ends_with(".test.json") {
        found.push(path.to_owned());
    }
    Ok(())
}

fn check(expect: &Expect, vote: &Vote, max_fuel: Option<u64>) -> Vec<String> {
    let mut problems = Vec::new();
    let verdict = name(&vote.verdict);
    if let Some(want) = &expect.verdict
        && *want != verdict
    {
        problems.push(format!("verdict: expected {want}, got {verdict}"));
    }
    if let Some(want) = &expect.reason
        && *want != vote.reason
    {
        problems.push(format!("reason: expected {want:?}, got {:?}", vote.reason));
    }
    if let Some(want) = expect.hard
        && want != vote.hard
    {
        problems.push(format!("hard: expected {want}, got {}", vote.hard));
    }
    if let Some(want) = expect.priority
        && Some(want) != vote.priority
    {
        problems.push(format!(
            "priority: expected {want}, got {:?}",
            vote.priority
        ));
    }
    let kind = vote.error.as_ref().map(|e| e.kind.as_str());
    match (&expect.error, kind) {
        (Some(want), Some(got)) if want != got => {
            problems.push(format!("error: expected {want}, got {got}"))
        }
        (Some(want), None) => problems.push(format!("error: expected {want}, the call succeeded")),
        (None, Some(got)) => problems.push(format!(
            "the plugin failed ({got}): {}",
            vote.error.as_ref().map_or("", |e| e.message.as_str())
        )),
        _ => {}
    }
    if let (Some(max), Some(used)) = (max_fuel, vote.fuel_used)
        && used > max
    {
        problems.push(format!("fuel: used {used}, budget {max}"));
    }
    problems
}

fn check_decision(expect: &PolicyExpect, got: &Decided) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(want) = &expect.action
        && !want.contains(&got.action)
    {
        let names: Vec<&str> = want.iter().map(|a| a.as_str()).collect();
        let want = match names.as_slice() {
            [one] => (*one).to_owned(),
            many => format!("one of {}", many.join(", ")),
        };
        problems.push(format!(
            "action: expected {want}, got {} (reasons: {})",
            got.action.as_str(),
            got.reason_list()
        ));
    }
    let missing: Vec<&str> = expect
        .reasons
        .iter()
        .filter(|r| !got.reasons.contains(r))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "reasons: expected {} among them, got {}",
            missing.join(", "),
            got.reason_list()
        ));
    }
    let tier = name(&got.tier);
    if let Some(want) = &expect.tier
        && *want != tier
    {
        problems.push(format!("tier: expected {want}, got {tier}"));
    }
    if let Some(want) = expect.priority
        && want != got.priority
    {
        problems.push(format!("priority: expected {want}, got {}", got.priority));
    }
    problems
}

/// A fixture file's policies, loaded once per distinct config and plugins
/// directory: a review loop writes one file per reviewed decision, all
/// naming the same policy.
#[derive(Default)]
struct Policies {
    loaded: BTreeMap<(Option<PathBuf>, Option<PathBuf>), Policy>,
    warnings: Vec<String>,
}

impl Policies {
    fn get(
        &mut self,
        config: Option<PathBuf>,
        plugins: Option<PathBuf>,
    ) -> anyhow::Result<&Policy> {
        // The same directory named two ways is still one policy.
        let same = |p: PathBuf| p.canonicalize().unwrap_or(p);
        let key = (config.map(same), plugins.map(same));
        if !self.loaded.contains_key(&key) {
            let policy = Policy::load(key.0.as_deref(), key.1.as_deref())?;
            self.warnings.extend(policy.warnings());
            self.loaded.insert(key.clone(), policy);
        }
        Ok(&self.loaded[&key])
    }
}

/// Runs the cases of a plugin fixture.
fn run_plugin_fixture(
    file: &Path,
    text: &str,
    plugins: Option<&Path>,
    config: &Config,
    runtime: &Arc<Runtime>,
    outcomes: &mut Vec<Outcome>,
) -> anyhow::Result<()> {
    let fixture: Fixture =
        serde_json::from_str(text).with_context(|| format!("{}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let plugin_path = if fixture.plugin.is_absolute() {
        fixture.plugin.clone()
    } else {
        plugins.unwrap_or(base).join(&fixture.plugin)
    };
    let plugin_file = PluginFile::read(&plugin_path, &config.load).map_err(|e| match e {
        Unreadable::Gone => anyhow::anyhow!(
            "{}: cannot read plugin {}: no such file",
            file.display(),
            plugin_path.display()
        ),
        Unreadable::Refused(f) => anyhow::anyhow!("{}: {}", file.display(), f.message),
    })?;
    let component = plugin_file
        .compile(runtime, &config.load)
        .map_err(|f| anyhow::anyhow!("{}: {}", plugin_path.display(), f.message))?;
    // One load per distinct settings, shared by the cases that use them.
    let mut loaded: BTreeMap<String, Result<LoadedPlugin, String>> = BTreeMap::new();
    for case in fixture.cases {
        let mut merged = fixture.settings.clone();
        merged.extend(case.settings.clone());
        let key = Value::Object(merged.clone()).to_string();
        let plugin = loaded.entry(key).or_insert_with(|| {
            let mut table = toml::Table::new();
            for (k, v) in &merged {
                table.insert(k.clone(), json_to_toml(v).map_err(|e| e.to_string())?);
            }
            let pc = load::plugin_config(&plugin_path, config, table);
            plugin_file
                .load(runtime, &component, &pc)
                .map_err(|f| format!("load failed at `{}`: {}", f.step, f.message))
        });
        let mut problems = Vec::new();
        let mut vote = None;
        match (
            plugin,
            conversation(base, &case.conversation, &InputLimits::default()),
        ) {
            (Err(e), _) => problems.push(e.clone()),
            (_, Err(e)) => problems.push(format!("conversation: {e}")),
            (Ok(p), Ok(c)) => {
                let mut input = to_wit_input(&c, &Signals::compute(&c));
                let v = p.evaluate(
                    runtime,
                    &mut input,
                    &config.breaker,
                    alone(),
                    &Entropy::of(&c.id, c.now),
                );
                problems = check(&case.expect, &v, case.max_fuel);
                vote = Some(Box::new(v));
            }
        }
        outcomes.push(Outcome {
            file: file.to_owned(),
            case: case.name,
            passed: problems.is_empty(),
            problems,
            got: Got::Vote { vote },
        });
    }
    Ok(())
}

/// Runs the cases of a policy fixture.
fn run_policy_fixture(
    file: &Path,
    text: &str,
    plugins: Option<&Path>,
    policies: &mut Policies,
    outcomes: &mut Vec<Outcome>,
) -> anyhow::Result<()> {
    let fixture: PolicyFixture =
        serde_json::from_str(text).with_context(|| format!("{}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let config = fixture.policy.config.map(|c| base.join(c));
    let plugins_dir = match plugins {
        Some(dir) => Some(dir.to_owned()),
        None => fixture.policy.plugins.map(|p| base.join(p)),
    };
    let policy = policies
        .get(config, plugins_dir)
        .with_context(|| format!("{}: policy", file.display()))?;
    for case in fixture.cases {
        let (problems, decision) =
            match conversation(base, &case.conversation, &policy.config.input) {
                Err(e) => (vec![format!("conversation: {e}")], None),
                Ok(c) => {
                    let got = Decided::of(&policy.decide(&c));
                    (check_decision(&case.expect, &got), Some(got))
                }
            };
        outcomes.push(Outcome {
            file: file.to_owned(),
            case: case.name,
            passed: problems.is_empty(),
            problems,
            got: Got::Decision { decision },
        });
    }
    Ok(())
}

/// Runs `test`.
pub fn run(
    paths: &[PathBuf],
    plugins: Option<&Path>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    let mut files = Vec::new();
    for p in paths {
        if !p.exists() {
            bail!("{} does not exist", p.display());
        }
        if p.is_file() {
            // A file named on the command line is a fixture whatever its name.
            files.push(p.clone());
        } else {
            fixtures_in(p, &mut files)?;
        }
    }
    if files.is_empty() {
        bail!("no *.test.json fixtures found");
    }
    let config = Config::default();
    // Started on the first plugin fixture: policy fixtures bring their own.
    let mut runtime: Option<Arc<Runtime>> = None;
    let mut policies = Policies::default();
    let mut outcomes = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let value: Value =
            serde_json::from_str(&text).with_context(|| format!("{}", file.display()))?;
        let names = |key| value.get(key).is_some();
        match (names("plugin"), names("policy")) {
            (true, true) => bail!(
                "{}: names both `plugin` and `policy`; a fixture file tests one plugin or a whole policy, not both",
                file.display()
            ),
            (false, true) => {
                run_policy_fixture(file, &text, plugins, &mut policies, &mut outcomes)?
            }
            (false, false) if value.is_object() => bail!(
                "{}: names neither `plugin` (to test one plugin) nor `policy` (to test a whole policy)",
                file.display()
            ),
            _ => {
                let runtime = match &runtime {
                    Some(r) => r.clone(),
                    None => runtime
                        .insert(Runtime::new(config.cache_dir.clone())?)
                        .clone(),
                };
                run_plugin_fixture(file, &text, plugins, &config, &runtime, &mut outcomes)?;
            }
        }
    }

    let passed = outcomes.iter().filter(|o| o.passed).count();
    let failed = outcomes.len() - passed;
    if json {
        let mut report =
            serde_json::json!({ "passed": passed, "failed": failed, "cases": outcomes });
        if !policies.warnings.is_empty() {
            report["warnings"] = serde_json::json!(policies.warnings);
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        for w in &policies.warnings {
            writeln!(out, "{w}")?;
        }
        let mut current: Option<&Path> = None;
        for o in &outcomes {
            if current != Some(o.file.as_path()) {
                writeln!(out, "{}", o.file.display())?;
                current = Some(&o.file);
            }
            match &o.got {
                Got::Vote { vote: Some(v) } if o.passed => writeln!(
                    out,
                    "  pass  {} ({:?} {}, fuel {}, {} µs)",
                    o.case,
                    v.verdict,
                    v.reason,
                    v.fuel_used.unwrap_or(0),
                    v.elapsed_us
                )?,
                Got::Decision { decision: Some(d) } if o.passed => writeln!(
                    out,
                    "  pass  {} ({}, reasons {}, tier {}, priority {})",
                    o.case,
                    d.action.as_str(),
                    d.reason_list(),
                    name(&d.tier),
                    d.priority
                )?,
                _ => {
                    writeln!(out, "  FAIL  {}", o.case)?;
                    for p in &o.problems {
                        writeln!(out, "        {p}")?;
                    }
                }
            }
        }
        writeln!(out, "{passed} passed, {failed} failed")?;
    }
    Ok(if failed == 0 { 0 } else { 1 })
}
