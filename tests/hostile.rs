//! The hostile-plugin suite: plugins that misbehave on purpose, run over HTTP
//! beside well-behaved ones. Each is stopped by a limit and classified, its
//! failure policy is applied, and nothing else is affected.

use std::time::{Duration, Instant};

use escalator_integration_tests::{
    TestServer, conversation, example_plugin, replace_atomically, vote,
};
use serde_json::{Value, json};

/// A conversation whose latest message tells the fixture how to misbehave,
/// from an enterprise customer who wants to cancel, so the well-behaved
/// plugins have something to say.
fn asking(behaviour: &str) -> Value {
    let mut c = conversation(&[
        ("customer", "I want to cancel my plan", None),
        ("customer", behaviour, None),
    ]);
    c["customer"] = json!({ "tier": "enterprise" });
    c
}

fn assert_neighbours_untouched(d: &Value) {
    assert_eq!(
        vote(d, "plugin:topic-guard")["reason"],
        "cancellation",
        "{d}"
    );
    assert_eq!(
        vote(d, "plugin:vip-accounts")["reason"],
        "vip_account",
        "{d}"
    );
    assert!(vote(d, "plugin:topic-guard")["error"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_behaviour_is_stopped_and_classified() {
    let server = TestServer::start(
        "[breaker]\nfailures = 1000\n[decision]\ndeadline_ms = 60_000\n\
         [plugins.misbehave]\nlimits = { fuel = 500_000_000, deadline_ms = 5_000, memory_mib = 32 }\n",
        &["misbehave", "topic-guard", "vip-accounts"],
    )
    .await;
    let cases: &[(&str, &[&str])] = &[
        ("panic", &["trap"]),
        ("trap", &["trap"]),
        ("recurse", &["trap"]),
        ("loop", &["out_of_fuel"]),
        ("alloc", &["out_of_memory"]),
        ("log-flood", &["out_of_fuel", "deadline"]),
        ("error", &["plugin_error"]),
        ("nan-weight", &["bad_output"]),
        ("huge-reason", &["bad_output"]),
        ("huge-detail", &["bad_output"]),
    ];
    for (behaviour, kinds) in cases {
        let d = server.decide(&asking(behaviour)).await;
        let v = vote(&d, "plugin:misbehave");
        let kind = v["error"]["kind"].as_str().unwrap_or("none");
        assert!(
            kinds.contains(&kind),
            "{behaviour}: expected {kinds:?}, got {v}"
        );
        assert_eq!(
            v["verdict"], "abstain",
            "{behaviour}: the default policy abstains"
        );
        assert!(v["fuel_used"].as_u64().is_some(), "{behaviour}: {v}");
        assert_neighbours_untouched(&d);
        assert_eq!(d["action"], "escalate");
    }
    let health = &server.plugin_status("misbehave").await.unwrap()["health"];
    assert_eq!(health["failures"]["trap"], 3);
    assert_eq!(health["failures"]["bad_output"], 3);
    assert_eq!(health["breaker"], "closed");

    // Fuel is deterministic: the same input costs the same.
    let fuel = |d: &Value| vote(d, "plugin:misbehave")["fuel_used"].as_u64().unwrap();
    let a = server.decide(&asking("hello")).await;
    let b = server.decide(&asking("hello")).await;
    assert_eq!(fuel(&a), fuel(&b));
    assert!(fuel(&a) > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_denies_files_environment_and_network() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = TestServer::start("", &["misbehave", "topic-guard", "vip-accounts"]).await;
    let mut c = asking("snoop");
    c["attributes"] = json!({ "port": port.to_string() });
    let d = server.decide(&c).await;
    let v = vote(&d, "plugin:misbehave");
    assert_eq!(v["reason"], "contained", "{v}");
    for probe in ["file", "dir", "cwd", "env", "args", "tcp", "dns", "udp"] {
        assert!(
            v["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("{probe}: denied")),
            "{probe}: {v}"
        );
    }
    assert!(
        listener.accept().is_err(),
        "the plugin reached a loopback socket"
    );
    assert_neighbours_untouched(&d);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_plugin_failure_policy_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["fail-open", "fail-closed", "fail-stay"] {
        std::fs::copy(
            example_plugin("misbehave"),
            dir.path().join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    let server = TestServer::start_in(
        "[plugins.fail-closed]\non_failure = \"escalate\"\n\
         [plugins.fail-stay]\non_failure = \"stay\"\nweight = 0.5\n",
        dir,
    )
    .await;
    let d = server
        .decide(&conversation(&[("customer", "panic", None)]))
        .await;
    let open = vote(&d, "plugin:fail-open");
    assert_eq!(open["verdict"], "abstain");
    let closed = vote(&d, "plugin:fail-closed");
    assert_eq!(closed["verdict"], "escalate");
    assert_eq!(closed["hard"], true);
    assert_eq!(closed["reason"], "plugin_failed");
    let stay = vote(&d, "plugin:fail-stay");
    assert_eq!(stay["verdict"], "stay");
    assert_eq!(stay["weight"], 0.5);
    for v in [open, closed, stay] {
        assert_eq!(v["error"]["kind"], "trap");
    }
    assert_eq!(d["action"], "escalate", "fail-closed is a hard escalation");
    assert_eq!(d["reasons"][0]["source"], "plugin:fail-closed");
}

async fn wait_breaker(server: &TestServer, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let h = server.plugin_status("misbehave").await.unwrap()["health"].clone();
        if h["breaker"] == state {
            return h;
        }
        assert!(
            Instant::now() < deadline,
            "breaker never became {state}: {h}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_failures_quarantine_a_plugin_until_it_recovers_or_is_fixed() {
    let server = TestServer::start(
        "[breaker]\nfailures = 3\nbackoff_ms = 300\nmax_backoff_ms = 1000\n",
        &["misbehave", "topic-guard"],
    )
    .await;
    // Three different conversations: the breaker counts failures on
    // distinct inputs (one input failing again and again is one client's
    // problem, tests/hostile_service.rs).
    for i in 0..3 {
        let mut c = asking("panic");
        c["conversation_id"] = json!(format!("failing-{i}"));
        let d = server.decide(&c).await;
        assert_eq!(vote(&d, "plugin:misbehave")["error"]["kind"], "trap");
    }
    let open = wait_breaker(&server, "open").await;
    assert_eq!(open["consecutive_failures"], 3);
    assert_eq!(open["quarantines"], 1);
    assert!(open["quarantined_until"].is_string());

    // Quarantined: skipped even on an input it would handle, the rest votes.
    let d = server.decide(&asking("hello")).await;
    let v = vote(&d, "plugin:misbehave");
    assert_eq!(v["error"]["kind"], "quarantined");
    assert_eq!(v["verdict"], "abstain");
    assert_eq!(vote(&d, "plugin:topic-guard")["reason"], "cancellation");

    // After the backoff one success closes the breaker.
    wait_breaker(&server, "half_open").await;
    let d = server.decide(&asking("hello")).await;
    assert!(vote(&d, "plugin:misbehave")["error"].is_null());
    let closed = wait_breaker(&server, "closed").await;
    assert_eq!(closed["consecutive_failures"], 0);

    // Break it again, then deploy a fixed version: a fresh breaker, closed.
    for i in 0..3 {
        let mut c = asking("panic");
        c["conversation_id"] = json!(format!("failing-again-{i}"));
        server.decide(&c).await;
    }
    wait_breaker(&server, "open").await;
    let g = server.generation().await;
    replace_atomically(&example_plugin("flip-a"), &server.plugin_path("misbehave"));
    server.wait_generation_after(g).await;
    let fixed = wait_breaker(&server, "closed").await;
    assert_eq!(fixed["quarantines"], 0);
    let d = server.decide(&asking("panic")).await;
    let v = vote(&d, "plugin:misbehave");
    assert_eq!(v["reason"], "variant_a", "{v}");
    assert!(v["error"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_can_be_overridden_per_plugin() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["frugal", "generous"] {
        std::fs::copy(
            example_plugin("misbehave"),
            dir.path().join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    let server = TestServer::start_in(
        "[limits]\nfuel = 2_000_000\n[breaker]\nfailures = 100\n\
         [plugins.generous]\nlimits = { fuel = 1_000_000_000_000_000, deadline_ms = 60 }\n",
        dir,
    )
    .await;
    let d = server
        .decide(&conversation(&[("customer", "loop", None)]))
        .await;
    assert_eq!(vote(&d, "plugin:frugal")["error"]["kind"], "out_of_fuel");
    assert_eq!(
        vote(&d, "plugin:generous")["error"]["kind"],
        "deadline",
        "{d}"
    );
    let status = server.plugin_status("generous").await.unwrap();
    assert_eq!(status["limits"]["fuel"], 1_000_000_000_000_000u64);
    assert_eq!(status["limits"]["deadline_ms"], 60);
    assert_eq!(status["on_failure"], "abstain");
}

#[tokio::test(flavor = "multi_thread")]
async fn reused_instances_carry_state_fresh_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["fresh", "reused"] {
        std::fs::copy(
            example_plugin("misbehave"),
            dir.path().join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    let server = TestServer::start_in(
        "[breaker]\nfailures = 100\n[plugins.reused]\ninstances = \"reuse\"\nreuse_calls = 3\n",
        dir,
    )
    .await;
    let mut fresh = Vec::new();
    let mut reused = Vec::new();
    for text in [
        "count", "count", "count", "count", "count", "panic", "count",
    ] {
        let d = server
            .decide(&conversation(&[("customer", text, None)]))
            .await;
        fresh.push(
            vote(&d, "plugin:fresh")["detail"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
        reused.push(
            vote(&d, "plugin:reused")["detail"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
    }
    // Fresh: every call is the instance's first.
    assert_eq!(fresh, ["1", "1", "1", "1", "1", "", "1"]);
    // Reused: retired after 3 calls, and dropped after a failure.
    assert_eq!(reused, ["1", "2", "3", "1", "2", "", "1"]);
}
