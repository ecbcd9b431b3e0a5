//! `escalator simulate` against a real server: every conversation is
//! decided and recorded, outcome events of many kinds follow, and a seed
//! means the same traffic on another server while another seed does not.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use escalator_integration_tests::{TestServer, escalator_cli, eventually};

const CONVERSATIONS: usize = 60;

/// Runs `simulate` with `seed` against `server` in-process; returns the
/// exit code and the summary.
async fn simulate(server: &TestServer, seed: &str) -> (i32, String) {
    let url = format!("http://{}", server.addr());
    let seed = seed.to_owned();
    tokio::task::spawn_blocking(move || {
        escalator_cli(&[
            "simulate",
            "--server",
            &url,
            "--conversations",
            &CONVERSATIONS.to_string(),
            "--seed",
            &seed,
            "--end",
            "2026-11-01T00:00:00Z",
        ])
    })
    .await
    .unwrap()
}

/// Waits until the server has written `n` decisions, then returns every
/// recorded decision's action by conversation id.
async fn actions(server: &TestServer, n: u64) -> BTreeMap<String, String> {
    eventually(
        Duration::from_secs(60),
        "the decisions are written",
        || async { server.get("/v1/store").await.1["written"].as_u64() >= Some(n) },
    )
    .await;
    let (status, body) = server.get("/v1/decisions?limit=1000").await;
    assert_eq!(status, 200, "{body}");
    let decisions = body["decisions"].as_array().unwrap();
    let mut by_conversation = BTreeMap::new();
    for d in decisions {
        let id = d["conversation_id"].as_str().unwrap().to_owned();
        let action = d["action"].as_str().unwrap().to_owned();
        assert!(
            by_conversation.insert(id.clone(), action).is_none(),
            "{id} decided twice"
        );
    }
    by_conversation
}

/// Every outcome event of the conversations in `actions`, as (event id,
/// type, time), by event id.
async fn events(server: &TestServer, actions: &BTreeMap<String, String>) -> Vec<[String; 3]> {
    let mut all = Vec::new();
    for id in actions.keys() {
        let (status, timeline) = server.get(&format!("/v1/conversations/{id}")).await;
        assert_eq!(status, 200, "{timeline}");
        for e in timeline["timeline"].as_array().unwrap() {
            if e["kind"] == "event" {
                let field = |k: &str| e[k].as_str().unwrap().to_owned();
                all.push([field("event_id"), field("type"), field("at")]);
            }
        }
    }
    all.sort();
    all
}

/// The actions in conversation order (`sim-{seed}-{i}` by `i`).
fn in_order(actions: &BTreeMap<String, String>, seed: &str) -> Vec<String> {
    (0..CONVERSATIONS)
        .map(|i| actions[&format!("sim-{seed}-{i}")].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_fills_the_log_and_a_seed_means_the_same_traffic() {
    let first = TestServer::start("", &[]).await;
    let (code, summary) = simulate(&first, "7").await;
    assert_eq!(code, 0, "{summary}");
    assert!(
        summary.contains(&format!("simulated {CONVERSATIONS} conversations")),
        "{summary}"
    );
    assert!(summary.contains("decisions: 60"), "{summary}");

    let seven = actions(&first, CONVERSATIONS as u64).await;
    assert_eq!(seven.len(), CONVERSATIONS, "{seven:?}");
    let kinds: BTreeSet<&str> = seven.values().map(String::as_str).collect();
    assert!(kinds.len() >= 2, "only {kinds:?}");
    assert!(
        kinds.contains("escalate") && kinds.contains("stay"),
        "{kinds:?}"
    );

    // Outcome events follow the decisions.
    let mut types: BTreeMap<String, u64> = BTreeMap::new();
    let mut reply_texts = 0;
    let mut decided_in_window = 0;
    for id in seven.keys() {
        let (status, timeline) = first.get(&format!("/v1/conversations/{id}")).await;
        assert_eq!(status, 200, "{timeline}");
        for entry in timeline["timeline"].as_array().unwrap() {
            match entry["kind"].as_str() {
                Some("event") => {
                    if entry["type"] == "human_first_reply"
                        && entry["text"].as_str().is_some_and(|t| !t.is_empty())
                    {
                        reply_texts += 1;
                    }
                    *types
                        .entry(entry["type"].as_str().unwrap().to_owned())
                        .or_default() += 1
                }
                Some("decision") => {
                    let at: DateTime<Utc> = entry["at"].as_str().unwrap().parse().unwrap();
                    let (start, end) = (
                        "2026-10-04T00:00:00Z".parse::<DateTime<Utc>>().unwrap(),
                        "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap(),
                    );
                    if start <= at && at < end {
                        decided_in_window += 1;
                    }
                }
                _ => {}
            }
        }
    }
    assert_eq!(
        decided_in_window, CONVERSATIONS,
        "decisions land in the window"
    );
    for kind in ["resolved", "csat", "human_assigned"] {
        assert!(types.contains_key(kind), "no {kind} event: {types:?}");
    }
    assert!(types.len() >= 5, "{types:?}");
    assert_eq!(
        Some(&reply_texts),
        types.get("human_first_reply"),
        "every first reply carries its text"
    );
    let seven_events = events(&first, &seven).await;

    // Running the same seed again stores no event twice.
    let (status, before) = first.get("/v1/conversations/sim-7-0").await;
    assert_eq!(status, 200);
    let (code, again) = simulate(&first, "7").await;
    assert_eq!(code, 0, "{again}");
    assert!(again.contains("the server stored 0 and"), "{again}");
    let (_, after) = first.get("/v1/conversations/sim-7-0").await;
    assert_eq!(before["events"], after["events"]);

    // The same seed on a fresh server: the same actions, conversation by
    // conversation; another seed: others.
    let second = TestServer::start("", &[]).await;
    let (code, summary) = simulate(&second, "7").await;
    assert_eq!(code, 0, "{summary}");
    let again = actions(&second, 60).await;
    assert_eq!(in_order(&again, "7"), in_order(&seven, "7"));
    assert_eq!(events(&second, &again).await, seven_events);

    let third = TestServer::start("", &[]).await;
    let (code, summary) = simulate(&third, "8").await;
    assert_eq!(code, 0, "{summary}");
    let eight = actions(&third, 60).await;
    assert_ne!(in_order(&eight, "8"), in_order(&seven, "7"));
}

#[test]
fn an_unreachable_server_is_named() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let (code, out) = escalator_cli(&[
        "simulate",
        "--server",
        &url,
        "--conversations",
        "3",
        "--seed",
        "1",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cannot reach") && out.contains(&url), "{out}");
}
