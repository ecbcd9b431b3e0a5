//! Shared helpers for the integration tests: build the example plugins from
//! source, start the real server on an ephemeral loopback port, talk HTTP.

pub mod postgres;
pub mod save;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use escalator::config::Config;
use escalator::config::live::{LiveConfig, Overrides};
use escalator::server::{Service, bind};
use serde_json::{Value, json};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The compiled-plugin cache shared by the tests' servers, under the target
/// directory (so Python and JavaScript plugins compile once per build).
pub fn test_cache_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("test-compiled-cache")
}

/// Builds every example plugin and every test fixture plugin (in
/// `tests/plugins/`) for wasm32-wasip2, once per test binary, and returns the
/// directory holding the `.wasm` files. A separate target
/// directory keeps this nested build from waiting on the outer cargo's lock.
pub fn example_plugins_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = workspace_root();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"))
            .join("test-plugins");
        let out = target.join("out");
        let crates = ["example-plugins", "tests/plugins"]
            .iter()
            .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap())
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("Cargo.toml").exists());
        let status = Command::new(root.join("scripts/build-plugins"))
            .arg(&out)
            .args(crates)
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .expect("run scripts/build-plugins");
        assert!(status.success(), "building the example plugins failed");
        out
    })
}

/// Builds the Python and JavaScript example plugins with their real
/// toolchains (once per test binary) and returns the directory holding them.
pub fn interpreted_plugins_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = workspace_root();
        let out = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"))
            .join("test-plugins/interpreted");
        let status = Command::new(root.join("scripts/build-interpreted-plugins"))
            .arg(&out)
            .status()
            .expect("run scripts/build-interpreted-plugins");
        assert!(
            status.success(),
            "building the Python and JavaScript plugins failed"
        );
        out
    })
}

/// Runs the `escalator` command line in-process; returns exit code and output.
pub fn escalator_cli(args: &[&str]) -> (i32, String) {
    use clap::Parser;
    let cli = escalator::cli::Cli::try_parse_from(
        std::iter::once("escalator").chain(args.iter().copied()),
    )
    .unwrap_or_else(|e| panic!("bad arguments {args:?}: {e}"));
    let mut out = Vec::new();
    let code = escalator::cli::run(cli.command, &mut out);
    (code, String::from_utf8(out).unwrap())
}

/// The built `.wasm` of example or fixture plugin `name` (e.g. `vip-accounts`).
pub fn example_plugin(name: &str) -> PathBuf {
    let p = example_plugins_dir().join(format!("{name}.wasm"));
    assert!(p.exists(), "no example plugin {name}");
    p
}

