//! The config file is watched: a valid edit applies without a restart, a
//! broken one is refused and changes nothing.

use std::time::{Duration, Instant};

use escalator_integration_tests::{TestServer, conversation, vote};
use serde_json::{Value, json};

/// Saves the config file the way editors do (temp file, rename over).
fn save(server: &TestServer, text: &str) {
    let path = server.config_path();
    let tmp = path.with_file_name(".config.toml.swp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
}

async fn wait_config(server: &TestServer, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let c = server.config().await;
        if check(&c) {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "config never reached the expected state: {c}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn low_confidence() -> Value {
    conversation(&[
        ("customer", "How do I export invoices?", None),
        ("ai", "Maybe settings?", Some(0.5)),
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_threshold_edit_applies_to_the_next_decision() {
    let server =
        TestServer::start_with_config_file("[triggers.confidence]\nthreshold = 0.55\n", &[]).await;
    let before = server.config().await;
    assert_eq!(before["version"], 1);
    assert_eq!(
        before["config"]["triggers"]["confidence"]["threshold"],
        0.55
    );
    assert_eq!(server.decide(&low_confidence()).await["action"], "escalate");

    save(&server, "[triggers.confidence]\nthreshold = 0.4\n");
    let after = wait_config(&server, |c| c["version"] == 2).await;
    assert_eq!(after["config"]["triggers"]["confidence"]["threshold"], 0.4);
    assert!(after["last_error"].is_null());
    let d = server.decide(&low_confidence()).await;
    assert_eq!(d["action"], "stay");
    assert_eq!(vote(&d, "builtin:confidence")["verdict"], "abstain");
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_edits_are_refused_and_change_nothing() {
    let server = TestServer::start_with_config_file(
        "[triggers.confidence]\nthreshold = 0.55\n",
        &["vip-accounts"],
    )
    .await;
    let sha = server.config().await["sha256"].clone();
    let broken = [
        ("[triggers.confidence\nthreshold = 0.1\n", "config file"),
        (
            "[triggers.confidence]\nthreshold = 1.7\n",
            "triggers.confidence.threshold",
        ),
        (
            "[triggers.confidence]\nthreshold = 0.1\n[plugins.vip-accounts]\nsettings = { top_m = 3 }\n",
            "top_m",
        ),
        (
            "[triggers.confidence]\nthreshold = 0.1\n[plugins.vip-accounts]\nsettings = { top_n = \"ten\" }\n",
            "top_n",
        ),
    ];
    for (text, named) in broken {
        save(&server, text);
        let c = wait_config(&server, |c| {
            c["last_error"]["sha256"] == escalator::plugin::sha256_hex(text.as_bytes()).as_str()
        })
        .await;
        let message = c["last_error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{text:?}: {message}");
        assert_eq!(c["version"], 1, "{text:?} was applied");
        assert_eq!(c["sha256"], sha);
        assert_eq!(c["config"]["triggers"]["confidence"]["threshold"], 0.55);
        assert_eq!(server.decide(&low_confidence()).await["action"], "escalate");
    }
    // A good edit after the broken ones applies and clears the error.
    save(&server, "[triggers.confidence]\nthreshold = 0.3\n");
    let c = wait_config(&server, |c| c["version"] == 2).await;
    assert!(c["last_error"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_settings_and_weights_reload_with_the_config() {
    let server = TestServer::start_with_config_file("", &["vip-accounts"]).await;
    let g = server.generation().await;
    let mut c = conversation(&[("customer", "Hello", None)]);
    c["customer"] = json!({ "account_rank": 50 });
    assert_eq!(
        vote(&server.decide(&c).await, "plugin:vip-accounts")["verdict"],
        "escalate"
    );

    save(
        &server,
        "[plugins.vip-accounts]\nweight = 2.0\nsettings = { top_n = 10 }\n",
    );
    server.wait_generation_after(g).await;
    let status = server.plugin_status("vip-accounts").await.unwrap();
    assert_eq!(status["settings"]["top_n"], 10);
    assert_eq!(status["weight"], 2.0);
    assert_eq!(
        vote(&server.decide(&c).await, "plugin:vip-accounts")["verdict"],
        "abstain"
    );
    c["customer"] = json!({ "account_rank": 5 });
    let v = server.decide(&c).await;
    assert_eq!(vote(&v, "plugin:vip-accounts")["weight"], 2.0);
}
