//! Replay throughput: decisions (and conversations) re-decided per second,
//! on one thread and on every core, with the built-in triggers alone, with
//! the three Rust examples, and with all five examples (Python and
//! JavaScript too); CPU-seconds from the process's own accounting.
//!
//! The log is filled first: the labelled corpus's conversations (en, pt,
//! es), each replicated under new ids until there are N, decided by the same
//! rules and written to a SQLite store as the server writes them. Every run
//! must reproduce the log exactly (no flips), or it fails.
//!
//!     cargo bench -p escalator --bench replay [-- N]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use escalator::config::Config;
use escalator::decide::decide;
use escalator::decision::input::Conversation;
use escalator::plugin::Runtime;
use escalator::replay::report::{Options, compare};
use escalator::replay::run::{Rules, Workers};
use escalator::replay::session::{Progress, Selection, from_store};
use escalator::store::mask::Mask;
use escalator::store::{Db, Entry, Row};

/// The corpus's conversations, as requests.
fn corpus() -> Vec<serde_json::Value> {
    let dir = common::root().join("corpus/tune");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let item: serde_json::Value = serde_json::from_str(line).unwrap();
            out.push(item["conversation"].clone());
        }
    }
    out
}

/// CPU-seconds this process has used, user and system.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// Fills `db` with `n` decisions made by `rules`.
async fn fill(db: &Db, rules: &Rules, n: usize, corpus: &[serde_json::Value]) {
    let mask = Mask::default();
    let mut batch = Vec::new();
    for i in 0..n {
        let mut body = corpus[i % corpus.len()].clone();
        body["conversation_id"] =
            format!("{}-{i}", body["conversation_id"].as_str().unwrap()).into();
        let conv =
            Conversation::from_json(body.to_string().as_bytes(), chrono::Utc::now()).unwrap();
        let decision = decide(&conv, &rules.config, &rules.set, &rules.runtime, false);
        batch.push(Row::build(
            Entry {
                decision,
                request: conv,
                config_version: 1,
                config_sha256: None,
                recorded_at: chrono::Utc::now(),
            },
            &mask,
        ));
        if batch.len() == 1000 {
            db.insert_decisions(&batch).await.unwrap();
            batch.clear();
        }
    }
    db.insert_decisions(&batch).await.unwrap();
}

async fn measure(label: &str, plugins: Option<&Path>, n: usize, corpus: &[serde_json::Value]) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&format!("sqlite://{}", dir.path().join("log.db").display()))
        .await
        .unwrap();
    let runtime = Runtime::new(Some(dir.path().join("cache"))).unwrap();
    let rules = Rules::load(&Config::default(), plugins.map(Path::to_owned), runtime).unwrap();
    assert!(rules.warnings().is_empty(), "{:?}", rules.warnings());
    let start = Instant::now();
    fill(&db, &rules, n, corpus).await;
    println!(
        "{label}: {n} decisions logged in {:.1} s ({} plugins)",
        start.elapsed().as_secs_f64(),
        rules.set.active.len()
    );
    let cores = Workers::all_cores().threads;
    for threads in [1, cores] {
        let workers = Workers {
            threads,
            yield_to_serving: false,
        };
        let progress = Arc::new(Progress::default());
        let (cpu, start) = (cpu_seconds(), Instant::now());
        let replayed = from_store(&db, &Selection::default(), &rules, workers, &progress)
            .await
            .unwrap();
        let wall = start.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu;
        let report = compare(&replayed.cases, &replayed.skipped, &Options { sample: 0 });
        assert_eq!(report.decisions, n as u64);
        assert_eq!(report.flips.count, 0, "the log was not reproduced");
        assert_eq!(
            report.reproduced.votes_identical,
            report.reproduced.votes_total
        );
        println!(
            "  {threads} thread(s): {:.1} s wall, {:.1} CPU-s: {:.0} decisions/s, \
             {:.0} conversations/s, {:.2} CPU-ms per decision",
            wall,
            cpu,
            n as f64 / wall,
            report.conversations as f64 / wall,
            cpu * 1000.0 / n as f64,
        );
    }
    db.close().await;
}

fn main() {
    let n: usize = common::arg(3000);
    let corpus = corpus();
    let rust = common::rust_plugins();
    let all = tempfile::tempdir().unwrap();
    common::copy_plugins(&rust, &common::EXAMPLES, all.path());
    let rust_only = tempfile::tempdir().unwrap();
    common::copy_plugins(&rust, &common::EXAMPLES, rust_only.path());
    common::copy_plugins(
        &common::interpreted_plugins(),
        &["billing-dispute", "business-hours"],
        all.path(),
    );
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        measure("built-in triggers", None, n, &corpus).await;
        measure("3 Rust examples", Some(rust_only.path()), n, &corpus).await;
        measure("all 5 examples", Some(all.path()), n / 3, &corpus).await;
    });
}
