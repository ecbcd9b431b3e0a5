//! Secret plugin settings, end to end: a plugin that declares a secret and
//! tries to leak it (and two more the operator made secret) through every
//! channel it has, on a real server whose secrets come from a file, an
//! environment variable and a value written in clear; then every GET
//! endpoint, the decide answers, a replay, the CLI and the captured log
//! must hold none of the values, while the plugin demonstrably received
//! them.
//!
//! One test only: it sets an environment variable, which is sound only
//! while no other thread reads or writes the environment.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use escalator_integration_tests::{
    TestServer, conversation, escalator_cli, eventually, example_plugin, vote,
};
use serde_json::json;
use sha2::Digest;

/// Read from the file `crm.key` beside the config; declared secret by the
/// plugin.
const API_KEY: &str = "sk-file-secret-3f9a1c7e";
/// Read from [`ENV_VAR`]; secret because it comes from the environment.
const BACKUP_KEY: &str = "env-secret-b41d29e6";
/// Written in clear and listed in `secret_settings`.
const PIN: &str = "pin-secret-70c2e5";
/// Written in clear for a plugin that is not installed: its declaration is
/// unknown, so it is hidden too.
const ORPHAN: &str = "orphan-value-5c1e77";
/// Unique to this test, so no other process's variable is read.
const ENV_VAR: &str = "ESCALATOR_SECRETS_TEST_BACKUP_KEY_B41D";

const SECRETS: [&str; 4] = [API_KEY, BACKUP_KEY, PIN, ORPHAN];

fn config(label: &str) -> String {
    format!(
        "[plugins.secret-echo]\n\
         secret_settings = [\"pin\"]\n\
         settings = {{ api_key = {{ file = \"crm.key\" }}, backup_key = {{ env = \"{ENV_VAR}\" }}, \
         pin = \"{PIN}\", label = \"{label}\" }}\n\
         [plugins.orphan]\n\
         settings = {{ token = \"{ORPHAN}\" }}\n"
    )
}

/// Panics when `text`, from `what`, holds any secret value.
fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} leaks {secret:?}:\n{text}");
    }
}

/// The 32-bit FNV-1a hash the plugin reports of each value.
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn digest(text: &str) -> String {
    hex::encode(sha2::Sha256::digest(text.as_bytes()))[..12].to_owned()
}

/// Everything logged in this process, from the start of the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn install() -> Captured {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        // Only this crate's records: wasmtime's and the HTTP stack's are
        // many, and none of them carries plugin output.
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = subscriber.with(
            tracing_subscriber::filter::Targets::new()
                .with_target("escalator", tracing::Level::TRACE),
        );
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        captured
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[test]
fn secret_settings_reach_the_plugin_and_appear_nowhere_else() {
    // SAFETY: this binary holds this one test, and nothing has started a
    // thread yet (no runtime, no server, no subscriber), so nothing reads
    // or writes the environment concurrently.
    unsafe { std::env::set_var(ENV_VAR, BACKUP_KEY) };
    let logs = Captured::install();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (server, mut seen) = runtime.block_on(service());
    // The command line runs its own runtime, so outside this one.
    seen.extend(command_line(&server.config_path()));
    for (what, text) in &seen {
        assert_clean(what, text);
    }

    // What the plugin printed and logged reached the log, scrubbed.
    runtime.block_on(async { drop(server) });
    let log = logs.text();
    for line in [
        "stdout api_key=[secret]",
        "stderr backup_key=[secret]",
        "log pin=[secret]",
        "the key [secret] is refused",
    ] {
        assert!(log.contains(line), "{line:?} not logged");
    }
    assert_clean("the log", &log);
}

