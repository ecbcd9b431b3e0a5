//! Shadow mode: a shadow plugin, or a shadow copy of the built-in triggers,
//! is evaluated on live traffic and recorded, never enforced; the decision
//! and the KPI report show what it would have changed; promoting it is a
//! config edit, hot-reloaded.

use std::time::Duration;

use escalator_integration_tests::{TestServer, eventually, vote};
use serde_json::{Value, json};

/// A conversation in `category` where the AI answered with `confidence`.
fn asked(id: &str, category: &str, confidence: f64) -> Value {
    json!({
        "conversation_id": id,
        "channel": "chat",
        "now": "2026-10-05T10:00:30Z",
        "topic": {"category": category},
        "messages": [
            {"role": "customer", "text": "How do I change the delivery address on my order?",
             "at": "2026-10-05T10:00:00Z"},
            {"role": "ai", "text": "You can change it in your account settings.",
             "at": "2026-10-05T10:00:10Z", "ai": {"confidence": confidence}},
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

/// `flip-a` votes escalate with weight 0.5; doubled, it alone escalates.
const SHADOW_PLUGIN: &str = "[plugins.flip-a]\nmode = \"shadow\"\nweight = 2.0\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shadow_plugin_is_recorded_never_enforced_and_its_flips_are_counted() {
    let server = TestServer::start_with_config_file(SHADOW_PLUGIN, &["flip-a"]).await;
    // (conversation, category, confidence, enforced action)
    let cases = [
        ("s1", "billing", 0.9, "stay"),
        ("s2", "billing", 0.3, "escalate"),
        ("s3", "shipping", 0.9, "stay"),
        ("s4", "shipping", 0.95, "stay"),
        ("s5", "account", 0.2, "escalate"),
    ];
    for (id, category, confidence, action) in cases {
        let d = server.decide(&asked(id, category, confidence)).await;
        // The shadow vote is there, marked, with its weight; the action is
        // the built-in triggers' alone.
        assert_eq!(d["action"], action, "{id}: {d}");
        let v = vote(&d, "plugin:flip-a");
        assert_eq!(v["shadow"], true, "{v}");
        assert_eq!(v["verdict"], "escalate");
        assert_eq!(v["weight"], 1.0);
        assert!(
            d["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["source"] != "plugin:flip-a"),
            "{d}"
        );
        let shadow = &d["shadow"];
        assert_eq!(shadow["action"], "escalate", "{id}: {shadow}");
        assert_eq!(shadow["flipped"], action != "escalate", "{id}: {shadow}");
    }
    written(&server, 5).await;

    let (status, r) = server
        .get("/v1/kpis?from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z")
        .await;
    assert_eq!(status, 200, "{r}");
    let s = &r["shadow"];
    assert_eq!(s["decisions_with_shadow"], 5, "{s}");
    assert_eq!(s["flips"], 3, "{s}");
    assert_eq!(s["flip_rate"], 0.6, "{s}");
    assert_eq!(
        s["transitions"],
        json!([{"from": "stay", "to": "escalate", "count": 3}])
    );
    assert_eq!(s["escalation_rate"]["delta_points"], 60.0, "{s}");
    let shipping = s["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "shipping")
        .unwrap();
    assert_eq!(shipping["flips"], 2, "{shipping}");
    assert_eq!(shipping["would_be_escalations"], 2, "{shipping}");
    assert_eq!(shipping["escalations"], 0, "{shipping}");

    // Promoting is a config edit: the plugin now decides.
    let generation = server.generation().await;
    std::fs::write(
        server.config_path(),
        std::fs::read_to_string(server.config_path())
            .unwrap()
            .replace("mode = \"shadow\"", "mode = \"enforce\""),
    )
    .unwrap();
    server.wait_generation_after(generation).await;
    let d = server.decide(&asked("s6", "billing", 0.9)).await;
    assert_eq!(d["action"], "escalate", "{d}");
    assert!(vote(&d, "plugin:flip-a")["shadow"].is_null(), "{d}");
    assert!(d["shadow"].is_null(), "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shadow_copy_of_the_triggers_shows_a_threshold_change_before_it_is_enforced() {
    let config = "[shadow.triggers.confidence]\nthreshold = 0.75\n";
    let server = TestServer::start_with_config_file(config, &[]).await;
    for (id, confidence, action, would_be) in [
        ("t1", 0.6, "stay", "escalate"),
        ("t2", 0.9, "stay", "stay"),
        ("t3", 0.3, "escalate", "escalate"),
    ] {
        let d = server.decide(&asked(id, "billing", confidence)).await;
        assert_eq!(d["action"], action, "{id}: {d}");
        let shadow = &d["shadow"];
        assert_eq!(shadow["action"], would_be, "{id}: {shadow}");
        assert_eq!(shadow["flipped"], action != would_be);
        // The shadow copy's votes are shown beside the decision, not in it.
        let low = shadow["trigger_votes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["source"] == "builtin:confidence")
            .unwrap();
        let expected = if confidence < 0.75 {
            "escalate"
        } else {
            "abstain"
        };
        assert_eq!(low["verdict"], expected, "{id}: {low}");
    }

    // A broken shadow section is refused like any other config error, and
    // the running configuration stays.
    let bad = "[shadow.triggers.confidence]\nthreshold = 7\n";
    std::fs::write(server.config_path(), bad).unwrap();
    let sha = escalator::plugin::sha256_hex(bad.as_bytes());
    eventually(Duration::from_secs(30), "the edit is refused", || async {
        let (_, c) = server.get("/v1/config").await;
        c["last_error"]["sha256"] == sha.as_str()
    })
    .await;
    let (_, c) = server.get("/v1/config").await;
    let message = c["last_error"]["message"].as_str().unwrap();
    assert!(
        message.contains("shadow.triggers.confidence.threshold"),
        "{message}"
    );
    assert_eq!(
        c["config"]["shadow"]["triggers"]["confidence"]["threshold"],
        0.75
    );
    let d = server.decide(&asked("t4", "billing", 0.6)).await;
    assert_eq!(d["shadow"]["action"], "escalate", "{d}");
}
