//! Changing rules safely: plugins that read the clock and random numbers
//! decide the same twice; `escalator replay` reproduces the log with the
//! live rules and reports exactly the flips of a candidate, against
//! reviewers' verdicts too; shadow rules are recorded, never enforced, and
//! their would-be effect is counted.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use escalator::config::Config;
use escalator::decide::decide_as;
use escalator::decision::input::Conversation;
use escalator::plugin::{Registry, Runtime};
use escalator_integration_tests::{
    TestServer, escalator_cli, eventually, example_plugin, interpreted_plugins_dir, test_cache_dir,
    vote,
};
use serde_json::{Value, json};

/// The dice fixtures in Rust, Python and JavaScript, with the examples.
fn plugins_with_dice() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &Path, name: &str| {
        std::fs::copy(from, dir.path().join(format!("{name}.wasm"))).unwrap();
    };
    for name in ["dice", "topic-guard", "vip-accounts", "loop-detector"] {
        copy(&example_plugin(name), name);
    }
    let interpreted = interpreted_plugins_dir();
    for name in ["dice-py", "dice-js", "billing-dispute", "business-hours"] {
        copy(&interpreted.join(format!("{name}.wasm")), name);
    }
    dir
}

/// A conversation in `category` where the AI answered with `confidence`.
fn asked(id: &str, category: &str, confidence: f64, minute: u32) -> Value {
    json!({
        "conversation_id": id,
        "channel": "chat",
        "now": format!("2026-10-05T10:{minute:02}:30Z"),
        "topic": {"category": category},
        "customer": {"tier": if category == "billing" { "gold" } else { "standard" }},
        "messages": [
            {"role": "customer", "text": "How do I change the delivery address on my order?",
             "at": format!("2026-10-05T10:{minute:02}:00Z")},
            {"role": "ai", "text": "You can change it in your account settings.",
             "at": format!("2026-10-05T10:{minute:02}:10Z"), "ai": {"confidence": confidence}},
        ],
    })
}

async fn written(server: &TestServer, n: u64) {
    eventually(
        Duration::from_secs(60),
        "the decisions are written",
        || async { server.get("/v1/store").await.1["written"].as_u64() >= Some(n) },
    )
    .await;
}

/// Runs the command line off the async workers.
async fn cli(args: Vec<String>) -> (i32, String) {
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        escalator_cli(&a)
    })
    .await
    .unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// The same decision twice, each time in fresh instances of plugins that
