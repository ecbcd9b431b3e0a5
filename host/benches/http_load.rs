//! HTTP load: `POST /v1/decide` with 10 Rust plugins against the same
//! server's trivial JSON route (`GET /healthz`), on loopback, client and
//! server on the same machine.
//!
//! 1. Throughput, closed loop: CONCURRENCY clients send back to back for
//!    SECONDS per route.
//! 2. Latency at a fixed moderate rate (open loop): requests are sent on a
//!    schedule whether or not earlier ones are done; p50/p99.
//!
//!     cargo bench -p escalator --bench http_load [-- SECONDS] [reuse]

mod common;

use std::time::{Duration, Instant};

const CONCURRENCY: usize = 16;
/// The fixed rate of the latency run, requests per second.
const RATE: u64 = 200;

async fn closed_loop(
    client: &reqwest::Client,
    decide: bool,
    url: &str,
    body: &serde_json::Value,
    secs: u64,
) -> f64 {
    let (client, url, body) = (client.clone(), url.to_owned(), body.clone());
    common::closed_loop(CONCURRENCY, secs, move |_, _| {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        async move {
            let r = if decide {
                client.post(&url).json(&body).send().await
            } else {
                client.get(&url).send().await
            };
            assert!(r.unwrap().bytes().await.is_ok());
        }
    })
    .await
}

async fn fixed_rate(
    client: &reqwest::Client,
    decide: bool,
    url: &str,
    body: &serde_json::Value,
    secs: u64,
) -> Vec<f64> {
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::new();
    for _ in 0..RATE * secs {
        ticker.tick().await;
        let (client, url, body) = (client.clone(), url.to_owned(), body.clone());
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            let r = if decide {
                client.post(&url).json(&body).send().await.unwrap()
            } else {
                client.get(&url).send().await.unwrap()
            };
            assert!(r.status().is_success());
            r.bytes().await.unwrap();
            start.elapsed().as_secs_f64() * 1e3
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.push(t.await.unwrap());
    }
    latencies.sort_by(f64::total_cmp);
    latencies
}

fn main() {
    let secs: u64 = common::arg(10);
    let (_dir, mut config) = common::ten_plugins();
    // `reuse`: every plugin keeps warm instances (`instances = "reuse"`)
    // instead of a fresh one per decision.
    let reuse = std::env::args().any(|a| a == "reuse");
    if reuse {
        for i in 0..10 {
            let plugin = config.plugins.entry(common::installed_name(i)).or_default();
            plugin.instances = escalator::config::InstanceStrategy::Reuse;
        }
    }

    // Kept to the end: dropping the runtime stops the server.
    let (_server_rt, addr) = common::serve(config, 10);

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("load-generator")
        .enable_all()
        .build()
        .unwrap();
    client_rt.block_on(async {
        let client = reqwest::Client::new();
        let body: serde_json::Value = serde_json::from_str(common::CONVERSATION).unwrap();
        let decide = format!("http://{addr}/v1/decide");
        let trivial = format!("http://{addr}/healthz");
        // Warm up connections and allocator pools.
        closed_loop(&client, true, &decide, &body, 1).await;

        let decide_rps = closed_loop(&client, true, &decide, &body, secs).await;
        let trivial_rps = closed_loop(&client, false, &trivial, &body, secs).await;
        println!("throughput, {CONCURRENCY} concurrent clients, {secs} s each:");
        let mode = if reuse { "reused" } else { "fresh" };
        println!("  POST /v1/decide (10 wasm plugins, {mode} instances): {decide_rps:>9.0} req/s");
        println!("  GET  /healthz (trivial JSON):      {trivial_rps:>9.0} req/s");
        println!(
            "  ratio decide/trivial:              {:>9.1} %",
            decide_rps / trivial_rps * 100.0
        );

        for (route, url, is_decide) in [
            ("POST /v1/decide", &decide, true),
            ("GET /healthz", &trivial, false),
        ] {
            let lat = fixed_rate(&client, is_decide, url, &body, secs).await;
            println!(
                "latency of {route} at a fixed {RATE} req/s for {secs} s ({} requests):",
                lat.len()
            );
            println!(
                "  p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
                common::pct(&lat, 0.5),
                common::pct(&lat, 0.9),
                common::pct(&lat, 0.99),
                lat[lat.len() - 1]
            );
        }
    });
}
