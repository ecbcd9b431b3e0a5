//! Helpers shared by the benchmarks: building plugins, a representative
//! conversation.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Builds the Rust example plugins (release, wasm32-wasip2) and returns the
/// directory holding them.
pub fn rust_plugins() -> PathBuf {
    build_plugins(&[])
}

/// Builds the Rust plugin crates under `crates` (paths from the repository
/// root; none means the examples) into one directory, which it returns.
pub fn build_plugins(crates: &[&str]) -> PathBuf {
    let root = root();
    let target = root.join("target/bench-plugins");
    let out = target.join("out");
    let status = Command::new(root.join("scripts/build-plugins"))
        .arg(&out)
        .args(crates.iter().map(|c| root.join(c)))
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("run scripts/build-plugins");
    assert!(status.success());
    out
}

/// The three Rust examples.
pub const EXAMPLES: [&str; 3] = ["topic-guard", "vip-accounts", "loop-detector"];

/// The name [`install`] gives its `i`-th plugin: `p00-topic-guard`, …
pub fn installed_name(i: usize) -> String {
    format!("p{i:02}-{}", EXAMPLES[i % EXAMPLES.len()])
}

/// Fills `dir` with `n` plugins, cycling through the Rust examples under
/// distinct names (see [`installed_name`]).
pub fn install(built: &Path, dir: &Path, n: usize) {
    for i in 0..n {
        let name = EXAMPLES[i % EXAMPLES.len()];
        std::fs::copy(
            built.join(format!("{name}.wasm")),
            dir.join(format!("{}.wasm", installed_name(i))),
        )
        .unwrap();
    }
}

/// Gives each of the `n` installed copies its own configuration section,
/// so copies of one example load as deliberate second instances rather than
/// being refused as duplicates of the first (the registry refuses a plugin
/// that would vote twice under the same configuration).
pub fn as_instances(config: &mut escalator::config::Config, n: usize) {
    for i in 0..n {
        let name = installed_name(i);
        let mut plugin = config.plugin(&name);
        plugin.reuse_calls = escalator::config::DEFAULT_REUSE_CALLS + i as u32;
        config.plugins.insert(name, plugin);
    }
}

/// A representative request: a customer, a topic, six messages, AI turns
/// with confidence; nothing escalates, so every trigger and plugin does its
/// full work.
pub const CONVERSATION: &str = r#"{
  "conversation_id": "bench-1", "channel": "chat", "now": "2026-03-02T14:03:00Z",
  "customer": { "id": "c-42", "tier": "pro", "account_rank": 4200, "language": "en-GB",
                "timezone": "Europe/London", "attributes": { "plan": "annual" } },
  "topic": { "category": "orders", "subcategory": "tracking" },
  "messages": [
    { "role": "customer", "text": "Hi, my parcel was due yesterday and has not arrived", "at": "2026-03-02T14:00:00Z" },
    { "role": "ai", "text": "Sorry about that! Let me check the courier for you.", "at": "2026-03-02T14:00:05Z",
      "ai": { "confidence": 0.91, "intent": "order-status", "outcome": "answered" } },
    { "role": "customer", "text": "It is order 5521, shipped last week", "at": "2026-03-02T14:01:00Z" },
    { "role": "ai", "text": "Thanks. The courier shows it out for delivery today.", "at": "2026-03-02T14:01:06Z",
      "ai": { "confidence": 0.88, "intent": "order-status", "outcome": "answered" } },
    { "role": "customer", "text": "Great, what time window should I expect?", "at": "2026-03-02T14:02:00Z" },
    { "role": "ai", "text": "Between 2pm and 6pm.", "at": "2026-03-02T14:02:04Z",
      "ai": { "confidence": 0.84, "intent": "order-status", "outcome": "answered" } }
  ]
}"#;

/// The first command-line argument that parses as `T`, else `default`.
pub fn arg<T: std::str::FromStr>(default: T) -> T {
    std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(default)
}

/// The value at fraction `p` (0-1) of sorted samples.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A plugins directory with 10 Rust plugins, and a config using it (no
/// compiled cache, so every run measures the same work; no decision log,
/// which the `store` bench measures on its own).
pub fn ten_plugins() -> (tempfile::TempDir, escalator::config::Config) {
    let built = rust_plugins();
    let dir = tempfile::tempdir().unwrap();
    install(&built, dir.path(), 10);
    let mut config = escalator::config::Config {
        plugins_dir: dir.path().to_owned(),
        cache_dir: None,
        store: no_store(),
        ..escalator::config::Config::default()
    };
    as_instances(&mut config, 10);
    (dir, config)
}

/// A `[store]` section that turns the decision log off.
pub fn no_store() -> escalator::config::StoreConfig {
    escalator::config::StoreConfig {
        enabled: false,
        ..Default::default()
    }
}

/// Builds the interpreted examples (Python, JavaScript) and returns the
/// directory holding `billing-dispute.wasm` and `business-hours.wasm`.
pub fn interpreted_plugins() -> PathBuf {
    let root = root();
    let built = root.join("target/bench-plugins/interpreted");
    let status = Command::new(root.join("scripts/build-interpreted-plugins"))
        .arg(&built)
        .env("CARGO_TARGET_DIR", root.join("target/bench-plugins"))
        .status()
        .expect("run scripts/build-interpreted-plugins");
    assert!(status.success());
    built
}
