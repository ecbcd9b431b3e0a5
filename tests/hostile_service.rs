//! The hostile-service suite: each defect a hostile test of the running
//! service found, reproduced against the real server on loopback. Every test
//! here failed before its fix.
//!
//! Waits are bounded polls (a condition checked until it holds, with a
//! generous limit), never a measured duration asserted against a budget.

use std::time::{Duration, Instant};

use escalator_integration_tests::{TestServer, conversation, eventually, example_plugin, vote};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the peer closes the connection (or `limit` passes); true if
/// it was closed. Whatever the server sent first is discarded.
async fn closed_by_server(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

fn error_of(body: &Value) -> (&str, Option<&str>) {
    (
        body["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}")),
        body["error"]["field"].as_str(),
    )
}

// ---------------------------------------------------------------- start-up

#[tokio::test(flavor = "multi_thread")]
async fn plugins_that_print_panic_or_run_out_of_memory_in_the_gate_are_contained_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    for p in ["gate-print", "gate-panic", "gate-oom", "vip-accounts"] {
        std::fs::copy(example_plugin(p), dir.path().join(format!("{p}.wasm"))).unwrap();
    }
    // Started on the async runtime, as `escalator serve` does: a printing
    // plugin there used to panic the process ("Cannot start a runtime from
    // within a runtime").
    // A generous deadline: on a loaded machine the out-of-memory run must
    // not be cut short first.
    let server =
        TestServer::start_in("[limits]\nmemory_mib = 16\ndeadline_ms = 20000\n", dir).await;

    let print = server.plugin_status("gate-print").await.unwrap();
    assert_eq!(print["status"], "active", "{print}");

    let panic = server.plugin_status("gate-panic").await.unwrap();
    assert_eq!(panic["status"], "failed", "{panic}");
    assert_eq!(panic["error"]["step"], "smoke", "{panic}");
    assert_eq!(panic["error"]["kind"], "trap", "{panic}");

    let oom = server.plugin_status("gate-oom").await.unwrap();
    assert_eq!(oom["status"], "failed", "{oom}");
    assert_eq!(oom["error"]["step"], "describe", "{oom}");
    assert_eq!(oom["error"]["kind"], "out_of_memory", "{oom}");
    // One line an operator can act on; the backtrace is in the log.
    let message = oom["error"]["message"].as_str().unwrap();
    assert!(!message.contains('\n'), "{message}");
    assert!(!message.contains("backtrace"), "{message}");
    assert!(message.contains("memory"), "{message}");

    let d = server
        .decide(&conversation(&[("customer", "hello there", None)]))
        .await;
    assert_eq!(vote(&d, "plugin:gate-print")["detail"], "printed", "{d}");
    assert!(vote(&d, "plugin:gate-print")["error"].is_null(), "{d}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_file_with_the_same_plugin_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        example_plugin("vip-accounts"),
        dir.path().join("vip-accounts.wasm"),
    )
    .unwrap();
    std::fs::copy(
        example_plugin("vip-accounts"),
        dir.path().join("vip-copy.wasm"),
    )
    .unwrap();
    let server = TestServer::start_in("", dir).await;
    let copy = server.plugin_status("vip-copy").await.unwrap();
    assert_eq!(copy["status"], "failed", "{copy}");
    assert_eq!(copy["error"]["kind"], "duplicate_name", "{copy}");
    let mut c = conversation(&[("customer", "hi", None)]);
    c["customer"] = json!({"tier": "enterprise"});
    let d = server.decide(&c).await;
    let plugin_votes = d["votes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["source"].as_str().unwrap().starts_with("plugin:"))
        .count();
    assert_eq!(plugin_votes, 1, "the copy must not vote twice: {d}");

    // Once the first holder is gone, the copy loads on the next scan.
    std::fs::remove_file(server.plugin_path("vip-accounts")).unwrap();
    server
        .wait_plugin("vip-copy", |s| s.is_some_and(|s| s["status"] == "active"))
        .await;
}

