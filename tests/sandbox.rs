//! A plugin that traps, errs, runs away or returns garbage gets an abstain
//! vote carrying the error class, and nothing else is affected.

use escalator_integration_tests::{TestServer, conversation, vote};

async fn decide_with(server: &TestServer, text: &str) -> serde_json::Value {
    server
        .decide(&conversation(&[
            ("customer", "I want to cancel my plan", None),
            ("customer", text, None),
        ]))
        .await
}

fn assert_contained(d: &serde_json::Value, kind: &str) {
    let v = vote(d, "plugin:misbehave");
    assert_eq!(v["verdict"], "abstain", "{v}");
    assert_eq!(v["error"]["kind"], kind, "{v}");
    assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    // The well-behaved neighbour voted as usual.
    assert_eq!(vote(d, "plugin:topic-guard")["reason"], "cancellation");
    assert_eq!(d["action"], "escalate");
}

#[tokio::test(flavor = "multi_thread")]
async fn traps_errors_and_invalid_votes_become_abstains_with_their_class() {
    let server = TestServer::start("", &["misbehave", "topic-guard"]).await;
    assert_eq!(
        server.plugin_status("misbehave").await.unwrap()["status"],
        "active"
    );

    assert_contained(&decide_with(&server, "panic").await, "trap");
    assert_contained(&decide_with(&server, "error").await, "plugin_error");
    assert_contained(&decide_with(&server, "nan-weight").await, "bad_output");
    assert_contained(&decide_with(&server, "huge-reason").await, "bad_output");

    // Printing is allowed (it goes to the host log) and does not disturb the vote.
    let printed = decide_with(&server, "print").await;
    assert_eq!(vote(&printed, "plugin:misbehave")["reason"], "fixture_ok");
    assert!(vote(&printed, "plugin:misbehave")["error"].is_null());

    // A failure leaves no trace: the next call gets a fresh instance.
    let fine = decide_with(&server, "hello").await;
    let v = vote(&fine, "plugin:misbehave");
    assert_eq!(v["verdict"], "stay");
    assert_eq!(v["weight"], 0.25);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_infinite_loop_is_stopped_by_fuel() {
    let server = TestServer::start(
        "[limits]\nfuel = 5_000_000\ndeadline_ms = 60_000\n",
        &["misbehave", "topic-guard"],
    )
    .await;
    assert_contained(&decide_with(&server, "loop").await, "out_of_fuel");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_infinite_loop_is_stopped_by_the_deadline() {
    let server = TestServer::start(
        "[limits]\nfuel = 1_000_000_000_000_000\ndeadline_ms = 50\n",
        &["misbehave", "topic-guard"],
    )
    .await;
    assert_contained(&decide_with(&server, "loop").await, "deadline");
    // And the server carries on.
    let d = decide_with(&server, "hello").await;
    assert_eq!(vote(&d, "plugin:misbehave")["verdict"], "stay");
}
