//! The escalation policy as a table: every fixture in `tests/fixtures/policy`
//! is a conversation with its expected action, tier, reason codes and route,
//! decided by a real server (one per distinct config and plugin set).

use std::collections::BTreeMap;

use escalator_integration_tests::{TestServer, workspace_root};
use serde_json::Value;

/// A fixture: its file name and its JSON.
type Fixture = (String, Value);
/// What a server is started with: config text and plugin names.
type Setup = (String, Vec<String>);

fn fixtures() -> Vec<Fixture> {
    let dir = workspace_root().join("tests/fixtures/policy");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            )
        })
        .collect()
}

/// Checks one decision against its expectations; returns what differs.
fn check(expect: &Value, d: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for key in ["action", "tier", "priority", "re_evaluate_at"] {
        if let Some(want) = expect.get(key)
            && d[key] != *want
        {
            problems.push(format!("{key}: expected {want}, got {}", d[key]));
        }
    }
    let mut want: Vec<&str> = expect["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let mut got: Vec<&str> = d["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    want.sort();
    got.sort();
    if want != got {
        problems.push(format!("reasons: expected {want:?}, got {got:?}"));
    }
    if let Some(want) = expect.get("ownership").and_then(Value::as_object) {
        for (key, want) in want {
            if d["ownership"][key] != *want {
                problems.push(format!(
                    "ownership.{key}: expected {want}, got {}",
                    d["ownership"][key]
                ));
            }
        }
    }
    if let Some(want) = expect.get("summary_starts_with").and_then(Value::as_str) {
        let got = d["context"]["summary"].as_str().unwrap_or_default();
        if !got.starts_with(want) {
            problems.push(format!("summary: expected to start with {want:?}"));
        }
    }
    if let Some(route) = expect.get("route").and_then(Value::as_object) {
        for (key, want) in route {
            match key.as_str() {
                "skills_include" => {
                    for skill in want.as_array().unwrap() {
                        if !d["route"]["skills"].as_array().unwrap().contains(skill) {
                            problems.push(format!(
                                "route.skills lacks {skill}: {}",
                                d["route"]["skills"]
                            ));
                        }
                    }
                }
                _ if d["route"][key] != *want => {
                    problems.push(format!(
                        "route.{key}: expected {want}, got {}",
                        d["route"][key]
                    ));
                }
                _ => {}
            }
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread")]
async fn every_policy_fixture_gets_its_expected_decision() {
    let all = fixtures();
    assert!(all.len() >= 40, "only {} fixtures", all.len());
    let mut groups: BTreeMap<Setup, Vec<Fixture>> = BTreeMap::new();
    for (name, f) in all {
        let config = f["config"].as_str().unwrap_or("").to_owned();
        let plugins: Vec<String> = f["plugins"]
            .as_array()
            .map(|a| a.iter().map(|p| p.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default();
        groups.entry((config, plugins)).or_default().push((name, f));
    }

    let mut failures = Vec::new();
    let mut decided = 0;
    for ((config, plugins), cases) in groups {
        let plugin_names: Vec<&str> = plugins.iter().map(String::as_str).collect();
        let server = TestServer::start(&config, &plugin_names).await;
        for (name, f) in cases {
            let (status, d) = server.decide_raw(&f["request"]).await;
            decided += 1;
            if status != 200 {
                failures.push(format!("{name}: HTTP {status}: {d}"));
                continue;
            }
            let problems = check(&f["expect"], &d);
            if !problems.is_empty() {
                failures.push(format!(
                    "{name}:\n    {}\n    summary: {}",
                    problems.join("\n    "),
                    d["context"]["summary"]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {decided} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
