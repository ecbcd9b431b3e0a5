//! A decision's plugins run side by side, and each is handed only the parts
//! of the input it declares; conversations re-sent every turn are answered
//! from remembered per-message work that follows the configuration.

use std::time::Duration;

use escalator_integration_tests::{TestServer, conversation, example_plugin, plugin_sources, vote};
use serde_json::{Value, json};

/// The four copies of the echo fixture, each under its own name and
/// section (a copy under an identical configuration would be refused as a
/// duplicate).
const ECHOES: [&str; 4] = ["echo-a", "echo-b", "echo-c", "echo-d"];

async fn server_with_echoes(extra: &[&str]) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    for name in ECHOES {
        std::fs::copy(
            example_plugin("input-echo"),
            dir.path().join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    for name in extra {
        std::fs::copy(
            example_plugin(name),
            dir.path().join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    let sections: String = ECHOES
        .iter()
        .enumerate()
        .map(|(i, name)| format!("[plugins.{name}]\nweight = {}\n", 1.0 - 0.1 * i as f64))
        .collect();
    let server = TestServer::start_in(&sections, dir).await;
    server.wait_ready().await;
    server
}

/// A conversation of `n` customer messages, with its own id and tier.
fn request(id: &str, tier: &str, n: usize) -> Value {
    let messages: Vec<(&str, &str, Option<f64>)> = (0..n)
        .map(|_| ("customer", "Where is my parcel?", None))
        .collect();
    let mut c = conversation(&messages);
    c["conversation_id"] = json!(id);
    c["customer"] = json!({"id": format!("cus-{id}"), "tier": tier});
    c["topic"] = json!({"category": "orders"});
    c
}

/// What the echo fixture's detail says, field by field.
fn echoed(decision: &Value, source: &str) -> std::collections::BTreeMap<String, String> {
    vote(decision, source)["detail"]
        .as_str()
        .unwrap()
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_decisions_each_get_their_own_plugins_votes() {
    let server = server_with_echoes(&["vip-accounts", "topic-guard", "loop-detector"]).await;
    let expected_sources: Vec<String> = {
        let mut names: Vec<&str> = ECHOES.to_vec();
        names.extend(["loop-detector", "topic-guard", "vip-accounts"]);
        names.sort();
        names.iter().map(|n| format!("plugin:{n}")).collect()
    };
    // Many decisions at once, so the helper threads run plugins of several
    // decisions interleaved; each must come back with votes about its own
    // conversation, in the configured order.
    for round in 0..3 {
        let mut asks = tokio::task::JoinSet::new();
        for i in 0..24usize {
            let tier = if i.is_multiple_of(3) {
                "enterprise"
            } else {
                "standard"
            };
            let body = request(&format!("conv-{round}-{i}"), tier, 1 + i % 5);
            let (client, url) = (server.client.clone(), format!("{}/v1/decide", server.base));
            asks.spawn(async move {
                let r = client.post(url).json(&body).send().await.unwrap();
                assert_eq!(r.status(), 200);
                (i, tier, r.json::<Value>().await.unwrap())
            });
        }
        for (i, tier, d) in asks.join_all().await {
            assert_eq!(plugin_sources(&d), expected_sources, "{d}");
            for echo in ECHOES {
                let e = echoed(&d, &format!("plugin:{echo}"));
                assert_eq!(e["id"], format!("conv-{round}-{i}"), "{d}");
                assert_eq!(e["tier"], tier, "{d}");
                assert_eq!(e["sentiments"], (1 + i % 5).to_string(), "{d}");
            }
            let vip = vote(&d, "plugin:vip-accounts");
            let wanted = if tier == "enterprise" {
                "escalate"
            } else {
                "abstain"
            };
            assert_eq!(vip["verdict"], wanted, "{d}");
            assert!(
                d["votes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|v| v["error"].is_null()),
                "{d}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_is_handed_only_the_parts_it_reads() {
    let server = server_with_echoes(&[]).await;
    let mut body = request("parts", "gold", 3);
    // A human took the conversation and handed it back: the ownership
    // record is not empty.
    body["messages"].as_array_mut().unwrap().insert(
        1,
        json!({"role": "system", "at": "2026-01-01T00:00:10Z",
               "event": {"type": "handoff_to_human", "agent": "maria"}}),
    );
    body["messages"].as_array_mut().unwrap().insert(
        2,
        json!({"role": "system", "at": "2026-01-01T00:00:20Z",
               "event": {"type": "handback_to_ai", "agent": "maria"}}),
    );
    let d = server.decide(&body).await;
    assert_eq!(d["ownership"]["changes"], 2, "{d}");
    let e = echoed(&d, "plugin:echo-a");
    // Declared: the customer and the signals.
    assert_eq!(e["tier"], "gold");
    assert_eq!(e["sentiments"], "5", "one score (or none) per message");
    // Not declared: handed empty.
    assert_eq!(e["messages"], "0");
    assert_eq!(e["topic"], "-");
    assert_eq!((e["owner"].as_str(), e["changes"].as_str()), ("ai", "0"));
    // The conversation's id and the clock are always there.
    assert_eq!(e["id"], "parts");
    assert_eq!(e["now"], "1767225780000");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_built_before_declared_reads_still_gets_everything() {
    let server = TestServer::start("", &["legacy-v02", "input-echo"]).await;
    server.wait_ready().await;
    let d = server.decide(&request("legacy", "gold", 2)).await;
    assert!(vote(&d, "plugin:legacy-v02")["error"].is_null(), "{d}");
    assert_eq!(echoed(&d, "plugin:input-echo")["messages"], "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn remembered_readings_follow_a_change_of_scope_phrases() {
    let server = TestServer::start_with_config_file("", &[]).await;
    let said = |text: &str| conversation(&[("customer", text, None)]);
    let text = "I don't need to talk to a human agent, thanks";
    // Negated under the default scope, and read (and remembered) so.
    let d = server.decide(&said(text)).await;
    assert_eq!(
        vote(&d, "builtin:human_request")["verdict"],
        "abstain",
        "{d}"
    );
    // Decided again, from memory, the same.
    let again = server.decide(&said(text)).await;
    assert_eq!(vote(&again, "builtin:human_request")["verdict"], "abstain");

    // Without negations the same words ask for a human: the remembered
    // reading must not outlive the scope it was made under.
    let path = server.config_path();
    let tmp = path.with_file_name(".config.toml.swp");
    std::fs::write(&tmp, "[triggers.scope]\nnegations = []\n").unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while server.config().await["version"] != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the edit never applied"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let d = server.decide(&said(text)).await;
    assert_eq!(
        vote(&d, "builtin:human_request")["verdict"],
        "escalate",
        "{d}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_re_sent_turn_by_turn_decides_as_if_new() {
    // The same conversation decided turn by turn (each earlier message
    // remembered) and then, at its end, under new texts that nothing
    // remembers: the decisions must agree on everything but timing.
    let server = TestServer::start("", &["loop-detector", "topic-guard"]).await;
    server.wait_ready().await;
    let lines = [
        "My order has not arrived",
        "It is order 5521, still not here!!!",
        "This is the third time I'm asking, still nothing",
        "I WANT A REAL PERSON NOW",
    ];
    let upto = |k: usize, salt: &str| {
        let msgs: Vec<(String, &str, Option<f64>)> = lines[..k]
            .iter()
            .map(|l| (format!("{l}{salt}"), "customer", None))
            .collect();
        let msgs: Vec<(&str, &str, Option<f64>)> =
            msgs.iter().map(|(t, r, c)| (*r, t.as_str(), *c)).collect();
        conversation(&msgs)
    };
    let mut last = Value::Null;
    for k in 1..=lines.len() {
        last = server.decide(&upto(k, "")).await;
    }
    let fresh = server.decide(&upto(lines.len(), " ")).await;
    let strip = |d: &Value| {
        let mut d = d.clone();
        for key in ["decision_id", "elapsed_us"] {
            d.as_object_mut().unwrap().remove(key);
        }
        for v in d["votes"].as_array_mut().unwrap() {
            v.as_object_mut().unwrap().remove("elapsed_us");
            v.as_object_mut().unwrap().remove("fuel_used");
            v.as_object_mut().unwrap().remove("memory_peak_bytes");
        }
        d
    };
    assert_eq!(last["action"], "escalate", "{last}");
    assert_eq!(
        strip(&last)["votes"],
        strip(&fresh)["votes"],
        "remembered per-message work changed a vote"
    );
    assert_eq!(
        strip(&last)["context"]["emotions"],
        strip(&fresh)["context"]["emotions"]
    );
}