/// The service's side: what it shows, decides and replays, with the
/// secrets in force and after a candidate tried to leak one. Returns the
/// server, its config restored, and every answer it gave.
async fn service() -> (TestServer, Vec<(String, String)>) {
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(
        example_plugin("secret-echo"),
        plugins.path().join("secret-echo.wasm"),
    )
    .unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    std::fs::write(config_dir.path().join("crm.key"), format!("{API_KEY}\n")).unwrap();
    let server =
        TestServer::start_with_config_file_in_dir(&config("visible-label"), plugins, config_dir)
            .await;
    let mut seen: Vec<(String, String)> = Vec::new();

    // Shown as set, with a digest and where it came from; `label` in clear.
    let status = server.plugin_status("secret-echo").await.unwrap();
    assert_eq!(status["status"], "active", "{status}");
    assert_eq!(status["interface"], "escalator:rules@0.3.0");
    let settings = &status["settings"];
    assert_eq!(
        settings["api_key"],
        json!({"secret": true, "set": true, "sha256": digest(API_KEY), "from": "file crm.key"})
    );
    assert_eq!(
        settings["backup_key"],
        json!({"secret": true, "set": true, "sha256": digest(BACKUP_KEY),
               "from": format!("env {ENV_VAR}")})
    );
    assert_eq!(
        settings["pin"],
        json!({"secret": true, "set": true, "sha256": digest(PIN)})
    );
    assert_eq!(settings["label"], "visible-label");

    let shown = server.config().await;
    let section = &shown["config"]["plugins"];
    assert_eq!(
        section["secret-echo"]["settings"]["api_key"]["secret"],
        true
    );
    assert_eq!(section["secret-echo"]["settings"]["pin"]["secret"], true);
    assert_eq!(section["secret-echo"]["settings"]["label"], "visible-label");
    assert_eq!(
        section["orphan"]["settings"]["token"],
        json!({"secret": true, "set": true, "sha256": digest(ORPHAN)}),
        "a plugin with no known declaration shows nothing in clear"
    );

    // The plugin got every value: it votes on the key and reports each
    // value's length and hash beside the value it tried to leak.
    let mut body = conversation(&[("customer", "Where is my order?", None)]);
    body["conversation_id"] = json!("secret-1");
    let d = server.decide(&body).await;
    let v = vote(&d, "plugin:secret-echo");
    assert_eq!(v["verdict"], "escalate", "{v}");
    assert_eq!(v["reason"], "[secret]");
    assert_eq!(v["routing"]["queue"], "[secret]");
    let detail = v["detail"].as_str().unwrap();
    for (name, value) in [
        ("api_key", API_KEY),
        ("backup_key", BACKUP_KEY),
        ("pin", PIN),
    ] {
        let received = format!(
            "{name} [secret] ({} chars, fnv {:08x})",
            value.len(),
            fnv1a(value)
        );
        assert!(detail.contains(&received), "{received} not in {detail}");
    }
    let id = d["decision_id"].as_str().unwrap().to_owned();
    seen.push(("decide".into(), d.to_string()));

    // An error it returns is scrubbed too.
    let mut body = conversation(&[("customer", "make it fail please", None)]);
    body["conversation_id"] = json!("secret-2");
    let d = server.decide(&body).await;
    let v = vote(&d, "plugin:secret-echo");
    assert_eq!(v["error"]["kind"], "plugin_error", "{v}");
    assert_eq!(v["error"]["message"], "cannot reach the CRM with [secret]");
    seen.push(("decide (failed vote)".into(), d.to_string()));

    eventually(Duration::from_secs(30), "both decisions logged", || async {
        server.get("/v1/store").await.1["written"].as_u64() >= Some(2)
    })
    .await;
    let (status, replay) = server.post("/v1/replay", &json!({})).await;
    assert_eq!(status, 200, "{replay}");
    seen.push(("POST /v1/replay".into(), replay.to_string()));

    // A candidate whose `validate-settings` quotes the key is refused with
    // the key scrubbed from its error; the serving version keeps serving.
    server.rewrite_config(&config("leak-on-validate"));
    let refused = server
        .wait_plugin("secret-echo", |s| {
            s.is_some_and(|s| s["error"]["step"] == "validate")
        })
        .await
        .unwrap();
    assert_eq!(
        refused["error"]["message"],
        "the plugin rejected its settings: the key [secret] is refused",
        "{refused}"
    );
    assert_eq!(refused["status"], "active");

    for path in [
        "/v1/decisions".to_owned(),
        format!("/v1/decisions/{id}"),
        "/v1/conversations/secret-1".to_owned(),
        "/v1/conversations/secret-2".to_owned(),
        "/v1/config".to_owned(),
        "/v1/plugins".to_owned(),
        "/v1/kpis".to_owned(),
        "/v1/review".to_owned(),
        "/v1/store".to_owned(),
        "/v1/audit".to_owned(),
        "/metrics".to_owned(),
        "/openapi.json".to_owned(),
        "/healthz".to_owned(),
        "/readyz".to_owned(),
    ] {
        let r = server
            .client
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert!(status.is_success(), "GET {path}: {status} {text}");
        seen.push((format!("GET {path}"), text));
    }
    let decision = seen
        .iter()
        .find(|(w, _)| w.starts_with("GET /v1/decisions/"));
    assert!(
        decision.is_some_and(|(_, t)| t.contains("[secret]")),
        "the logged decision holds the scrubbed vote"
    );

    server.rewrite_config(&config("visible-label"));
    (server, seen)
}

/// The command line on the same config file: `check` shows secrets as the
/// API does, `eval` prints the scrubbed vote, a refused validation its
/// scrubbed error. Returns what each printed.
fn command_line(config_path: &std::path::Path) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    let config_arg = config_path.to_str().unwrap();
    let plugin = example_plugin("secret-echo");
    let plugin = plugin.to_str().unwrap();
    let (code, out) = escalator_cli(&["check", plugin, "-c", config_arg]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"secret\":true"), "{out}");
    assert!(out.contains("visible-label"), "{out}");
    seen.push(("escalator check".into(), out));
    let (code, out) = escalator_cli(&[
        "check",
        plugin,
        "-c",
        config_arg,
        "-s",
        "label=leak-on-validate",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the key [secret] is refused"), "{out}");
    seen.push(("escalator check (refused)".into(), out));
    let conv = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        conv.path(),
        conversation(&[("customer", "Hello", None)]).to_string(),
    )
    .unwrap();
    let (code, out) = escalator_cli(&[
        "eval",
        plugin,
        conv.path().to_str().unwrap(),
        "-c",
        config_arg,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[secret]"), "{out}");
    seen.push(("escalator eval".into(), out));
    seen
}
