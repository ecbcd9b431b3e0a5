//! Reload latency: time from a plugin file landing in the watched directory
//! (written to a temporary name and renamed over, as deploy tools do) to the
//! new version serving, measured against the real watcher and registry.
//!
//! Two cases: a version the registry compiled before (a flip back after a bad
//! deploy; the compiled-component cache skips Cranelift), and a never-seen
//! version (a unique custom section makes each file new, so it compiles).
//!
//!     cargo bench -p escalator --bench reload_latency [-- ROUNDS]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use escalator::config::Config;
use escalator::config::live::LiveConfig;
use escalator::plugin::{Registry, Runtime};

/// Appends a component-level custom section, which changes the file's hash
/// without changing what it does.
fn with_custom_section(bytes: &[u8], tag: u64) -> Vec<u8> {
    let name = b"bench";
    let payload = tag.to_le_bytes();
    let size = 1 + name.len() + payload.len();
    let mut out = bytes.to_vec();
    out.push(0); // custom section id
    out.push(size as u8); // LEB128, < 128
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(&payload);
    out
}

fn measure(
    registry: &Registry,
    dir: &Path,
    rounds: usize,
    mut content: impl FnMut(usize) -> Vec<u8>,
) -> Vec<f64> {
    let path = dir.join("rule.wasm");
    let tmp = dir.join(".rule.wasm.tmp");
    let mut samples = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let bytes = content(i);
        let before = registry.current().generation;
        std::fs::write(&tmp, &bytes).unwrap();
        let start = Instant::now();
        std::fs::rename(&tmp, &path).unwrap();
        while registry.current().generation == before {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "reload never happened"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
        // Let every trailing event of this round be delivered and handled,
        // so that a late reload cannot pick up the next round's file early.
        std::thread::sleep(Duration::from_millis(500));
    }
    samples.sort_by(f64::total_cmp);
    samples
}

fn report(label: &str, samples: &[f64]) {
    println!(
        "{label:<28} n={:<3} p50={:>7.1} ms  p95={:>7.1} ms  max={:>7.1} ms",
        samples.len(),
        common::pct(samples, 0.5),
        common::pct(samples, 0.95),
        samples[samples.len() - 1]
    );
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let rounds: usize = common::arg(40);
    let fixtures = common::build_plugins(&["tests/plugins/flip-a", "tests/plugins/flip-b"]);
    let versions = [
        std::fs::read(fixtures.join("flip-a.wasm")).unwrap(),
        std::fs::read(fixtures.join("flip-b.wasm")).unwrap(),
    ];

    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        plugins_dir: dir.path().to_owned(),
        ..Config::default()
    };
    let live = Arc::new(LiveConfig::fixed(config.clone()));
    let registry = Arc::new(Registry::new(Runtime::new(None).unwrap()));
    registry.reload_until_settled(&config);
    let _watch = escalator::server::watch::start(
        live,
        registry.clone(),
        escalator::audit::Audit::log_only(),
    )
    .unwrap();

    println!("reload latency, file rename to new generation live ({rounds} rounds each)");
    let cached = measure(&registry, dir.path(), rounds, |i| versions[i % 2].clone());
    report("known version (cached)", &cached);
    let fresh = measure(&registry, dir.path(), rounds, |i| {
        with_custom_section(&versions[i % 2], i as u64 + 1)
    });
    report("new version (compiles)", &fresh);
    println!(
        "(the watcher debounces events for {} ms)",
        escalator::server::watch::DEBOUNCE.as_millis()
    );
}
