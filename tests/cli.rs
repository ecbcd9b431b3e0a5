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
        "interface  escalator:rules@0.2.0",
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
    assert!(out.contains("escalator:rules@0.3.0"), "{out}");

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
