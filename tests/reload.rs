//! Plugins change on disk while the server runs.

use std::time::Duration;

use escalator_integration_tests::{
    TestServer, conversation, example_plugin, replace_atomically, sha256_file, vote,
};

/// Asks for a human *and* mentions cancelling: loop-detector and topic-guard
/// both vote on it, with different reasons.
fn probe() -> serde_json::Value {
    conversation(&[(
        "customer",
        "I want to cancel my subscription, let me talk to a human",
        None,
    )])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replaced_plugin_file_changes_the_next_decision_and_bumps_the_generation() {
    let server = TestServer::start("", &[]).await;
    let rule = server.plugin_path("rule");
    std::fs::copy(example_plugin("loop-detector"), &rule).unwrap();
    let g1 = server.wait_generation_after(0).await;

    let before = server.decide(&probe()).await;
    assert_eq!(before["generation"], g1);
    assert_eq!(vote(&before, "plugin:rule")["reason"], "asked_for_human");

    replace_atomically(&example_plugin("topic-guard"), &rule);
    let g2 = server.wait_generation_after(g1).await;
    assert_eq!(g2, g1 + 1);
    let after = server.decide(&probe()).await;
    assert_eq!(after["generation"], g2);
    let v = vote(&after, "plugin:rule");
    assert_eq!(v["reason"], "cancellation");
    assert_eq!(v["sha256"], sha256_file(&example_plugin("topic-guard")));
}

#[tokio::test(flavor = "multi_thread")]
async fn added_and_removed_files_take_effect_without_a_restart() {
    let server = TestServer::start("", &["vip-accounts"]).await;
    let g1 = server.generation().await;
    std::fs::copy(
        example_plugin("topic-guard"),
        server.plugin_path("topic-guard"),
    )
    .unwrap();
    let g2 = server.wait_generation_after(g1).await;
    let d = server.decide(&probe()).await;
    assert_eq!(vote(&d, "plugin:topic-guard")["reason"], "cancellation");

    std::fs::remove_file(server.plugin_path("topic-guard")).unwrap();
    server.wait_generation_after(g2).await;
    let d = server.decide(&probe()).await;
    assert!(
        d["votes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["source"] != "plugin:topic-guard")
    );
    assert!(server.plugin_status("topic-guard").await.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_file_shows_as_failed_while_the_others_keep_voting() {
    let server = TestServer::start("", &["topic-guard", "loop-detector"]).await;
    let g1 = server.generation().await;

    // Garbage, a truncated component, and a core module (not a component).
    std::fs::write(server.plugin_path("garbage"), b"definitely not wasm").unwrap();
    let good = std::fs::read(example_plugin("vip-accounts")).unwrap();
    std::fs::write(server.plugin_path("truncated"), &good[..good.len() / 2]).unwrap();
    std::fs::write(server.plugin_path("core-module"), b"\0asm\x01\0\0\0").unwrap();
    // Not a plugin at all: ignored.
    std::fs::write(server.plugins.path().join("README.txt"), b"notes").unwrap();

    let mut failed: Vec<String> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while failed.len() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "failures not reported: {failed:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        let body = server.plugins().await;
        failed = body["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == "failed")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
    }
    assert!(server.generation().await > g1);
    let garbage = server.plugin_status("garbage").await.unwrap();
    assert_eq!(garbage["error"]["step"], "compile");
    assert!(
        garbage["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a WebAssembly component")
    );
    let core = server.plugin_status("core-module").await.unwrap();
    assert!(
        core["error"]["message"]
            .as_str()
            .unwrap()
            .contains("core WebAssembly module")
    );
    let truncated = server.plugin_status("truncated").await.unwrap();
    assert_eq!(truncated["status"], "failed");
    assert_eq!(truncated["error"]["step"], "compile");
    assert!(server.plugin_status("README").await.is_none());

    let d = server.decide(&probe()).await;
    assert_eq!(vote(&d, "plugin:topic-guard")["reason"], "cancellation");
    assert_eq!(
        vote(&d, "plugin:loop-detector")["reason"],
        "asked_for_human"
    );
    assert_eq!(
        d["votes"].as_array().unwrap().len(),
        4,
        "two built-ins and two plugins"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_replacement_keeps_the_last_good_version_serving() {
    let server = TestServer::start("", &["topic-guard"]).await;
    let g1 = server.generation().await;
    let path = server.plugin_path("topic-guard");
    let good_sha = sha256_file(&path);
    std::fs::write(path.with_file_name(".tmp"), b"garbage").unwrap();
    std::fs::rename(path.with_file_name(".tmp"), &path).unwrap();
    server.wait_generation_after(g1).await;

    let status = server.plugin_status("topic-guard").await.unwrap();
    assert_eq!(status["status"], "active");
    assert_eq!(status["sha256"], good_sha);
    assert_eq!(status["error"]["step"], "compile");
    assert_ne!(status["error"]["sha256"], good_sha);
    let d = server.decide(&probe()).await;
    let v = vote(&d, "plugin:topic-guard");
    assert_eq!(v["reason"], "cancellation");
    assert_eq!(v["sha256"], good_sha);
}
