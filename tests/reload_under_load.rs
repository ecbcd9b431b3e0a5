//! A plugin swapped back and forth between two versions by every common save
//! shape, while several clients post decisions: not one request fails, and
//! every decision's votes are those of the generation it names.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use escalator_integration_tests::save::{SaveShape, Saver};
use escalator_integration_tests::{TestServer, conversation, example_plugin, sha256_file};
use tokio::sync::Mutex;

/// Swaps per shape.
const SWAPS: usize = 50;
/// Concurrent clients.
const CLIENTS: usize = 4;

/// What one client saw in one decision.
#[derive(Debug)]
struct Seen {
    status: u16,
    generation: u64,
    /// (sha256, reason) of the `plugin:rule` vote, if there was one.
    rule: Option<(String, String)>,
}

async fn swap_under_load(shape: SaveShape) {
    let server = Arc::new(TestServer::start("", &[]).await);
    let paths = [example_plugin("flip-a"), example_plugin("flip-b")];
    let versions = [
        std::fs::read(&paths[0]).unwrap(),
        std::fs::read(&paths[1]).unwrap(),
    ];
    let shas = [sha256_file(&paths[0]), sha256_file(&paths[1])];
    let reasons = ["variant_a", "variant_b"];

    let mut saver = Saver::new(server.plugins.path());
    if shape == SaveShape::ConfigMap {
        saver.configmap_init("rule.wasm", &versions[0]);
    } else {
        std::fs::write(server.plugins.path().join(".rule.tmp"), &versions[0]).unwrap();
        std::fs::rename(
            server.plugins.path().join(".rule.tmp"),
            server.plugin_path("rule"),
        )
        .unwrap();
    }
    let live = |sha: &str| {
        let sha = sha.to_owned();
        move |s: Option<&serde_json::Value>| {
            s.is_some_and(|s| s["status"] == "active" && s["sha256"] == sha.as_str())
        }
    };
    server.wait_plugin("rule", live(&shas[0])).await;

    // What the test knows to be live in a generation: Some(version) or None.
    let mut expected: BTreeMap<u64, Option<usize>> = BTreeMap::new();
    expected.insert(server.generation().await, Some(0));

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let (server, stop, seen) = (server.clone(), stop.clone(), seen.clone());
        clients.push(tokio::spawn(async move {
            let mut body = conversation(&[("customer", "Where is my parcel?", None)]);
            body["conversation_id"] = format!("load-{i}").into();
            while !stop.load(Ordering::Relaxed) {
                let (status, d) = server.decide_raw(&body).await;
                let rule = d["votes"].as_array().and_then(|votes| {
                    votes
                        .iter()
                        .find(|v| v["source"] == "plugin:rule")
                        .map(|v| {
                            (
                                v["sha256"].as_str().unwrap().to_owned(),
                                v["reason"].as_str().unwrap().to_owned(),
                            )
                        })
                });
                seen.lock().await.push(Seen {
                    status,
                    generation: d["generation"].as_u64().unwrap_or(0),
                    rule,
                });
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }));
    }

    for i in 1..=SWAPS {
        let v = i % 2;
        let gap = tokio::task::block_in_place(|| saver.begin(shape, "rule.wasm", &versions[v]));
        if gap {
            server.wait_plugin("rule", |s| s.is_none()).await;
            expected.insert(server.generation().await, None);
            tokio::task::block_in_place(|| saver.finish(shape, "rule.wasm", &versions[v]));
        }
        server.wait_plugin("rule", live(&shas[v])).await;
        expected.insert(server.generation().await, Some(v));
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }

    let seen = seen.lock().await;
    assert!(
        seen.len() > SWAPS,
        "the load was too light to mean anything: {} decisions",
        seen.len()
    );
    let mut by_generation: BTreeMap<u64, BTreeSet<Option<&str>>> = BTreeMap::new();
    for s in seen.iter() {
        assert_eq!(s.status, 200, "a request failed during {shape:?}: {s:?}");
        if let Some((sha, reason)) = &s.rule {
            // Internally consistent: the reason is the one of that sha's version.
            let v = shas.iter().position(|x| x == sha).expect("a known version");
            assert_eq!(
                reason, reasons[v],
                "{shape:?}: vote mixes two versions: {s:?}"
            );
        }
        by_generation
            .entry(s.generation)
            .or_default()
            .insert(s.rule.as_ref().map(|(sha, _)| sha.as_str()));
    }
    for (generation, rules) in &by_generation {
        assert_eq!(
            rules.len(),
            1,
            "{shape:?}: generation {generation} served different rules: {rules:?}"
        );
        if let Some(v) = expected.get(generation) {
            let want = v.map(|v| shas[v].as_str());
            assert!(
                rules.contains(&want),
                "{shape:?}: generation {generation} should serve {want:?}, served {rules:?}"
            );
        }
    }
    // Each save is one reload: a burst of events never produces extra
    // generations, and a half-written file is never loaded or reported.
    let first = *expected.keys().next().unwrap();
    let last = *expected.keys().last().unwrap();
    let per_swap = if shape.has_gap() { 2 } else { 1 };
    assert_eq!(
        last - first,
        (SWAPS * per_swap) as u64,
        "{shape:?}: generations {expected:?}"
    );
    eprintln!(
        "{shape:?}: {} decisions over {} generations, {SWAPS} swaps, none failed",
        seen.len(),
        by_generation.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swap_in_place_writes_under_load() {
    swap_under_load(SaveShape::InPlace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swap_by_temp_file_and_rename_under_load() {
    swap_under_load(SaveShape::TempRename).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swap_by_slow_chunked_copy_under_load() {
    swap_under_load(SaveShape::Chunked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swap_by_delete_and_create_under_load() {
    swap_under_load(SaveShape::DeleteCreate).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swap_by_rename_out_and_in_under_load() {
    swap_under_load(SaveShape::RenameOutIn).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swap_by_configmap_symlink_under_load() {
    swap_under_load(SaveShape::ConfigMap).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn files_that_are_not_wasm_are_ignored() {
    let server = TestServer::start("", &["flip-a"]).await;
    let g = server.generation().await;
    for name in [
        "notes.txt",
        "flip-a.wasm.bak",
        ".flip-a.wasm.swp",
        "rule.WASM.orig",
    ] {
        std::fs::write(server.plugins.path().join(name), b"junk").unwrap();
    }
    std::fs::create_dir(server.plugins.path().join("subdir.wasm")).unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(server.generation().await, g);
    assert_eq!(
        server.plugins().await["plugins"].as_array().unwrap().len(),
        1
    );
}
