//! The server's memory does not grow across a thousand hostile decisions.
//! Alone in its test binary, so no other test's allocations blur the reading
//! (the server runs in this process).

use escalator_integration_tests::{TestServer, conversation, plugin_sources};

/// Resident set size of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_stays_flat_across_a_thousand_hostile_decisions() {
    let server = TestServer::start(
        "[breaker]\nfailures = 1000000\n\
         [plugins.misbehave]\nlimits = { fuel = 50_000_000, memory_mib = 16 }\n",
        &["misbehave", "topic-guard", "vip-accounts"],
    )
    .await;
    let behaviours = [
        "panic",
        "alloc",
        "huge-reason",
        "loop",
        "log-flood",
        "recurse",
        "snoop",
        "error",
        "hello",
    ];
    let run = |n: usize| {
        let server = &server;
        async move {
            for i in 0..n {
                let b = behaviours[i % behaviours.len()];
                let d = server.decide(&conversation(&[("customer", b, None)])).await;
                let plugin_votes = plugin_sources(&d).len();
                assert_eq!(plugin_votes, 3, "{b}: {d}");
            }
        }
    };
    // Warm up: allocator pools, lazily built tables, the HTTP client.
    run(200).await;
    let before = rss_kib();
    run(1000).await;
    let after = rss_kib();
    let growth = after.saturating_sub(before);
    eprintln!(
        "resident: {before} KiB before, {after} KiB after 1000 hostile decisions (+{growth} KiB)"
    );
    // Each hostile call may touch up to 16 MiB of guest memory and 10 MiB of
    // host strings; a leak of any of that per call would add gigabytes.
    assert!(growth < 32 * 1024, "resident memory grew by {growth} KiB");
}
