//! Interpreter-based plugins (the Python example): start-up with a cold and
//! a warm compiled-artifact cache, and the instance strategies — a fresh
//! instance per decision against reused instances.
//!
//!     cargo bench -p escalator --bench interpreted [-- ROUNDS]

mod common;

use std::process::Command;
use std::time::Instant;

use escalator::config::live::LiveConfig;
use escalator::config::{BreakerConfig, Config};
use escalator::decision::input::Conversation;
use escalator::decision::signals::Signals;
use escalator::plugin::to_wit_input;
use escalator::server::Service;

fn main() {
    let rounds: usize = common::arg(300);
    let root = common::root();
    let built = root.join("target/bench-plugins/interpreted");
    let status = Command::new(root.join("scripts/build-interpreted-plugins"))
        .arg(&built)
        .env("CARGO_TARGET_DIR", root.join("target/bench-plugins"))
        .status()
        .unwrap();
    assert!(status.success());
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(
        built.join("billing-dispute.wasm"),
        plugins.path().join("billing-dispute.wasm"),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();

    println!("start-up with the Python plugin (18 MB component):");
    for label in ["cold cache", "warm cache"] {
        let config = Config {
            plugins_dir: plugins.path().to_owned(),
            cache_dir: Some(cache.path().to_owned()),
            store: common::no_store(),
            ..Config::default()
        };
        let start = Instant::now();
        let service = Service::start(LiveConfig::fixed(config)).unwrap();
        service.state.registry.wait_ready();
        let elapsed = start.elapsed();
        assert_eq!(service.state.registry.current().active.len(), 1);
        println!("  {label}: {:>8.1} ms", elapsed.as_secs_f64() * 1e3);
    }

    let conv = Conversation::from_json(
        br#"{"conversation_id":"b","topic":{"category":"billing"},
            "messages":[{"role":"customer","text":"I was charged twice, $250 each time","at":"2026-01-01T10:00:00Z"}]}"#,
        chrono::Utc::now(),
    )
    .unwrap();
    println!("one evaluation of the Python plugin, {rounds} rounds:");
    for (label, section) in [
        ("fresh instance per decision", ""),
        (
            "reused instances",
            "[plugins.billing-dispute]\ninstances = \"reuse\"\n",
        ),
    ] {
        let mut config = Config::parse(section).unwrap();
        config.plugins_dir = plugins.path().to_owned();
        config.cache_dir = Some(cache.path().to_owned());
        config.store = common::no_store();
        let service = Service::start(LiveConfig::fixed(config)).unwrap();
        service.state.registry.wait_ready();
        let set = service.state.registry.current();
        let runtime = service.state.registry.runtime().clone();
        let plugin = &set.active[0];
        let mut input = to_wit_input(&conv, &Signals::compute(&conv));
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            let vote = plugin.evaluate(
                &runtime,
                &mut input,
                &BreakerConfig::default(),
                escalator::plugin::alone(),
                &escalator::plugin::Entropy::of("bench", conv.now),
            );
            times.push(start.elapsed().as_secs_f64() * 1e3);
            assert!(vote.error.is_none(), "{:?}", vote.error);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  {label:<28} p50 {:>7.3} ms   p99 {:>7.3} ms",
            common::pct(&times, 0.5),
            common::pct(&times, 0.99)
        );
    }
}
