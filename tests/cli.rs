//! The plugin-author command line: check, eval, test, new.

use escalator_integration_tests::{
    escalator_cli, example_plugin, example_plugins_dir, workspace_root,
};

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn check_reports_a_good_plugin_and_exits_zero() {
    let plugin = example_plugin("vip-accounts");
    let (code, out) = escalator_cli(&["check", path(&plugin), "--settings", "top_n=10"]);
    assert_eq!(code, 0, "{out}");
    for part in [
        "plugin     vip-accounts 0.1.0",
        "interface  escalator:rules@0.3.0",
        "top_n                = 10 (set)",
        "tiers                = [\"enterprise\",\"vip\"] (default)",
        "smoke      Abstain",
        "fuel ",
        "\nok\n",
    ] {
        assert!(out.contains(part), "{part:?} missing from:\n{out}");
    }
}

#[test]
fn check_fails_with_the_step_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"not wasm").unwrap();
    let (code, out) = escalator_cli(&["check", path(&garbage)]);
    assert_eq!(code, 1);
    assert!(out.contains("FAILED at step `compile`"), "{out}");

    let (code, out) = escalator_cli(&[
        "check",
        path(&example_plugin("vip-accounts")),
        "-s",
        "top_n=-1",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAILED at step `validate`") && out.contains("top_n"),
        "{out}"
    );

    let (code, out) = escalator_cli(&["check", path(&example_plugin("smoke-trap"))]);
    assert_eq!(code, 1);
    assert!(out.contains("`smoke`"), "{out}");

    let (code, out) = escalator_cli(&["check", path(&example_plugin("future-interface"))]);
    assert_eq!(code, 1);
    assert!(out.contains("escalator:rules@0.4.0"), "{out}");

    let (code, out) = escalator_cli(&["check", "/nonexistent/plugin.wasm"]);
    assert_eq!(code, 2, "{out}");
}

#[test]
fn settings_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("vip.toml");
    std::fs::write(&settings, "top_n = 7\ntiers = [\"gold\"]\n").unwrap();
    let (code, out) = escalator_cli(&[
        "check",
        path(&example_plugin("vip-accounts")),
        "-s",
        path(&settings),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("top_n                = 7 (set)"), "{out}");
    assert!(out.contains("[\"gold\"] (set)"), "{out}");
}

#[test]
fn eval_prints_the_vote_with_fuel_memory_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let conv = dir.path().join("conv.json");
    std::fs::write(
        &conv,
        r#"{"conversation_id":"e","customer":{"account_rank":4},
            "messages":[{"role":"customer","text":"hi","at":"2026-01-01T00:00:00Z"}]}"#,
    )
    .unwrap();
    let (code, out) = escalator_cli(&["eval", path(&example_plugin("vip-accounts")), path(&conv)]);
    assert_eq!(code, 0, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["vote"]["verdict"], "escalate");
    assert_eq!(report["vote"]["reason"], "vip_account");
    assert!(report["fuel_used"].as_u64().unwrap() > 0);
    assert!(report["memory_peak_bytes"].as_u64().unwrap() > 0);
    assert!(report["elapsed_us"].as_u64().is_some());

    // A failing plugin exits 1 and shows the failure class.
    std::fs::write(
        &conv,
        r#"{"conversation_id":"e","messages":[{"role":"customer","text":"panic","at":"2026-01-01T00:00:00Z"}]}"#,
    )
    .unwrap();
    let (code, out) = escalator_cli(&["eval", path(&example_plugin("misbehave")), path(&conv)]);
    assert_eq!(code, 1);
    assert!(out.contains("\"kind\": \"trap\""), "{out}");
}

#[test]
fn the_example_plugins_pass_their_own_fixtures() {
    let plugins = example_plugins_dir();
    let examples = workspace_root().join("example-plugins");
    for dir in ["vip-accounts", "topic-guard", "loop-detector"] {
        let (code, out) = escalator_cli(&[
            "test",
            "--plugins",
            path(plugins),
            path(&examples.join(dir)),
        ]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(" passed, 0 failed"), "{out}");
    }
}

