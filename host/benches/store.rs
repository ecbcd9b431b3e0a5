//! The decision log's cost and capacity, one run, four measures:
//!
//! 1. Decide throughput over HTTP with the log on (SQLite) and off, closed
//!    loop, built-in triggers only (so recording's share is the largest it
//!    can be), alternating off/on/off/on.
//! 2. Sustained write capacity of each backend: records/s committed in
//!    batches of 1000, rows as the writer builds them.
//! 3. Spool catch-up: a server under a steady load loses its PostgreSQL for
//!    OUTAGE seconds; how long until the spool is empty after it returns.
//! 4. Store size per decision, with and without message texts, scaled to
//!    one million.
//!
//!     cargo bench -p escalator --bench store [-- OUTAGE_SECONDS]

mod common;
#[path = "../../tests/common/postgres.rs"]
mod postgres;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use escalator::config::live::LiveConfig;
use escalator::config::{Config, StoreConfig};
use escalator::server::{Service, bind};
use escalator::store::mask::Mask;
use escalator::store::{Db, Entry, Row};

const CONCURRENCY: usize = 16;
const SECS: u64 = 8;

async fn serve(config: Config) -> String {
    let service = Service::start(LiveConfig::fixed(config)).unwrap();
    service.state.registry.wait_ready();
    let (listener, addr) = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    tokio::spawn(service.serve(listener, std::future::pending()));
    format!("http://{addr}")
}