/// read the clocks and random numbers, gives identical votes. Run after the
/// server of the replay test has compiled the plugins into the test cache.
fn plugins_that_read_clocks_and_random_numbers_vote_the_same_twice() {
    let dir = plugins_with_dice();
    let runtime = Runtime::new(Some(test_cache_dir())).unwrap();
    let config = Config {
        plugins_dir: dir.path().to_owned(),
        ..Config::default()
    };
    let registry = Registry::new(Arc::clone(&runtime));
    registry.reload_until_settled(&config);
    let set = registry.current();
    let names: Vec<&str> = set.active.iter().map(|p| &*p.name).collect();
    for dice in ["dice", "dice-py", "dice-js"] {
        assert!(
            names.contains(&dice),
            "{dice} did not load: {:?}",
            set.status
        );
    }
    let body = asked("c-dice", "shipping", 0.9, 0);
    let conv = Conversation::from_json(body.to_string().as_bytes(), chrono::Utc::now()).unwrap();
    let votes = |id: &str| {
        let d = decide_as(id.into(), &conv, &config, &set, &runtime, false);
        let v = serde_json::to_value(&d).unwrap();
        let dice: Vec<(String, String, String)> = ["dice", "dice-py", "dice-js"]
            .iter()
            .map(|name| {
                let v = vote(&v, &format!("plugin:{name}"));
                assert!(v["error"].is_null(), "{v}");
                (
                    v["verdict"].as_str().unwrap().to_owned(),
                    v["reason"].as_str().unwrap().to_owned(),
                    v["detail"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        (dice, v["action"].clone())
    };

    // The same decision twice, each time in fresh instances: identical.
    let first = votes("0193a000-0000-7000-8000-000000000001");
    let again = votes("0193a000-0000-7000-8000-000000000001");
    assert_eq!(first, again);
    // Each plugin saw the decision's `now` (2026-10-05T10:00:30Z) as its
    // wall clock, and a monotonic clock that started at zero; every read
    // of either clock moves both on by a microsecond (the Rust fixture
    // reads the monotonic clock, the wall clock, then the monotonic again).
    let (dice, _) = &first;
    assert!(
        dice[0].2.contains("wall_ms=1791194430000 "),
        "{}",
        dice[0].2
    );
    assert!(dice[1].2.contains("wall_s=1791194430.0"), "{}", dice[1].2);
    assert!(
        dice[2].2.contains("wall_ms=1791194430000 "),
        "{}",
        dice[2].2
    );
    assert!(dice[0].2.contains("mono_ns=2000 "), "{}", dice[0].2);

    // Another decision id draws other numbers: the draws are random, only
    // reproducible.
    let mut draws = std::collections::BTreeSet::new();
    for n in 0..12 {
        let (dice, _) = votes(&format!("0193a000-0000-7000-9000-{n:012}"));
        for (i, (verdict, _, detail)) in dice.iter().enumerate() {
            draws.insert((i, verdict.clone()));
            assert_ne!(detail, &first.0[i].2, "plugin {i} drew the same twice");
        }
    }
    for i in 0..3 {
        assert!(
            draws.contains(&(i, "escalate".into())) && draws.contains(&(i, "stay".into())),
            "dice {i} always voted the same: {draws:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_that_read_clocks_and_random_numbers_replay_exactly() {
    // Compiling the Python and JavaScript plugins takes minutes: the server
    // compiles them once into the test cache, and the rest reuses them.
    let server = TestServer::start_with_config_file_in("", plugins_with_dice()).await;
    tokio::task::spawn_blocking(plugins_that_read_clocks_and_random_numbers_vote_the_same_twice)
        .await
        .unwrap();
    let n = 24;
    let mut actions = std::collections::BTreeSet::new();
    for i in 0..n {
        let category = ["billing", "shipping", "account"][i % 3];
        let mut c = asked(
            &format!("r-{i}"),
            category,
            0.5 + (i as f64) / 60.0,
            i as u32,
        );
        if i % 4 == 0 {
            c["messages"][0]["text"] = json!("I was charged twice, $1,500 each time");
        }
        let d = server.decide(&c).await;
        actions.insert(d["action"].as_str().unwrap().to_owned());
    }
    assert!(
        actions.len() > 1,
        "every decision had the same action: {actions:?}"
    );
    written(&server, n as u64).await;

    let config = server.config_path().display().to_string();
    let plugins = server.plugin_path("dice");
    let plugins = plugins.parent().unwrap().display().to_string();
    let (code, out) = cli(strings(&[
        "replay",
        "-c",
        &config,
        "--plugins",
        &plugins,
        "--format",
        "json",
        "--quiet",
        "--fail-if",
        "flips>0",
    ]))
    .await;
    assert_eq!(code, 0, "{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["decisions"], n, "{r}");
    assert_eq!(r["flips"]["count"], 0, "{r}");
    let rep = &r["reproduced"];
    assert_eq!(rep["decisions_identical"], n, "{rep}");
    assert_eq!(rep["votes_identical"], rep["votes_total"], "{rep}");
    assert_eq!(rep["timing_dependent"], 0, "{rep}");
    // Every plugin voted on every decision: 8 plugins.
    assert!(
        rep["votes_total"].as_u64().unwrap() >= 8 * n as u64,
        "{rep}"
    );
}

/// The live rules escalate below confidence 0.55; the candidate below 0.75.
const CANDIDATE: &str = "[triggers.confidence]\nthreshold = 0.75\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_confidence_bar_flips_exactly_the_conversations_it_should() {
    let server = TestServer::start_with_config_file("", &[]).await;
    // (conversation, category, confidence, reviewer's verdict)
    let cases = [
        ("k1", "billing", 0.30, Some("correct")),
        ("k2", "billing", 0.50, Some("unnecessary")),
        ("k3", "shipping", 0.60, Some("missed")),
        ("k4", "shipping", 0.70, None),
        ("k5", "account", 0.74, None),
        ("k6", "account", 0.80, Some("correct")),
        ("k7", "shipping", 0.95, None),
    ];
    let mut ids = Vec::new();
    for (i, (conv, category, confidence, _)) in cases.iter().enumerate() {
        let d = server
            .decide(&asked(conv, category, *confidence, i as u32))
            .await;
        let live = if *confidence < 0.55 {
            "escalate"
        } else {
            "stay"
        };
        assert_eq!(d["action"], live, "{conv}: {d}");
        ids.push(d["decision_id"].as_str().unwrap().to_owned());
    }
    // A conversation decided twice: stay at 0.70, then escalate at 0.50.
    // The candidate escalates it one turn and 60 s earlier.
    let mut first = asked("k8", "shipping", 0.70, 10);
    let d = server.decide(&first).await;
    assert_eq!(d["action"], "stay");
    let messages = first["messages"].as_array_mut().unwrap();
    messages.push(
        json!({"role": "customer", "text": "That page does not show my order.",
                         "at": "2026-10-05T10:11:00Z"}),
    );
    messages.push(
        json!({"role": "ai", "text": "Try the orders tab.", "at": "2026-10-05T10:11:10Z",
                         "ai": {"confidence": 0.50}}),
    );
    first["now"] = json!("2026-10-05T10:11:30Z");
    assert_eq!(server.decide(&first).await["action"], "escalate");
    written(&server, 9).await;

    let events: Vec<Value> = cases
        .iter()
        .zip(&ids)
        .filter_map(|((conv, _, _, verdict), id)| {
            Some(json!({"event_id": format!("rv-{conv}"), "type": "review",
                        "conversation_id": conv, "decision_id": id,
                        "at": "2026-10-06T09:00:00Z", "verdict": (*verdict)?}))
        })
        .collect();
    let (status, body) = server
        .post("/v1/outcomes", &json!({ "events": events }))
        .await;
    assert_eq!(status, 200, "{body}");

    let dir = tempfile::tempdir().unwrap();
    let candidate = dir.path().join("candidate.toml");
    std::fs::write(&candidate, CANDIDATE).unwrap();
    let config = server.config_path().display().to_string();
    let candidate = candidate.display().to_string();
    // The server was started with its own plugins directory, as with
    // `--plugins`: replay is told the same.
    let plugins = server.plugin_path("none");
    let plugins = plugins.parent().unwrap().display().to_string();
    let (code, out) = cli(strings(&[
        "replay",
        "-c",
        &config,
        "--plugins",
        &plugins,
        "--candidate",
        &candidate,
        "--format",
        "json",
        "--quiet",
    ]))
    .await;
    assert_eq!(code, 0, "{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["decisions"], 9);
    assert_eq!(r["conversations"], 8);
    // k3, k4, k5 and k8's first decision go from stay to escalate.
    assert_eq!(r["flips"]["count"], 4, "{r}");
    assert_eq!(
        r["transitions"],
        json!([{"from": "stay", "to": "escalate", "count": 4}])
    );
    let flipped: std::collections::BTreeSet<&str> = r["sample"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["conversation_id"].as_str().unwrap())
        .collect();
    assert_eq!(flipped, ["k3", "k4", "k5", "k8"].into());
    // 3 of 9 escalate live, 7 of 9 with the candidate.
    assert_eq!(r["escalation_rate"]["baseline"], 0.3333);
    assert_eq!(r["escalation_rate"]["candidate"], 0.7778);
    let shipping = r["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["value"] == "shipping")
        .unwrap();
    assert_eq!(shipping["flips"], 3, "{shipping}");
    let low = r["by_reason"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == "low_confidence")
        .unwrap();
    assert_eq!(low["gained"], 4, "{low}");
    // k8: the first escalation moves from its second decision to its first.
    assert_eq!(r["timing"]["earlier"]["count"], 1, "{}", r["timing"]);
    assert_eq!(r["timing"]["earlier"]["mean_turns"], 1.0, "{}", r["timing"]);
    assert_eq!(
        r["timing"]["earlier"]["mean_seconds"], 60.0,
        "{}",
        r["timing"]
    );
    // Verdicts: k1 should escalate (TP both), k2 should not (FP both), k3
    // should (FN live, TP candidate), k6 should not (TN both).
    let review = &r["review"];
    assert_eq!(review["reviewed"], 4, "{review}");
    assert_eq!(review["missed_caught"], 1, "{review}");
    assert_eq!(review["correct_lost"], 0, "{review}");
    assert_eq!(review["unnecessary_dropped"], 0, "{review}");
    assert_eq!(review["baseline"]["precision"], 0.5, "{review}");
    assert_eq!(review["baseline"]["recall"], 0.5, "{review}");
    assert_eq!(review["candidate"]["precision"], 0.6667, "{review}");
    assert_eq!(review["candidate"]["recall"], 1.0, "{review}");

    // Without `--plugins`, the config's own directory is used; it does not
    // exist here, and replay says so rather than replaying without plugins.
    let (code, out) = cli(strings(&["replay", "-c", &config, "--quiet"])).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--plugins"), "{out}");

    // A gate in the ops team's CI: escalation rate up 44 points fails.
    let (code, text) = cli(strings(&[
        "replay",
        "-c",
        &config,
        "--plugins",
        &plugins,
        "--candidate",
        &candidate,
        "--quiet",
        "--fail-if",
        "escalation_rate_up>2",
        "--fail-if",
        "correct_lost>0",
    ]))
    .await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("4 of 9 decisions"), "{text}");
    let (code, md) = cli(strings(&[
        "replay",
        "-c",
        &config,
        "--plugins",
        &plugins,
        "--candidate",
        &candidate,
        "--quiet",
        "--format",
        "markdown",
        "--fail-if",
        "correct_lost>0",
        "--category",
        "billing",
    ]))
    .await;
    assert_eq!(code, 0, "{md}");
    assert!(md.contains('|'), "{md}");

    // The same through the API, for the console.
    let (status, api) = server
        .post("/v1/replay", &json!({"config": CANDIDATE, "sample": 2}))
        .await;
    assert_eq!(status, 200, "{api}");
    assert_eq!(api["flips"]["count"], 4, "{api}");
    assert_eq!(api["review"]["missed_caught"], 1, "{api}");
    assert_eq!(api["sample"].as_array().unwrap().len(), 2, "{api}");
    assert!(api["threads"].as_u64().unwrap() >= 1, "{api}");
    let (status, same) = server.post("/v1/replay", &json!({})).await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(same["flips"]["count"], 0, "{same}");
    assert_eq!(same["reproduced"]["decisions_identical"], 9, "{same}");
    let (status, narrowed) = server
        .post(
            "/v1/replay",
            &json!({"config": CANDIDATE, "category": "billing"}),
        )
        .await;
    assert_eq!(status, 200, "{narrowed}");
    assert_eq!(narrowed["decisions"], 2, "{narrowed}");
    for (body, field) in [
        (
            json!({"config": "[triggers.confidence]\nthreshold = 3\n"}),
            "config",
        ),
        (json!({"since": "yesterday"}), "since"),
        (json!({"limit": 0}), "limit"),
        (json!({"colour": "red"}), "body"),
    ] {
        let (status, e) = server.post("/v1/replay", &body).await;
        assert_eq!(status, 400, "{body}: {e}");
        assert_eq!(e["error"]["field"], field, "{body}: {e}");
    }

    // The same conversations from a file of requests: the live rules decide
    // the baseline, and the flips are the same.
    let file = dir.path().join("conversations.jsonl");
    let lines: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, (conv, category, confidence, _))| {
            asked(conv, category, *confidence, i as u32).to_string()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let (code, out) = cli(strings(&[
        "replay",
        "-c",
        &config,
        "--plugins",
        &plugins,
        "--candidate",
        &candidate,
        "--format",
        "json",
        "--quiet",
        "--file",
        &file.display().to_string(),
    ]))
    .await;
    assert_eq!(code, 0, "{out}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (r["decisions"].clone(), r["flips"]["count"].clone()),
        (json!(7), json!(3))
    );
}