#[test]
fn a_failing_case_is_reported_and_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("wrong.test.json");
    std::fs::write(
        &fixture,
        r#"{"plugin": "vip-accounts.wasm", "cases": [
            {"name": "expects the wrong verdict",
             "conversation": {"conversation_id": "w", "customer": {"tier": "enterprise"}, "messages": []},
             "expect": {"verdict": "stay"}},
            {"name": "right", "conversation": {"conversation_id": "r", "messages": []},
             "expect": {"verdict": "abstain"}},
            {"name": "over budget", "max_fuel": 10,
             "conversation": {"conversation_id": "f", "messages": []}, "expect": {"verdict": "abstain"}}
        ]}"#,
    )
    .unwrap();
    let plugins = example_plugins_dir();
    let (code, out) = escalator_cli(&["test", "--plugins", path(plugins), path(&fixture)]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  expects the wrong verdict"), "{out}");
    assert!(
        out.contains("verdict: expected stay, got escalate"),
        "{out}"
    );
    assert!(out.contains("pass  right"), "{out}");
    assert!(out.contains("fuel: used"), "{out}");
    assert!(out.contains("1 passed, 2 failed"), "{out}");

    let (code, out) =
        escalator_cli(&["test", "--json", "--plugins", path(plugins), path(&fixture)]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["passed"], 1);
    assert_eq!(report["failed"], 2);
    assert_eq!(report["cases"][0]["passed"], false);
}

#[test]
fn a_new_rust_plugin_builds_and_passes_its_sample_test() {
    let dir = tempfile::tempdir().unwrap();
    let plugin_dir = dir.path().join("refund-watch");
    let (code, out) = escalator_cli(&[
        "new",
        "refund-watch",
        "--lang",
        "rust",
        "--dir",
        path(&plugin_dir),
    ]);
    assert_eq!(code, 0, "{out}");
    // Build it as its author would, sharing the tests' wasm target directory.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("test-plugins");
    let status = std::process::Command::new("cargo")
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .current_dir(&plugin_dir)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .unwrap();
    assert!(status.success());
    let built = target.join("wasm32-wasip2/release");
    let (code, out) = escalator_cli(&[
        "test",
        "--plugins",
        path(&built),
        path(&plugin_dir.join("tests")),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 passed, 0 failed"), "{out}");

    // Names are checked, and an existing project is never overwritten.
    let (code, _) = escalator_cli(&["new", "Bad Name", "--dir", path(&dir.path().join("x"))]);
    assert_eq!(code, 2);
    let (code, out) = escalator_cli(&["new", "refund-watch", "--dir", path(&plugin_dir)]);
    assert_eq!(code, 2, "{out}");
}

/// A stored `POST /v1/decide` request the built-in defaults escalate: the
/// AI answered with low confidence.
const LOW_CONFIDENCE: &str = r#"{"conversation_id": "low", "channel": "chat",
    "now": "2026-03-02T14:00:35Z",
    "messages": [
      {"role": "customer", "text": "How do I export my invoices?", "at": "2026-03-02T14:00:00Z"},
      {"role": "ai", "text": "Maybe under settings?", "at": "2026-03-02T14:00:30Z",
       "ai": {"confidence": 0.4, "outcome": "answered"}}]}"#;

/// One the defaults escalate for the customer's anger.
const ANGRY: &str = r#"{"conversation_id": "angry", "channel": "chat",
    "now": "2026-03-02T14:01:05Z",
    "messages": [
      {"role": "customer", "text": "Hi, my order never arrived", "at": "2026-03-02T14:00:00Z"},
      {"role": "ai", "text": "Sorry, let me check.", "at": "2026-03-02T14:00:30Z",
       "ai": {"confidence": 0.9, "outcome": "answered"}},
      {"role": "customer", "text": "This is absolutely terrible, I hate your useless service!",
       "at": "2026-03-02T14:01:00Z"}]}"#;