/// The hex sha256 of a file.
pub fn sha256_file(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// A server running on an ephemeral loopback port, with its own plugins
/// directory. Dropping it stops the server.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The plugins directory it watches.
    pub plugins: tempfile::TempDir,
    /// The directory of the watched config file, when there is one.
    pub config_dir: Option<tempfile::TempDir>,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// The decision log's data directory, when the config does not name one.
    pub data: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// Starts a server with `config_toml` (without `plugins_dir`/`listen`,
    /// which are set here) and the named example plugins installed.
    pub async fn start(config_toml: &str, plugins: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        for p in plugins {
            std::fs::copy(example_plugin(p), dir.path().join(format!("{p}.wasm"))).unwrap();
        }
        TestServer::start_in(config_toml, dir).await
    }

    /// Starts a server on an already prepared plugins directory.
    pub async fn start_in(config_toml: &str, dir: tempfile::TempDir) -> TestServer {
        let mut config = Config::parse(config_toml).expect("test config parses");
        config.plugins_dir = dir.path().to_owned();
        config.cache_dir = Some(test_cache_dir());
        TestServer::launch(LiveConfig::fixed(config), dir, None).await
    }

    /// Starts a server whose configuration comes from a watched file,
    /// `config.toml` in its own directory, with `config_toml` as its first
    /// content and the named plugins installed.
    pub async fn start_with_config_file(config_toml: &str, plugins: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        for p in plugins {
            std::fs::copy(example_plugin(p), dir.path().join(format!("{p}.wasm"))).unwrap();
        }
        TestServer::start_with_config_file_in(config_toml, dir).await
    }

    /// [`TestServer::start_with_config_file`] on an already prepared
    /// plugins directory.
    pub async fn start_with_config_file_in(
        config_toml: &str,
        dir: tempfile::TempDir,
    ) -> TestServer {
        let config_dir = tempfile::tempdir().unwrap();
        let path = config_dir.path().join("config.toml");
        let cache = format!("cache_dir = {:?}\n", test_cache_dir().display().to_string());
        std::fs::write(&path, cache + config_toml).unwrap();
        let overrides = Overrides {
            listen: None,
            plugins_dir: Some(dir.path().to_owned()),
        };
        let live = LiveConfig::from_file(&path, overrides).expect("test config file loads");
        TestServer::launch(live, dir, Some(config_dir)).await
    }

    /// [`TestServer::start_with_config_file_in`] with the config file in a
    /// prepared directory (holding the token or secret files it names).
    pub async fn start_with_config_file_in_dir(
        config_toml: &str,
        dir: tempfile::TempDir,
        config_dir: tempfile::TempDir,
    ) -> TestServer {
        let server =
            TestServer::start_unready_with_config_file_in_dir(config_toml, dir, config_dir).await;
        server.wait_ready().await;
        server
    }

    /// [`TestServer::start_with_config_file_in_dir`] without waiting for
    /// readiness over plain HTTP (a server with `[tls]` answers HTTPS only).
    pub async fn start_unready_with_config_file_in_dir(
        config_toml: &str,
        dir: tempfile::TempDir,
        config_dir: tempfile::TempDir,
    ) -> TestServer {
        let path = config_dir.path().join("config.toml");
        let cache = format!("cache_dir = {:?}\n", test_cache_dir().display().to_string());
        std::fs::write(&path, cache + config_toml).unwrap();
        let overrides = Overrides {
            listen: None,
            plugins_dir: Some(dir.path().to_owned()),
        };
        let live = LiveConfig::from_file(&path, overrides).expect("test config file loads");
        TestServer::launch_unready(live, dir, Some(config_dir)).await
    }

    /// Replaces the watched config file the way editors save (a temporary
    /// file renamed over it), keeping the test's compiled-plugin cache.
    pub fn rewrite_config(&self, config_toml: &str) {
        let path = self.config_path();
        let tmp = path.with_file_name(".config.toml.swp");
        let cache = format!("cache_dir = {:?}\n", test_cache_dir().display().to_string());
        std::fs::write(&tmp, cache + config_toml).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }

    async fn launch(
        live: LiveConfig,
        dir: tempfile::TempDir,
        config_dir: Option<tempfile::TempDir>,
    ) -> TestServer {
        let server = TestServer::launch_unready(live, dir, config_dir).await;
        server.wait_ready().await;
        server
    }

    /// Starts a server on a prepared plugins directory and returns at once,
    /// while its plugins may still be loading.
    pub async fn start_unready(config_toml: &str, dir: tempfile::TempDir) -> TestServer {
        let mut config = Config::parse(config_toml).expect("test config parses");
        config.plugins_dir = dir.path().to_owned();
        config.cache_dir = Some(test_cache_dir());
        TestServer::launch_unready(LiveConfig::fixed(config), dir, None).await
    }

    async fn launch_unready(
        live: LiveConfig,
        dir: tempfile::TempDir,
        config_dir: Option<tempfile::TempDir>,
    ) -> TestServer {
        // The log goes to a directory of its own unless the file says
        // where (a path given in the file is relative to the file).
        let data = tempfile::tempdir().unwrap();
        let live = if config_dir.is_none() && live.get().store.data_dir == Path::new("data") {
            let mut config = (*live.get()).clone();
            config.store.data_dir = data.path().to_owned();
            LiveConfig::fixed(config)
        } else {
            live
        };
        // Started the way `escalator serve` starts it: on the runtime.
        let service = Service::start(live).unwrap();
        let (listener, addr) = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(service.serve(listener, async {
            let _ = rx.await;
        }));
        TestServer {
            base: format!("http://{addr}"),
            plugins: dir,
            config_dir,
            client: reqwest::Client::new(),
            data,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// The `host:port` the server listens on.
    pub fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// Asks the server to shut down (as SIGTERM does) and waits for it to
    /// stop, at most `within`; true if it stopped.
    pub async fn shut_down(mut self, within: Duration) -> bool {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let task = self.task.take().unwrap();
        matches!(tokio::time::timeout(within, task).await, Ok(Ok(Ok(()))))
    }

    /// Polls `/readyz` until the first plugin set is live (a cold compile
    /// of the Python example on a loaded machine takes minutes).
    pub async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(900);
        loop {
            let r = self
                .client
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                .unwrap();
            if r.status() == 200 {
                return;
            }
            assert!(Instant::now() < deadline, "the server never became ready");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The path of plugin file `name`.wasm in the watched directory.
    pub fn plugin_path(&self, name: &str) -> PathBuf {
        self.plugins.path().join(format!("{name}.wasm"))
    }

    /// POSTs a conversation and returns status and JSON body.
    pub async fn decide_raw(&self, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}/v1/decide", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    /// POSTs a conversation that must be decided; returns the decision.
    pub async fn decide(&self, body: &Value) -> Value {
        let (status, decision) = self.decide_raw(body).await;
        assert_eq!(status, 200, "decide failed: {decision}");
        decision
    }

    /// GETs a path and returns status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    /// POSTs a JSON body to a path and returns status and JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    /// The body of `GET /v1/plugins`.
    pub async fn plugins(&self) -> Value {
        self.get("/v1/plugins").await.1
    }

    /// The status entry of plugin `name`.
    pub async fn plugin_status(&self, name: &str) -> Option<Value> {
        self.plugins().await["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
    }

    /// Polls until the plugin set generation exceeds `after`; returns it.
    pub async fn wait_generation_after(&self, after: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let g = self.plugins().await["generation"].as_u64().unwrap();
            if g > after {
                return g;
            }
            assert!(Instant::now() < deadline, "generation stayed at {g}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The path of the watched config file.
    pub fn config_path(&self) -> PathBuf {
        self.config_dir
            .as_ref()
            .expect("started with a config file")
            .path()
            .join("config.toml")
    }

    /// The body of `GET /v1/config`.
    pub async fn config(&self) -> Value {
        self.get("/v1/config").await.1
    }

    /// Polls until `check` holds for the status of plugin `name` (or its
    /// absence), and returns that status.
    pub async fn wait_plugin(
        &self,
        name: &str,
        check: impl Fn(Option<&Value>) -> bool,
    ) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = self.plugin_status(name).await;
            if check(status.as_ref()) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "plugin {name} never reached the expected state: {status:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The current plugin set generation.
    pub async fn generation(&self) -> u64 {
        self.plugins().await["generation"].as_u64().unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A conversation: `messages` as (role, text, confidence) with timestamps
/// 30 s apart from 2026-01-01T00:00:00Z, decided at the last message.
pub fn conversation(messages: &[(&str, &str, Option<f64>)]) -> Value {
    let msgs: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, (role, text, confidence))| {
            let mut m = json!({
                "role": role,
                "text": text,
                "at": format!("2026-01-01T00:{:02}:{:02}Z", (i * 30) / 60, (i * 30) % 60),
            });
            if let Some(c) = confidence {
                m["ai"] = json!({ "confidence": c, "outcome": "answered" });
            }
            m
        })
        .collect();
    json!({
        "conversation_id": "test-conv",
        "channel": "chat",
        "now": "2026-01-01T00:03:00Z",
        "messages": msgs,
    })
}

/// The vote of `source` in a decision.
pub fn vote<'a>(decision: &'a Value, source: &str) -> &'a Value {
    decision["votes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["source"] == source)
        .unwrap_or_else(|| panic!("no vote from {source} in {decision}"))
}

/// The sources of a decision's plugin votes, in order.
pub fn plugin_sources(decision: &Value) -> Vec<String> {
    decision["votes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["source"].as_str())
        .filter(|s| s.starts_with("plugin:"))
        .map(str::to_owned)
        .collect()
}

/// Replaces `dest` atomically with the contents of `src`, the way editors
/// and deploy tools do (write a temporary file, rename it over).
pub fn replace_atomically(src: &Path, dest: &Path) {
    let tmp = dest.with_file_name(format!(
        ".{}.tmp",
        dest.file_name().unwrap().to_string_lossy()
    ));
    std::fs::copy(src, &tmp).unwrap();
    std::fs::rename(&tmp, dest).unwrap();
}

/// Polls `check` every 50 ms until it holds; panics after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
