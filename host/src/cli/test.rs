//! `escalator test`: fixture files run against plugins.
//!
//! A fixture file, `NAME.test.json`:
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

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::load;
use crate::config::Config;
use crate::decision::input::Conversation;
use crate::decision::signals::Signals;
use crate::decision::vote::Vote;
use crate::plugin::file::{PluginFile, Unreadable};
use crate::plugin::{LoadedPlugin, Runtime, alone, to_wit_input};

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

/// One case's result.
#[derive(Debug, Serialize)]
struct Outcome {
    file: PathBuf,
    case: String,
    passed: bool,
    problems: Vec<String>,
    vote: Option<Vote>,
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
    let verdict = serde_json::to_value(vote.verdict)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
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
    let runtime = Runtime::new(config.cache_dir.clone())?;
    let mut outcomes = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let fixture: Fixture =
            serde_json::from_str(&text).with_context(|| format!("{}", file.display()))?;
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
            .compile(&runtime, &config.load)
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
                let pc = load::plugin_config(&plugin_path, &config, table);
                plugin_file
                    .load(&runtime, &component, &pc)
                    .map_err(|f| format!("load failed at `{}`: {}", f.step, f.message))
            });
            let mut outcome = Outcome {
                file: file.clone(),
                case: case.name.clone(),
                passed: false,
                problems: Vec::new(),
                vote: None,
            };
            let conversation = match &case.conversation {
                Value::String(p) => std::fs::read(base.join(p))
                    .map_err(|e| format!("cannot read {p}: {e}"))
                    .and_then(|b| {
                        Conversation::from_json(&b, chrono::Utc::now()).map_err(|e| e.to_string())
                    }),
                v => Conversation::from_json(v.to_string().as_bytes(), chrono::Utc::now())
                    .map_err(|e| e.to_string()),
            };
            match (plugin, conversation) {
                (Err(e), _) => outcome.problems.push(e.clone()),
                (_, Err(e)) => outcome.problems.push(format!("conversation: {e}")),
                (Ok(p), Ok(c)) => {
                    let mut input = to_wit_input(&c, &Signals::compute(&c));
                    let vote = p.evaluate(&runtime, &mut input, &config.breaker, alone());
                    outcome.problems = check(&case.expect, &vote, case.max_fuel);
                    outcome.vote = Some(vote);
                }
            }
            outcome.passed = outcome.problems.is_empty();
            outcomes.push(outcome);
        }
    }

    let passed = outcomes.iter().filter(|o| o.passed).count();
    let failed = outcomes.len() - passed;
    if json {
        let report = serde_json::json!({ "passed": passed, "failed": failed, "cases": outcomes });
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        let mut current: Option<&Path> = None;
        for o in &outcomes {
            if current != Some(o.file.as_path()) {
                writeln!(out, "{}", o.file.display())?;
                current = Some(&o.file);
            }
            match &o.vote {
                Some(v) if o.passed => writeln!(
                    out,
                    "  pass  {} ({:?} {}, fuel {}, {} µs)",
                    o.case,
                    v.verdict,
                    v.reason,
                    v.fuel_used.unwrap_or(0),
                    v.elapsed_us
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