/// One the defaults keep with the AI.
const CALM: &str = r#"{"conversation_id": "calm", "channel": "chat",
    "now": "2026-03-02T14:00:35Z",
    "messages": [
      {"role": "customer", "text": "What is my order status?", "at": "2026-03-02T14:00:00Z"},
      {"role": "ai", "text": "It ships tomorrow.", "at": "2026-03-02T14:00:30Z",
       "ai": {"confidence": 0.93, "outcome": "answered"}}]}"#;

/// A calm conversation from the account ranked `rank`.
fn ranked(rank: u32) -> String {
    format!(
        r#"{{"conversation_id": "r{rank}", "channel": "chat", "now": "2026-03-02T14:00:05Z",
            "customer": {{"account_rank": {rank}}},
            "messages": [{{"role": "customer", "text": "Quick question", "at": "2026-03-02T14:00:00Z"}}]}}"#
    )
}

fn write(path: &std::path::Path, text: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    path.to_owned()
}

#[test]
fn a_policy_fixture_runs_the_built_in_defaults() {
    let dir = tempfile::tempdir().unwrap();
    // A conversation may also be a file next to the fixture, as an exported
    // request is.
    write(&dir.path().join("calm.json"), CALM);
    let fixture = write(
        &dir.path().join("reviewed.test.json"),
        &format!(
            r#"{{"policy": {{}}, "cases": [
                {{"name": "reviewed correct: shaky answer", "conversation": {LOW_CONFIDENCE},
                  "expect": {{"action": "escalate", "reasons": ["low_confidence"],
                             "tier": "human_led", "priority": 40}}}},
                {{"name": "reviewed correct: angry", "conversation": {ANGRY},
                  "expect": {{"action": ["escalate"], "reasons": ["negative_sentiment"]}}}},
                {{"name": "reviewed unnecessary", "conversation": "calm.json",
                  "expect": {{"action": ["stay", "offer"], "tier": "ai_resolved"}}}}
            ]}}"#
        ),
    );
    let (code, out) = escalator_cli(&["test", path(&fixture)]);
    assert_eq!(code, 0, "{out}");
    for part in [
        "pass  reviewed correct: shaky answer (escalate, reasons low_confidence, tier human_led, priority 40)",
        "pass  reviewed correct: angry (escalate, reasons negative_sentiment",
        "pass  reviewed unnecessary (stay, reasons none, tier ai_resolved",
        "3 passed, 0 failed",
    ] {
        assert!(out.contains(part), "{part:?} missing from:\n{out}");
    }

    let (code, out) = escalator_cli(&["test", "--json", path(&fixture)]);
    assert_eq!(code, 0, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let first = &report["cases"][0]["decision"];
    assert_eq!(first["action"], "escalate", "{out}");
    assert_eq!(first["tier"], "human_led", "{out}");
    assert_eq!(first["priority"], 40, "{out}");
    assert_eq!(
        first["reasons"],
        serde_json::json!(["low_confidence"]),
        "{out}"
    );
    assert_eq!(report["cases"][2]["decision"]["action"], "stay", "{out}");
}

#[test]
fn a_policy_case_with_a_wrong_expectation_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = write(
        &dir.path().join("wrong.test.json"),
        &format!(
            r#"{{"policy": {{}}, "cases": [
                {{"name": "reviewed unnecessary, but the policy still escalates",
                  "conversation": {LOW_CONFIDENCE}, "expect": {{"action": ["stay", "offer"]}}}},
                {{"name": "wrong reason, tier and priority", "conversation": {ANGRY},
                  "expect": {{"action": "escalate", "reasons": ["asked_for_human"],
                             "tier": "ai_assisted", "priority": 5}}}},
                {{"name": "calm", "conversation": {CALM}, "expect": {{"action": "stay"}}}}
            ]}}"#
        ),
    );
    let (code, out) = escalator_cli(&["test", path(&fixture)]);
    assert_eq!(code, 1, "{out}");
    for part in [
        "FAIL  reviewed unnecessary, but the policy still escalates",
        "action: expected one of stay, offer, got escalate (reasons: low_confidence)",
        "FAIL  wrong reason, tier and priority",
        "reasons: expected asked_for_human among them, got negative_sentiment",
        "tier: expected ai_assisted, got human_led",
        "priority: expected 5, got 70",
        "pass  calm",
        "1 passed, 2 failed",
    ] {
        assert!(out.contains(part), "{part:?} missing from:\n{out}");
    }
}