/// Decisions per second from CONCURRENCY clients for `secs`.
async fn closed_loop(base: &str, secs: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let body: serde_json::Value = serde_json::from_str(common::CONVERSATION).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (done, stop, body) = (done.clone(), stop.clone(), body.clone());
        let url = format!("{base}/v1/decide");
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            while !stop.load(Ordering::Relaxed) {
                let r = client.post(&url).json(&body).send().await.unwrap();
                assert!(r.status().is_success());
                r.bytes().await.unwrap();
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let rate = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    for t in tasks {
        t.await.unwrap();
    }
    rate
}

fn config(store: StoreConfig, plugins: &std::path::Path) -> Config {
    Config {
        plugins_dir: plugins.to_owned(),
        cache_dir: None,
        store,
        ..Config::default()
    }
}

/// `n` rows of the representative conversation, decided for real, with
/// unique ids; masked by `mask`.
fn rows(n: usize, mask: &Mask) -> Vec<Row> {
    let conversation = escalator::decision::input::Conversation::from_json(
        common::CONVERSATION.as_bytes(),
        chrono::Utc::now(),
    )
    .unwrap();
    let registry = escalator::plugin::Registry::new(escalator::plugin::Runtime::new(None).unwrap());
    let set = registry.current();
    let decision = escalator::decide::decide(
        &conversation,
        &Config::default(),
        &set,
        registry.runtime(),
        false,
    );
    (0..n)
        .map(|i| {
            let mut d = decision.clone();
            d.decision_id = format!("{}-{i:09}", &decision.decision_id[..23]);
            Row::build(
                Entry {
                    decision: d,
                    request: conversation.clone(),
                    config_version: 1,
                    config_sha256: Some("0".repeat(64)),
                    recorded_at: chrono::Utc::now(),
                },
                mask,
            )
        })
        .collect()
}

async fn write_capacity(db: &Db, rows: &[Row]) -> f64 {
    let start = Instant::now();
    for batch in rows.chunks(1000) {
        db.insert_decisions(batch).await.unwrap();
    }
    rows.len() as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let outage: u64 = common::arg(60);
    let pg = postgres::Postgres::start();
    let plugins = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // 1. Log on vs off.
        let data = tempfile::tempdir().unwrap();
        let off = serve(config(common::no_store(), plugins.path())).await;
        let on = serve(config(
            StoreConfig {
                data_dir: data.path().to_owned(),
                ..StoreConfig::default()
            },
            plugins.path(),
        ))
        .await;
        closed_loop(&off, 1).await;
        closed_loop(&on, 1).await;
        let (mut r_off, mut r_on) = (0.0, 0.0);
        for _ in 0..2 {
            r_off += closed_loop(&off, SECS).await / 2.0;
            r_on += closed_loop(&on, SECS).await / 2.0;
        }
        println!("decide throughput, {CONCURRENCY} clients, built-ins only, 2 x {SECS} s each:");
        println!("  log off: {r_off:>8.0} req/s");
        println!("  log on:  {r_on:>8.0} req/s   (SQLite)");
        println!("  ratio on/off: {:.3}", r_on / r_off);

        // 2. Write capacity.
        let all = rows(50_000, &Mask::default());
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Db::open(&format!("sqlite://{}", dir.path().join("w.db").display()))
            .await
            .unwrap();
        let pg_url = pg.new_database();
        let postgres = Db::open(&pg_url).await.unwrap();
        println!("sustained write capacity, {} records in batches of 1000:", all.len());
        println!("  SQLite:     {:>8.0} records/s", write_capacity(&sqlite, &all).await);
        println!("  PostgreSQL: {:>8.0} records/s", write_capacity(&postgres, &all.iter().cloned().map(|mut r| { r.decision_id.push('p'); r }).collect::<Vec<_>>()).await);

        // 4. Size per decision, with and without texts.
        let masked = Mask::new(&escalator::config::store::MaskConfig {
            erase: vec!["request.messages.text".into(), "context.summary".into(), "context.ai_attempts".into()],
            ..Default::default()
        })
        .unwrap();
        let bare = rows(20_000, &masked);
        for (label, rows) in [("with texts", &all[..20_000]), ("texts erased", &bare[..])] {
            let dir = tempfile::tempdir().unwrap();
            let sqlite = Db::open(&format!("sqlite://{}", dir.path().join("s.db").display()))
                .await
                .unwrap();
            let postgres = Db::open(&pg.new_database()).await.unwrap();
            let empty = postgres.size_bytes().await.unwrap();
            for batch in rows.chunks(1000) {
                sqlite.insert_decisions(batch).await.unwrap();
                postgres.insert_decisions(batch).await.unwrap();
            }
            let json: usize = rows.iter().map(|r| r.record.len()).sum::<usize>() / rows.len();
            for (backend, bytes) in [
                ("SQLite", sqlite.size_bytes().await.unwrap()),
                ("PostgreSQL", postgres.size_bytes().await.unwrap() - empty),
            ] {
                let per = bytes as f64 / rows.len() as f64;
                println!(
                    "  {backend} size {label} (record JSON {json} bytes): {per:.0} bytes/decision = {:.1} GiB per million",
                    per * 1e6 / (1u64 << 30) as f64
                );
            }
        }

        // 3. Spool catch-up after an outage under a steady load.
        let data = tempfile::tempdir().unwrap();
        let url = pg.new_database();
        let base = serve(config(
            StoreConfig {
                url: Some(url.clone()),
                data_dir: data.path().to_owned(),
                ..StoreConfig::default()
            },
            plugins.path(),
        ))
        .await;
        let stop = Arc::new(AtomicBool::new(false));
        let rate = 200u64;
        let load = {
            let (stop, base) = (stop.clone(), base.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let body: serde_json::Value = serde_json::from_str(common::CONVERSATION).unwrap();
                let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    let (client, body, url) = (client.clone(), body.clone(), format!("{base}/v1/decide"));
                    tokio::spawn(async move {
                        let r = client.post(url).json(&body).send().await.unwrap();
                        assert!(r.status().is_success());
                    });
                }
            })
        };
        let status = || async {
            reqwest::get(format!("{base}/v1/store")).await.unwrap().json::<serde_json::Value>().await.unwrap()
        };
        tokio::time::sleep(Duration::from_secs(3)).await;
        pg.stop();
        tokio::time::sleep(Duration::from_secs(outage)).await;
        let spooled = status().await["spooled"].as_u64().unwrap();
        pg.resume();
        let back = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if status().await["spooled"] == 0 {
                break;
            }
        }
        let catch_up = back.elapsed();
        stop.store(true, Ordering::Relaxed);
        load.await.unwrap();
        let s = status().await;
        println!("spool catch-up, {rate} decisions/s steady, PostgreSQL down {outage} s:");
        println!("  {spooled} records spooled; drained in {:.1} s after it came back (load still running)", catch_up.as_secs_f64());
        println!("  dropped: {}, written: {}", s["dropped"], s["written"]);
    });
}
