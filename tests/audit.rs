//! The audit trail: configuration edits and plugin files, applied and
//! refused, and operator actions, each with who, when, and the digests
//! before and after, read back through `GET /v1/audit`.

use std::time::{Duration, Instant};

use escalator_integration_tests::{TestServer, example_plugin, replace_atomically, sha256_file};
use serde_json::{Value, json};
use sha2::Digest;

const OPERATOR_TOKEN: &str = "esc_audit_operator_0123456789abcdef";

fn config(extra: &str) -> String {
    format!(
        "[auth.tokens.alice]\nrole = \"operator\"\nsha256 = \"{}\"\n{extra}",
        hex::encode(sha2::Sha256::digest(OPERATOR_TOKEN.as_bytes()))
    )
}

async fn audit(server: &TestServer, query: &str) -> Vec<Value> {
    let response = server
        .client
        .get(format!("{}/v1/audit{query}", server.base))
        .bearer_auth(OPERATOR_TOKEN)
        .send()
        .await
        .unwrap();
    // The log's database opens in the background: until then, 503.
    if response.status() == 503 {
        return Vec::new();
    }
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["events"].as_array().unwrap().clone()
}

/// Waits for an event of `action` on `target` (any target when empty)
/// with `outcome`, and returns the newest.
async fn wait_event(server: &TestServer, action: &str, target: &str, outcome: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    let query = if target.is_empty() {
        format!("?action={action}")
    } else {
        format!("?action={action}&target={target}")
    };
    loop {
        let events = audit(server, &query).await;
        if let Some(e) = events.into_iter().find(|e| e["outcome"] == outcome) {
            return e;
        }
        assert!(
            Instant::now() < deadline,
            "never audited: {action} {target} {outcome}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn config_sha(server: &TestServer) -> String {
    sha256_file(&server.config_path())
}

#[tokio::test]
async fn changes_are_recorded_with_who_and_the_digests_before_and_after() {
    let server = TestServer::start_with_config_file(&config(""), &["topic-guard"]).await;
    let start = wait_event(&server, "service.start", "", "applied").await;
    assert_eq!(start["actor"], "service");
    assert_eq!(start["after_sha256"], config_sha(&server));

    let guard = server.plugin_path("topic-guard");
    let first = sha256_file(&guard);
    let loaded = wait_event(&server, "plugin.load", "topic-guard", "applied").await;
    assert_eq!(loaded["after_sha256"], first);
    assert!(loaded["before_sha256"].is_null());
    assert!(
        loaded["actor"].as_str().unwrap().starts_with("file (uid "),
        "{loaded}"
    );

    // A config edit, applied: the digests are those of the two files.
    let before = config_sha(&server);
    server.rewrite_config(&config("[merge]\noffer_threshold = 0.4\n"));
    let applied = wait_event(&server, "config.reload", "config.toml", "applied").await;
    assert_eq!(applied["before_sha256"], before);
    assert_eq!(applied["after_sha256"], config_sha(&server));

    // A broken edit, refused, says why; what is in force stays.
    let in_force = config_sha(&server);
    server.rewrite_config(&config("[merge]\noffer_threshold = 7.0\n"));
    let refused = wait_event(&server, "config.reload", "config.toml", "refused").await;
    assert_eq!(refused["before_sha256"], in_force);
    assert_eq!(refused["after_sha256"], config_sha(&server));
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("offer_threshold"),
        "{refused}"
    );

    // A plugin replaced by another build, then by a file that is no plugin.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("topic-guard.wasm");
    std::fs::copy(example_plugin("vip-accounts"), &other).unwrap();
    replace_atomically(&other, &guard);
    let replaced = wait_event(&server, "plugin.replace", "topic-guard", "applied").await;
    assert_eq!(replaced["before_sha256"], first);
    assert_eq!(replaced["after_sha256"], sha256_file(&guard));
    let serving = sha256_file(&guard);

    std::fs::write(&other, b"not a wasm component").unwrap();
    replace_atomically(&other, &guard);
    let broken = wait_event(&server, "plugin.refuse", "topic-guard", "refused").await;
    assert_eq!(broken["before_sha256"], serving);
    assert_eq!(broken["after_sha256"], sha256_file(&guard));
    assert!(
        broken["detail"].as_str().unwrap().starts_with("compile"),
        "{broken}"
    );

    std::fs::remove_file(&guard).unwrap();
    let removed = wait_event(&server, "plugin.remove", "topic-guard", "applied").await;
    assert_eq!(removed["before_sha256"], serving);

    // An operator's replay names the operator and the candidate's digest.
    let candidate = "[triggers.confidence]\nthreshold = 0.8\n";
    let response = server
        .client
        .post(format!("{}/v1/replay", server.base))
        .bearer_auth(OPERATOR_TOKEN)
        .json(&json!({"config": candidate}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let replay = wait_event(&server, "replay.run", "decision log", "applied").await;
    assert_eq!(replay["actor"], "alice");
    assert_eq!(
        replay["after_sha256"],
        hex::encode(sha2::Sha256::digest(candidate.as_bytes()))
    );

    // Filters and order: newest first, and bad queries named.
    let all = audit(&server, "?limit=1000").await;
    let times: Vec<&str> = all.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");
    assert_eq!(audit(&server, "?actor=alice").await.len(), 1);
    let response = server
        .client
        .get(format!("{}/v1/audit?limit=0", server.base))
        .bearer_auth(OPERATOR_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "limit");
}