#[test]
fn a_policy_fixture_runs_its_config_and_plugins() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::copy(
        example_plugin("vip-accounts"),
        plugins.join("vip-accounts.wasm"),
    )
    .unwrap();
    // A broken plugin is warned about; the policy runs without it.
    write(
        &plugins.join("broken.wasm"),
        "this is not a WebAssembly component",
    );
    // The config narrows the plugin to the top 10 accounts: rank 50 is left
    // to the built-in priority-account trigger, which only offers.
    write(
        &dir.path().join("escalator.toml"),
        "plugins_dir = \"plugins\"\n[plugins.vip-accounts]\nsettings = { top_n = 10 }\n",
    );
    let cases = format!(
        r#"[{{"name": "top-ten account", "conversation": {},
             "expect": {{"action": "escalate", "reasons": ["vip-accounts/vip_account"], "priority": 90}}}},
           {{"name": "rank 50 is outside the configured top ten", "conversation": {},
             "expect": {{"action": "offer", "reasons": ["priority_account"]}}}}]"#,
        ranked(5),
        ranked(50)
    );
    let named = write(
        &dir.path().join("fixtures/named.test.json"),
        &format!(
            r#"{{"policy": {{"config": "../escalator.toml", "plugins": "../plugins"}}, "cases": {cases}}}"#
        ),
    );
    // Without `plugins`, the config's plugins directory.
    write(
        &dir.path().join("fixtures/from-config.test.json"),
        &format!(r#"{{"policy": {{"config": "../escalator.toml"}}, "cases": {cases}}}"#),
    );
    let (code, out) = escalator_cli(&["test", path(&dir.path().join("fixtures"))]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: plugin broken") && out.contains("did not load"),
        "{out}"
    );
    assert!(
        out.contains("pass  top-ten account (escalate, reasons vip-accounts/vip_account"),
        "{out}"
    );
    assert!(out.contains("4 passed, 0 failed"), "{out}");

    // `--plugins` stands in for the policy's plugins: an empty directory
    // leaves the built-in triggers, which only offer to a ranked account.
    let empty = tempfile::tempdir().unwrap();
    let (code, out) = escalator_cli(&["test", "--plugins", path(empty.path()), path(&named)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  top-ten account") && out.contains("got offer"),
        "{out}"
    );
}

#[test]
fn a_fixture_names_a_plugin_or_a_policy() {
    let dir = tempfile::tempdir().unwrap();
    let both = write(
        &dir.path().join("both.test.json"),
        r#"{"plugin": "vip-accounts.wasm", "policy": {}, "cases": []}"#,
    );
    let (code, out) = escalator_cli(&["test", path(&both)]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("names both `plugin` and `policy`") && out.contains("both.test.json"),
        "{out}"
    );

    let neither = write(&dir.path().join("neither.test.json"), r#"{"cases": []}"#);
    let (code, out) = escalator_cli(&["test", path(&neither)]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("names neither `plugin`"), "{out}");

    // A plugin's expectations are not a policy's.
    let mixed = write(
        &dir.path().join("mixed.test.json"),
        &format!(
            r#"{{"policy": {{}}, "cases": [{{"name": "x", "conversation": {CALM},
                 "expect": {{"verdict": "stay"}}}}]}}"#
        ),
    );
    let (code, out) = escalator_cli(&["test", path(&mixed)]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("unknown field `verdict`"), "{out}");

    let misspelt = write(
        &dir.path().join("misspelt.test.json"),
        &format!(
            r#"{{"policy": {{}}, "cases": [{{"name": "x", "conversation": {CALM},
                 "expect": {{"action": "escalte"}}}}]}}"#
        ),
    );
    let (code, out) = escalator_cli(&["test", path(&misspelt)]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("escalte"), "{out}");
}
