//! Resident memory with 10 Rust plugins loaded, and after N decisions
//! (default 1 000 000), run on every core. Every decision's messages are
//! worded anew (a number appended), as in real traffic: the caches of what
//! a message's text decides (`decision::memo`) fill to their bound within
//! the first tens of thousands of decisions and must stay there.
//!
//!     cargo bench -p escalator --bench memory [-- DECISIONS]

mod common;

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use escalator::config::live::LiveConfig;
use escalator::decide::decide;
use escalator::decision::input::Conversation;
use escalator::server::Service;

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

fn main() {
    let total: u64 = common::arg(1_000_000);
    let (_dir, config) = common::ten_plugins();
    let before = rss_mib();
    let service = Service::start(LiveConfig::fixed(config.clone())).unwrap();
    service.state.registry.wait_ready();
    let set = service.state.registry.current();
    let runtime = service.state.registry.runtime().clone();
    assert_eq!(set.active.len(), 10);
    let conv =
        Conversation::from_json(common::CONVERSATION.as_bytes(), chrono::Utc::now()).unwrap();
    // One decision, so lazily built tables exist before the first reading.
    decide(&conv, &config, &set, &runtime, false);
    let loaded = rss_mib();
    println!("resident: {before:.1} MiB before start-up, {loaded:.1} MiB with 10 plugins loaded");

    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut checkpoints = Vec::new();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (done, conv, config, set, runtime) =
                (done.clone(), conv.clone(), &config, &set, &runtime);
            s.spawn(move || {
                let mut conv = conv;
                let texts: Vec<String> = conv.messages.iter().map(|m| m.text.clone()).collect();
                loop {
                    let n = done.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    for (m, text) in conv.messages.iter_mut().zip(&texts) {
                        m.text.clear();
                        write!(m.text, "{text} ({n})").unwrap();
                    }
                    decide(&conv, config, set, runtime, false);
                }
            });
        }
        let mut next = total / 4;
        while done.load(Ordering::Relaxed) < total {
            std::thread::sleep(std::time::Duration::from_millis(200));
            if done.load(Ordering::Relaxed) >= next {
                checkpoints.push((next, rss_mib()));
                next += total / 4;
            }
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    for (n, rss) in checkpoints {
        println!("  after {n:>9} decisions: {rss:.1} MiB");
    }
    println!(
        "{total} decisions in {elapsed:.0} s ({:.0}/s on {threads} threads); resident now {:.1} MiB",
        total as f64 / elapsed,
        rss_mib()
    );
}
