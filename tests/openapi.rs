//! The OpenAPI contract: `docs/openapi.json` is the document the code
//! generates, the server serves that document, and schemathesis, run
//! against a live server with every check enabled, finds nothing in which
//! the server and its document disagree.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use escalator_integration_tests::{TestServer, conversation, workspace_root};
use serde_json::{Value, json};
use sha2::Digest;

/// The schemathesis release the contract is checked with.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// The operator token of the server schemathesis tests.
const TOKEN: &str = "esc_openapi_contract_0123456789abcdef";

/// How to bring `docs/openapi.json` up to date.
const REGENERATE: &str = "cargo run -q -- openapi > docs/openapi.json` (or run this test with \
     ESCALATOR_WRITE_OPENAPI=1 set";

#[test]
fn the_committed_document_is_the_one_the_code_generates() {
    let generated = escalator::api::openapi::json();
    let path = workspace_root().join("docs/openapi.json");
    if std::env::var_os("ESCALATOR_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(generated.lines().count()));
        panic!(
            "docs/openapi.json is not the document the code generates (first difference at \
             line {}: committed {:?}, generated {:?}); regenerate it with `{REGENERATE}`",
            first + 1,
            committed.lines().nth(first).unwrap_or("<end>"),
            generated.lines().nth(first).unwrap_or("<end>"),
        );
    }
}

#[test]
fn the_command_line_prints_the_document() {
    let (code, out) = escalator_integration_tests::escalator_cli(&["openapi"]);
    assert_eq!(code, 0);
    assert_eq!(out, escalator::api::openapi::json());
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
}