// ------------------------------------------------------------- hot reload

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_server_scans_at_most_once_after_a_save() {
    let server =
        TestServer::start_with_config_file("", &["vip-accounts", "topic-guard", "loop-detector"])
            .await;
    let scans = || async { server.plugins().await["scans"].as_u64().unwrap() };
    // Let the start-up settle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = scans().await;

    std::fs::write(server.plugins.path().join("notes.txt"), "a note").unwrap();
    eventually(Duration::from_secs(10), "the save is noticed", || async {
        scans().await > before
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after_save = scans().await;
    assert_eq!(after_save, before + 1, "one save, one scan");
    // And then the watcher stays quiet: its own reads are not events.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(scans().await, after_save, "the idle server kept scanning");

    // The same for a config save that changes nothing that matters.
    let text = std::fs::read_to_string(server.config_path()).unwrap();
    std::fs::write(server.config_path(), format!("{text}\n# a comment\n")).unwrap();
    eventually(
        Duration::from_secs(10),
        "the config save is noticed",
        || async { scans().await > after_save },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after_config = scans().await;
    assert_eq!(after_config, after_save + 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(scans().await, after_config);

    // Other files beside the config file (a log written there, say) are
    // not the config: writing them scans nothing.
    let log = server.config_path().with_file_name("escalator.log");
    for i in 0..5 {
        std::fs::write(&log, format!("line {i}\n")).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        scans().await,
        after_config,
        "a log beside the config rescans"
    );
}

/// A component whose one core function is `instructions` long, made unique
/// by `salt` so no compiled cache knows it.
fn component_with_a_long_function(instructions: usize, salt: u64) -> Vec<u8> {
    let mut text = String::with_capacity(instructions * 20 + 200);
    text.push_str("(component (core module (func (export \"f\") (result i32)\n");
    text.push_str(&format!("(i32.const {salt})\n"));
    for _ in 0..instructions {
        text.push_str("(i32.const 1) (i32.add)\n");
    }
    text.push_str(")))");
    wat::parse_str(&text).unwrap()
}

fn salt() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        % 1_000_000_007
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_with_an_oversized_function_is_refused_before_compiling() {
    let server = TestServer::start("[load]\nmax_function_kib = 64\n", &[]).await;
    std::fs::write(
        server.plugin_path("huge"),
        component_with_a_long_function(100_000, salt()),
    )
    .unwrap();
    let status = server
        .wait_plugin("huge", |s| s.is_some_and(|s| s["status"] == "failed"))
        .await
        .unwrap();
    assert_eq!(status["error"]["step"], "compile", "{status}");
    let message = status["error"]["message"].as_str().unwrap();
    assert!(message.contains("load.max_function_kib"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_plugin_file_delays_neither_other_plugins_nor_the_port() {
    // Bounds lifted so the slow file really compiles, for seconds.
    let config = "[load]\nmax_function_kib = 1048576\n";
    let slow = component_with_a_long_function(250_000, salt());

    let server = TestServer::start(config, &[]).await;
    std::fs::write(server.plugin_path("slow"), &slow).unwrap();
    eventually(
        Duration::from_secs(20),
        "the slow file compiles",
        || async {
            server.plugins().await["compiling"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == "slow")
        },
    )
    .await;
    std::fs::copy(
        example_plugin("vip-accounts"),
        server.plugin_path("vip-accounts"),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let listing = loop {
        let listing = server.plugins().await;
        let vip_live = listing["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "vip-accounts" && p["status"] == "active");
        if vip_live {
            break listing;
        }
        assert!(Instant::now() < deadline, "vip-accounts never went live");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        listing["compiling"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "slow"),
        "vip-accounts went live only after the slow file was done: {listing}"
    );

    // At start, the port answers at once and says it is starting.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("slow.wasm"),
        component_with_a_long_function(250_000, salt()),
    )
    .unwrap();
    let starting = TestServer::start_unready(config, dir).await;
    let (status, health) = starting.get("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "starting", "{health}");
    let (status, ready) = starting.get("/readyz").await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(error_of(&ready).0, "starting");
    let (status, refused) = starting
        .decide_raw(&conversation(&[("customer", "hi", None)]))
        .await;
    assert_eq!(status, 503, "{refused}");
}

// ----------------------------------------------------------- input bounds

#[tokio::test(flavor = "multi_thread")]
async fn requests_beyond_the_input_bounds_are_refused_naming_the_field() {
    let server =
        TestServer::start("[input]\nmax_messages = 50\nmax_message_chars = 100\n", &[]).await;
    let many: Vec<(&str, &str, Option<f64>)> = vec![("customer", "hi", None); 51];
    let (status, body) = server.decide_raw(&conversation(&many)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(error_of(&body), ("invalid_field", Some("messages")));

    let long = "é".repeat(101);
    let (status, body) = server
        .decide_raw(&conversation(&[
            ("customer", "hi", None),
            ("customer", &long, None),
        ]))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(error_of(&body), ("invalid_field", Some("messages[1].text")));

    // At the bounds, it decides.
    let exact = "é".repeat(100);
    let at_bounds: Vec<(&str, &str, Option<f64>)> = vec![("customer", &exact, None); 50];
    server.decide(&conversation(&at_bounds)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decision_answers_by_its_deadline_with_what_it_has() {
    let server = TestServer::start(
        "[decision]\ndeadline_ms = 300\n\
         [plugins.misbehave]\nlimits = { fuel = 1_000_000_000_000_000, deadline_ms = 30_000 }\n",
        &["misbehave", "vip-accounts"],
    )
    .await;
    let mut c = conversation(&[("customer", "loop", None)]);
    c["customer"] = json!({"tier": "enterprise"});
    let d = server.decide(&c).await;
    // misbehave sorts first: it is cut off at the decision's deadline ...
    let looping = vote(&d, "plugin:misbehave");
    assert_eq!(looping["error"]["kind"], "deadline", "{d}");
    // ... and the plugin after it is not called at all.
    let skipped = vote(&d, "plugin:vip-accounts");
    assert_eq!(skipped["error"]["kind"], "deadline", "{d}");
    // The built-ins all voted.
    assert_eq!(vote(&d, "builtin:account")["verdict"], "escalate", "{d}");
    // Being cut short by the decision is not the plugin's fault.
    let health = server.plugin_status("misbehave").await.unwrap()["health"].clone();
    assert_eq!(health["consecutive_failures"], 0, "{health}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_input_failing_again_and_again_does_not_quarantine_a_plugin_for_everyone() {
    let server = TestServer::start("[breaker]\nfailures = 3\n", &["misbehave"]).await;
    let hostile = conversation(&[("customer", "trap", None)]);
    for _ in 0..10 {
        let d = server.decide(&hostile).await;
        assert_eq!(vote(&d, "plugin:misbehave")["error"]["kind"], "trap", "{d}");
    }
    let d = server
        .decide(&conversation(&[("customer", "hello", None)]))
        .await;
    let v = vote(&d, "plugin:misbehave");
    assert!(
        v["error"].is_null(),
        "quarantined by one client's input: {d}"
    );
    let health = server.plugin_status("misbehave").await.unwrap()["health"].clone();
    assert_eq!(health["failures"]["trap"], 10, "{health}");
    assert_eq!(health["quarantines"], 0, "{health}");
}

// ------------------------------------------------------------ config file

#[tokio::test(flavor = "multi_thread")]
async fn a_config_path_swapped_for_a_fifo_blocks_nothing() {
    let server = TestServer::start_with_config_file("", &["vip-accounts"]).await;
    let path = server.config_path();
    std::fs::remove_file(&path).unwrap();
    mkfifo(&path);
    let limit = Duration::from_secs(10);
    // The refusal is shown, and every endpoint keeps answering.
    eventually(limit, "the FIFO is refused", || async {
        let config = server.config().await;
        config["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not a regular file"))
    })
    .await;
    for _ in 0..5 {
        let r = tokio::time::timeout(limit, server.get("/v1/config")).await;
        assert_eq!(r.expect("GET /v1/config answers").0, 200);
        let r = tokio::time::timeout(limit, server.get("/healthz")).await;
        assert_eq!(r.expect("/healthz answers").0, 200);
    }
    let d = tokio::time::timeout(
        limit,
        server.decide(&conversation(&[("customer", "hi", None)])),
    )
    .await
    .expect("decisions go on");
    assert_eq!(d["action"], "stay");
    assert!(server.shut_down(Duration::from_secs(30)).await);
}

fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_config_on_reload_is_refused_and_the_running_one_kept() {
    let server = TestServer::start_with_config_file(
        "[plugins.vip-accounts]\non_failure = \"escalate\"\n",
        &["vip-accounts"],
    )
    .await;
    let version = server.config().await["version"].as_u64().unwrap();
    std::fs::write(server.config_path(), "").unwrap();
    eventually(
        Duration::from_secs(10),
        "the empty file is refused",
        || async {
            let config = server.config().await;
            config["last_error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("empty"))
        },
    )
    .await;
    let config = server.config().await;
    assert_eq!(config["version"], version, "{config}");
    assert_eq!(
        config["config"]["plugins"]["vip-accounts"]["on_failure"], "escalate",
        "{config}"
    );
    // A comment-only file is just as empty.
    std::fs::write(server.config_path(), "# nothing\n\n").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.config().await["version"], version);
}

// ------------------------------------------------------------ connections

const SERVER_LIMITS: &str = "[server]\nheader_read_timeout_ms = 1000\nbody_read_timeout_ms = 1000\n\
                             idle_timeout_ms = 3000\nshutdown_grace_ms = 1000\nmax_connections = 16\n";

#[tokio::test(flavor = "multi_thread")]
async fn slow_heads_and_idle_connections_are_closed() {
    let server = TestServer::start(SERVER_LIMITS, &[]).await;

    // Slowloris: a byte of the head every 300 ms never completes it.
    let mut slow = TcpStream::connect(server.addr()).await.unwrap();
    let head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut closed = false;
    for byte in head {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        closed || closed_by_server(&mut slow, Duration::from_secs(10)).await,
        "a head trickling in was never cut off"
    );

    // An idle keep-alive connection, after one request.
    let mut idle = TcpStream::connect(server.addr()).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(closed_by_server(&mut idle, Duration::from_secs(10)).await);

    // A connection that never sends anything.
    let mut silent = TcpStream::connect(server.addr()).await.unwrap();
    assert!(closed_by_server(&mut silent, Duration::from_secs(10)).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_body_gets_a_408_in_the_json_shape() {
    let server = TestServer::start(SERVER_LIMITS, &[]).await;
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream
        .write_all(
            b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"conversation_id\":",
        )
        .await
        .unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"body_timeout\""), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_half_sent_heads_does_not_make_the_server_unreachable() {
    let server = TestServer::start(SERVER_LIMITS, &[]).await;
    let mut held = Vec::new();
    for _ in 0..100 {
        if let Ok(mut s) = TcpStream::connect(server.addr()).await {
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost:").await;
            held.push(s);
        }
    }
    // Beyond max_connections the rest wait in the accept queue; as the
    // header timeout closes the held ones, a real request gets through.
    eventually(
        Duration::from_secs(30),
        "a request gets through",
        || async {
            tokio::time::timeout(Duration::from_secs(2), server.get("/healthz"))
                .await
                .is_ok_and(|(status, _)| status == 200)
        },
    )
    .await;
    drop(held);
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_answers_requests_in_flight_and_is_not_held_by_half_sent_ones() {
    let server = TestServer::start(SERVER_LIMITS, &[]).await;
    // A request whose body is still arriving when shutdown begins ...
    let mut in_flight = TcpStream::connect(server.addr()).await.unwrap();
    let body = serde_json::to_vec(&conversation(&[("customer", "hi", None)])).unwrap();
    let (first, rest) = body.split_at(10);
    in_flight
        .write_all(
            format!(
                "POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    in_flight.write_all(first).await.unwrap();
    // ... and a head that will never be finished.
    let mut half = TcpStream::connect(server.addr()).await.unwrap();
    half.write_all(b"POST /v1/decide HTTP/1.1\r\nHost:")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let stopped = tokio::spawn(server.shut_down(Duration::from_secs(30)));
    tokio::time::sleep(Duration::from_millis(100)).await;
    in_flight.write_all(rest).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(
        Duration::from_secs(10),
        in_flight.read_to_end(&mut response),
    )
    .await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("\"decision_id\""), "{text}");
    assert!(stopped.await.unwrap(), "shutdown never completed");
    drop(half);
}

// ------------------------------------------------------------ error shapes

#[tokio::test(flavor = "multi_thread")]
async fn every_error_has_the_documented_json_shape() {
    let server = TestServer::start("", &[]).await;
    let client = &server.client;
    let check = |status: u16, expected: u16, body: &str, code: &str| {
        assert_eq!(status, expected, "{body}");
        let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(body["error"]["message"].is_string(), "{body}");
    };

    let r = client
        .get(format!("{}/v1/decide", server.base))
        .send()
        .await
        .unwrap();
    check(
        r.status().as_u16(),
        405,
        &r.text().await.unwrap(),
        "method_not_allowed",
    );

    let long = "a".repeat(9000);
    let r = client
        .get(format!("{}/healthz?{long}", server.base))
        .send()
        .await
        .unwrap();
    check(
        r.status().as_u16(),
        414,
        &r.text().await.unwrap(),
        "uri_too_long",
    );

    let r = client
        .get(format!("{}/healthz", server.base))
        .header("x-big", "b".repeat(20_000))
        .send()
        .await
        .unwrap();
    check(
        r.status().as_u16(),
        431,
        &r.text().await.unwrap(),
        "headers_too_large",
    );

    let body = serde_json::to_vec(&conversation(&[("customer", "hi", None)])).unwrap();
    let post = |query: &str| {
        client
            .post(format!("{}/v1/decide{query}", server.base))
            .header("content-type", "application/json")
            .body(body.clone())
    };
    for query in ["?explain=1&explain=0", "?explain=maybe", "?verbose=1"] {
        let r = post(query).send().await.unwrap();
        check(
            r.status().as_u16(),
            400,
            &r.text().await.unwrap(),
            "invalid_query",
        );
    }
    let r = post("")
        .header("content-encoding", "gzip")
        .send()
        .await
        .unwrap();
    check(
        r.status().as_u16(),
        415,
        &r.text().await.unwrap(),
        "unsupported_media_type",
    );
    let r = post("?explain=true").send().await.unwrap();
    assert_eq!(r.status(), 200);

    let raw = |text: &'static str| {
        client
            .post(format!("{}/v1/decide", server.base))
            .header("content-type", "application/json")
            .body(text)
    };
    let r = raw(r#"{"conversation_id":"x"} garbage"#)
        .send()
        .await
        .unwrap();
    check(
        r.status().as_u16(),
        400,
        &r.text().await.unwrap(),
        "malformed_json",
    );
    let r = raw(r#"["x","chat"]"#).send().await.unwrap();
    check(
        r.status().as_u16(),
        422,
        &r.text().await.unwrap(),
        "invalid_field",
    );
    let r = raw(
        r#"{"conversation_id":"x","customer":{"attributes":{"account_manager":"alice","account_manager":"mallory"}}}"#,
    )
    .send()
    .await
    .unwrap();
    let text = r.text().await.unwrap();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        error_of(&parsed),
        ("invalid_field", Some("customer.attributes"))
    );
}
