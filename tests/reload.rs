//! Plugins change on disk while the server runs.

use std::time::Duration;

use escalator_integration_tests::{
    TestServer, conversation, example_plugin, plugin_sources, replace_atomically, sha256_file, vote,
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
        plugin_sources(&d),
        ["plugin:loop-detector", "plugin:topic-guard"],
        "the broken files do not vote"
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

/// Installs flip-a as `rule`, replaces it with `candidate`, and checks that
/// flip-a keeps serving while the candidate's failure is shown at `step`.
async fn bad_candidate_keeps_old_version(config: &str, candidate: Vec<u8>, step: &str) {
    let server = TestServer::start(config, &[]).await;
    let good = example_plugin("flip-a");
    let good_sha = sha256_file(&good);
    replace_atomically(&good, &server.plugin_path("rule"));
    server
        .wait_plugin("rule", |s| s.is_some_and(|s| s["status"] == "active"))
        .await;

    let tmp = server.plugins.path().join(".candidate");
    std::fs::write(&tmp, &candidate).unwrap();
    std::fs::rename(&tmp, server.plugin_path("rule")).unwrap();
    let status = server
        .wait_plugin("rule", |s| s.is_some_and(|s| !s["error"].is_null()))
        .await
        .unwrap();

    assert_eq!(status["status"], "active", "{status}");
    assert_eq!(status["sha256"], good_sha.as_str());
    assert_eq!(status["version"], "a");
    assert_eq!(status["error"]["step"], step, "{status}");
    assert!(!status["error"]["message"].as_str().unwrap().is_empty());
    assert!(status["error"]["at"].is_string());
    let candidate_sha = escalator::plugin::sha256_hex(&candidate);
    assert_eq!(status["error"]["sha256"], candidate_sha.as_str());
    assert_eq!(status["last_attempt"]["outcome"], "failed");
    assert_eq!(status["last_attempt"]["sha256"], candidate_sha.as_str());

    let d = server.decide(&probe()).await;
    let v = vote(&d, "plugin:rule");
    assert_eq!(v["reason"], "variant_a");
    assert_eq!(v["sha256"], good_sha.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_candidate_keeps_the_old_version() {
    let bytes = std::fs::read(example_plugin("flip-b")).unwrap();
    bad_candidate_keeps_old_version("", bytes[..bytes.len() * 2 / 3].to_vec(), "compile").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_wasm_candidate_keeps_the_old_version() {
    bad_candidate_keeps_old_version("", b"#!/bin/sh\necho not a plugin\n".to_vec(), "compile")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_candidate_with_the_wrong_interface_keeps_the_old_version() {
    let bytes = std::fs::read(example_plugin("wrong-world")).unwrap();
    bad_candidate_keeps_old_version("", bytes, "link").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_candidate_refusing_the_configured_settings_keeps_the_old_version() {
    // flip-a accepts a negative level; the strict variant refuses it.
    let bytes = std::fs::read(example_plugin("flip-strict")).unwrap();
    bad_candidate_keeps_old_version(
        "[plugins.rule]\nsettings = { level = -1 }\n",
        bytes,
        "validate",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_candidate_trapping_on_the_smoke_conversation_keeps_the_old_version() {
    let bytes = std::fs::read(example_plugin("smoke-trap")).unwrap();
    bad_candidate_keeps_old_version("", bytes, "smoke").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_status_shows_the_serving_version_and_the_last_attempt() {
    let server = TestServer::start("", &[]).await;
    replace_atomically(&example_plugin("flip-a"), &server.plugin_path("rule"));
    let a = server
        .wait_plugin("rule", |s| s.is_some_and(|s| s["version"] == "a"))
        .await
        .unwrap();
    assert_eq!(a["last_attempt"]["outcome"], "loaded");
    assert_eq!(a["generation"], server.generation().await);
    let loaded_a = a["loaded_at"].as_str().unwrap().to_owned();

    replace_atomically(&example_plugin("flip-b"), &server.plugin_path("rule"));
    let b = server
        .wait_plugin("rule", |s| s.is_some_and(|s| s["version"] == "b"))
        .await
        .unwrap();
    assert_eq!(b["sha256"], sha256_file(&example_plugin("flip-b")).as_str());
    assert!(b["loaded_at"].as_str().unwrap() > loaded_a.as_str());
    assert!(b["generation"].as_u64().unwrap() > a["generation"].as_u64().unwrap());
    assert!(b["error"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_built_against_an_incompatible_interface_is_refused_naming_both_versions() {
    let server = TestServer::start("", &["future-interface", "vip-accounts", "flip-a"]).await;
    let status = server.plugin_status("future-interface").await.unwrap();
    assert_eq!(status["status"], "failed");
    assert_eq!(status["error"]["step"], "link");
    let message = status["error"]["message"].as_str().unwrap();
    assert!(message.contains("escalator:rules@0.4.0"), "{message}");
    assert!(message.contains("escalator:rules@0.3.0"), "{message}");
    assert!(message.contains("escalator:rules@0.2.x"), "{message}");
    assert!(message.contains("escalator:rules@0.1.x"), "{message}");
    // Compatible plugins show the interface they were built against.
    for name in ["vip-accounts", "flip-a"] {
        let ok = server.plugin_status(name).await.unwrap();
        assert_eq!(ok["interface"], "escalator:rules@0.3.0", "{ok}");
    }
}