#[tokio::test]
async fn the_server_serves_the_document_to_anyone() {
    let config = format!(
        "[auth.tokens.ops]\nrole = \"operator\"\nsha256 = \"{}\"\n",
        hex::encode(sha2::Sha256::digest(TOKEN))
    );
    let server = TestServer::start(&config, &[]).await;
    let response = server
        .client
        .get(format!("{}/openapi.json", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    assert_eq!(
        response.text().await.unwrap(),
        escalator::api::openapi::json()
    );
}

/// The `schemathesis` command: `$ESCALATOR_SCHEMATHESIS` if set (CI points
/// it into a virtual environment), else one installed (once) into a virtual
/// environment under the target directory.
fn schemathesis() -> PathBuf {
    if let Some(p) = std::env::var_os("ESCALATOR_SCHEMATHESIS") {
        return p.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let venv = target.join("schemathesis-venv");
    let st = venv.join("bin/schemathesis");
    let version = SCHEMATHESIS.trim_start_matches("schemathesis==");
    let ready = Command::new(&st)
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(version));
    if !ready {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 is needed for the schemathesis test");
        assert!(status.success(), "creating the virtual environment failed");
        let status = Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", SCHEMATHESIS])
            .status()
            .expect("run pip");
        assert!(status.success(), "installing {SCHEMATHESIS} failed");
    }
    st
}

/// Puts a few decisions and outcome events in the log, so that the
/// endpoints reading it answer with records, and returns the decisions'
/// and conversations' ids.
async fn seed(server: &TestServer) -> (Vec<String>, Vec<String>) {
    let turns: [&[(&str, &str, Option<f64>)]; 3] = [
        &[
            ("customer", "my parcel never arrived", None),
            ("ai", "I am sorry, let me check", Some(0.3)),
            (
                "customer",
                "this is useless, I want to talk to a human now",
                None,
            ),
        ],
        &[("customer", "how do I change my password?", None)],
        &[
            ("customer", "you charged me twice, I am furious", None),
            ("ai", "I can help with billing", Some(0.9)),
        ],
    ];
    let mut decisions = Vec::new();
    let mut conversations = Vec::new();
    for (i, messages) in turns.iter().enumerate() {
        let id = format!("contract-{i}");
        for n in 1..=messages.len() {
            let mut body = conversation(&messages[..n]);
            body["conversation_id"] = json!(id);
            let category = ["delivery", "account", "billing"][i];
            body["topic"] = json!({ "category": category });
            body["customer"] = json!({"id": format!("customer-{i}"), "tier": "pro"});
            let decision = server.decide(&body).await;
            decisions.push(decision["decision_id"].as_str().unwrap().to_owned());
        }
        conversations.push(id);
    }
    let at = chrono::Utc::now().to_rfc3339();
    let events = json!({"events": [
        {"event_id": "contract-e1", "type": "human_assigned", "conversation_id": "contract-0",
         "decision_id": decisions[2], "at": at, "agent": "ana"},
        {"event_id": "contract-e2", "type": "csat", "conversation_id": "contract-0",
         "at": at, "score": 4},
        {"event_id": "contract-e3", "type": "review", "conversation_id": "contract-0",
         "decision_id": decisions[2], "at": at, "verdict": "correct"},
    ]});
    let response = server
        .client
        .post(format!("{}/v1/outcomes", server.base))
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    // Records are written a flush interval after they are queued.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page: Value = server
            .client
            .get(format!("{}/v1/decisions?limit=1000", server.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if page["decisions"].as_array().map_or(0, Vec::len) >= decisions.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the log never held the decisions"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (decisions, conversations)
}

/// What schemathesis is told beyond its command line: real ids for the
/// path parameters some of the time, and the few refusals a request that
/// matches its schema may still get, each for a rule that spans fields or
/// depends on the server's clock or configuration, which JSON Schema
/// cannot state (and the document describes in words).
fn schemathesis_config(decisions: &[String], conversations: &[String]) -> String {
    let list = |ids: &[String]| {
        ids.iter()
            .map(|i| format!("{i:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let accepted = r#"["2xx", "401", "403", "404", "409", "429", "5xx""#;
    format!(
        r#"# A body over 1 MiB is refused for its size before it is read as JSON.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

[dictionaries.decisions]
values = [{decisions}]

[dictionaries.conversations]
values = [{conversations}]

[[operations]]
include-path = "/v1/decisions/{{id}}"
parameters = {{ "path.id" = {{ dictionary = "decisions", probability = 0.5 }} }}

[[operations]]
include-path = "/v1/conversations/{{id}}"
parameters = {{ "path.id" = {{ dictionary = "conversations", probability = 0.5 }} }}

# Ownership events in an order the conversation cannot have had.
[[operations]]
include-path = "/v1/decide"
checks.positive_data_acceptance.expected-statuses = {accepted}, "422"]

# Events dated over a day ahead, or two events sharing an id.
[[operations]]
include-path = "/v1/outcomes"
checks.positive_data_acceptance.expected-statuses = {accepted}, "422"]

# `from` not before `to`, or a window over 1098 days.
[[operations]]
include-path = "/v1/kpis"
checks.positive_data_acceptance.expected-statuses = {accepted}, "400"]

# A candidate configuration that is not a valid configuration file.
[[operations]]
include-path = "/v1/replay"
checks.positive_data_acceptance.expected-statuses = {accepted}, "400"]
"#,
        decisions = list(decisions),
        conversations = list(conversations),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_disagreement_between_the_server_and_its_document() {
    let st = schemathesis();
    let config = format!(
        "[auth.tokens.contract]\nrole = \"operator\"\nsha256 = \"{}\"\n",
        hex::encode(sha2::Sha256::digest(TOKEN))
    );
    let mut server =
        TestServer::start(&config, &["vip-accounts", "topic-guard", "loop-detector"]).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {TOKEN}").parse().unwrap(),
    );
    server.client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let (decisions, conversations) = seed(&server).await;
    let work = tempfile::tempdir().unwrap();
    let config_file = work.path().join("schemathesis.toml");
    std::fs::write(
        &config_file,
        schemathesis_config(&decisions, &conversations),
    )
    .unwrap();
    let url = format!("{}/openapi.json", server.base);
    // Bounded for the test suite; a longer hunt sets these.
    let examples = std::env::var("ESCALATOR_SCHEMATHESIS_EXAMPLES").unwrap_or("40".into());
    let seed = std::env::var("ESCALATOR_SCHEMATHESIS_SEED").unwrap_or("20260131".into());
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(st)
            .current_dir(work.path())
            .arg("--config-file")
            .arg(&config_file)
            .args(["--no-color", "run", &url])
            .args(["--checks", "all"])
            .args(["--max-examples", &examples, "--seed", &seed])
            .args(["--workers", "1", "--generation-database", "none"])
            .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
            .args(["--request-timeout", "60"])
            .output()
            .expect("run schemathesis")
    })
    .await
    .unwrap();
    // Reproductions quote whole bodies, up to megabytes on one line.
    let report: String = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
    .lines()
    .map(|l| match l.char_indices().nth(2000) {
        Some((i, _)) => format!("{} …\n", &l[..i]),
        None => format!("{l}\n"),
    })
    .collect();
    eprintln!(
        "schemathesis ran for {:.0} s:\n{report}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        output.status.success(),
        "schemathesis found the server and its document disagreeing:\n{report}"
    );
}
