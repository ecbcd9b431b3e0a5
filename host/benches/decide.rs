//! In-process decision cost: built-ins only, with 1, 5 and 10 Rust plugins in
//! Wasm, and the same rules compiled natively (the SDK builds for the host),
//! for the Wasm/native ratio.
//!
//!     cargo bench -p escalator --bench decide

// criterion's macros generate undocumented public items.
#![allow(missing_docs)]

mod common;

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use escalator::config::{BreakerConfig, Config};
use escalator::decide::decide;
use escalator::decision::input::Conversation;
use escalator::decision::signals::Signals;
use escalator::plugin::{Runtime, to_wit_input};
use escalator_sdk::Rule;

fn conversation() -> Conversation {
    Conversation::from_json(common::CONVERSATION.as_bytes(), chrono::Utc::now()).unwrap()
}

/// The same conversation with ownership events inserted: `(index, type)`,
/// each event dated as the message it precedes.
fn with_events(events: &[(usize, &str)]) -> Conversation {
    let mut v: serde_json::Value = serde_json::from_str(common::CONVERSATION).unwrap();
    let messages = v["messages"].as_array_mut().unwrap();
    for &(i, kind) in events.iter().rev() {
        let at = messages[i]["at"].clone();
        messages.insert(
            i,
            serde_json::json!({"role": "system", "at": at,
                               "event": {"type": kind, "agent": "maria"}}),
        );
    }
    Conversation::from_json(v.to_string().as_bytes(), chrono::Utc::now()).unwrap()
}

fn bench(c: &mut Criterion) {
    let built = common::rust_plugins();
    let runtime = Runtime::new(None).unwrap();
    let mut group = c.benchmark_group("decide");

    for n in [0usize, 1, 5, 10] {
        let dir = tempfile::tempdir().unwrap();
        common::install(&built, dir.path(), n);
        let mut config = Config {
            plugins_dir: dir.path().to_owned(),
            ..Config::default()
        };
        common::as_instances(&mut config, n);
        let set = common::load(&runtime, &config);
        assert_eq!(set.active.len(), n);
        let conv = conversation();
        let label = if n == 0 {
            "builtins only".to_owned()
        } else {
            format!("builtins + {n} wasm plugins")
        };
        group.bench_function(label, |b| {
            b.iter(|| decide(&conv, &config, &set, &runtime, false))
        });
        if n == 0 {
            // The two-way door: the triggers judge the segment after a
            // hand-back (a copy of its messages, its emotions read again),
            // or answer the hand-back question while a human owns it.
            let back = with_events(&[(2, "handoff_to_human"), (4, "handback_to_ai")]);
            group.bench_function("builtins only, after a hand-back", |b| {
                b.iter(|| decide(&back, &config, &set, &runtime, false))
            });
            let human = with_events(&[(2, "handoff_to_human")]);
            group.bench_function("builtins only, a human owns it", |b| {
                b.iter(|| decide(&human, &config, &set, &runtime, false))
            });
        }
        if n == 10 {
            // What the API adds to each live decision to count it in the
            // metrics: every vote, the reasons, the latencies.
            escalator::telemetry::install();
            let decision = decide(&conv, &config, &set, &runtime, false);
            group.bench_function("recording metrics of builtins + 10 wasm plugins", |b| {
                b.iter(|| escalator::telemetry::decided(&decision))
            });
            // The same decision at a moderate rate, one every 5 ms, timed
            // alone: what a request pays when caches have gone cold between
            // requests, as in the HTTP latency run.
            group.bench_function("builtins + 10 wasm plugins, one every 5 ms", |b| {
                b.iter_custom(|iters| {
                    let mut total = std::time::Duration::ZERO;
                    for _ in 0..iters {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        let start = Instant::now();
                        std::hint::black_box(decide(&conv, &config, &set, &runtime, false));
                        total += start.elapsed();
                    }
                    total
                })
            });
        }

        if n > 0 {
            // The plugin votes alone, Wasm: fresh instance + call per plugin.
            group.bench_function(format!("{n} plugin votes, wasm"), |b| {
                b.iter(|| {
                    let signals = Signals::compute(&conv);
                    let mut input = to_wit_input(&conv, &signals);
                    set.active
                        .iter()
                        .map(|p| {
                            p.evaluate(
                                &runtime,
                                &mut input,
                                &BreakerConfig::default(),
                                escalator::plugin::alone(),
                                &escalator::plugin::Entropy::of("bench", conv.now),
                            )
                        })
                        .count()
                })
            });
            // The same rules compiled natively, same input work.
            let settings = [
                common::native_settings::<topic_guard::TopicGuard>(),
                common::native_settings::<vip_accounts::VipAccounts>(),
                common::native_settings::<loop_detector::LoopDetector>(),
            ];
            group.bench_function(format!("{n} plugin votes, native"), |b| {
                b.iter(|| {
                    let signals = Signals::compute(&conv);
                    let mut input = common::sdk_input(&conv, &signals);
                    (0..n)
                        .map(|i| {
                            input.settings.clone_from(&settings[i % 3]);
                            match i % 3 {
                                0 => topic_guard::TopicGuard::evaluate(&input),
                                1 => vip_accounts::VipAccounts::evaluate(&input),
                                _ => loop_detector::LoopDetector::evaluate(&input),
                            }
                            .is_ok()
                        })
                        .count()
                })
            });
        }
    }
    // Where a fresh instance's time goes: the store with its WASI context
    // alone, and one plugin's vote in a fresh instance against a reused one.
    let store_name: std::sync::Arc<str> = std::sync::Arc::from("bench");
    let limits = escalator::config::Limits::default();
    group.bench_function("store + WASI context only", |b| {
        b.iter(|| {
            runtime.store(
                &store_name,
                "bench-1",
                &limits,
                &escalator::plugin::Entropy::of("bench", chrono::Utc::now()),
            )
        })
    });
    // Instantiation alone (store, instance, teardown), and with a first call
    // (`describe`, which returns the plugin's settings with their defaults),
    // to compare with the published per-instance figures.
    let wasm = std::fs::read(built.join("topic-guard.wasm")).unwrap();
    let (component, _) = runtime
        .compile(&wasm, &escalator::plugin::sha256_hex(&wasm))
        .unwrap();
    let pre = escalator::plugin::abi::RulePre::new(
        runtime.linker().instantiate_pre(&component).unwrap(),
        escalator::plugin::interface::built_against(runtime.engine(), &component),
    )
    .unwrap();
    group.bench_function("instantiate + drop", |b| {
        b.iter(|| {
            let mut store = runtime.store(
                &store_name,
                "bench-1",
                &limits,
                &escalator::plugin::Entropy::of("bench", chrono::Utc::now()),
            );
            pre.instantiate(&mut store).unwrap();
        })
    });
    group.bench_function("instantiate + describe + drop", |b| {
        b.iter(|| {
            let mut store = runtime.store(
                &store_name,
                "bench-1",
                &limits,
                &escalator::plugin::Entropy::of("bench", chrono::Utc::now()),
            );
            let rule = pre.instantiate(&mut store).unwrap();
            rule.call_describe(&mut store).unwrap()
        })
    });
    // One vote, in a fresh instance and a reused one; and the floor of a
    // vote with this input: a rule that reads only the conversation id, so
    // what is left is the host's copy of the input into the guest and of
    // the vote back.
    let floor = common::build_plugins(&["tests/plugins/flip-a"]);
    let reuse = |name: &str| format!("[plugins.{name}]\ninstances = \"reuse\"\n");
    for (label, wasm, name, section) in [
        (
            "1 plugin vote, fresh instance",
            &built,
            "topic-guard",
            String::new(),
        ),
        (
            "1 plugin vote, reused instance",
            &built,
            "topic-guard",
            reuse("topic-guard"),
        ),
        // A rule that declares it reads only the customer: instantiation
        // and the input it is handed, with little rule work on top.
        (
            "1 plugin vote, fresh instance, vip-accounts (reads the customer)",
            &built,
            "vip-accounts",
            String::new(),
        ),
        (
            "1 plugin vote, reused instance, vip-accounts (reads the customer)",
            &built,
            "vip-accounts",
            reuse("vip-accounts"),
        ),
        (
            "1 plugin vote, reused instance, rule reads only the id",
            &floor,
            "flip-a",
            reuse("flip-a"),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let file = format!("{name}.wasm");
        std::fs::copy(wasm.join(&file), dir.path().join(&file)).unwrap();
        let mut config = Config::parse(&section).unwrap();
        config.plugins_dir = dir.path().to_owned();
        let set = common::load(&runtime, &config);
        let conv = conversation();
        let mut input = to_wit_input(&conv, &Signals::compute(&conv));
        group.bench_function(label, |b| {
            b.iter(|| {
                set.active[0].evaluate(
                    &runtime,
                    &mut input,
                    &BreakerConfig::default(),
                    escalator::plugin::alone(),
                    &escalator::plugin::Entropy::of("bench", conv.now),
                )
            })
        });
    }
    group.finish();
}

/// A conversation of `len` messages, customer and AI in turn. Each message
/// whose index is `fresh_from` or later gets `salt` appended, so its text
/// has not been seen before: with `fresh_from = len - 1`, only the newest
/// message is new, as when a platform re-sends a conversation after the
/// customer's latest message; with `fresh_from = 0`, nothing is remembered.
fn long_conversation(len: usize, salt: &str, fresh_from: usize) -> Conversation {
    const LINES: [&str; 8] = [
        "Hi, my parcel was due yesterday and has not arrived",
        "It is order 5521, shipped last week from the Leeds warehouse",
        "Great, what time window should I expect for the delivery?",
        "Can you also change the address to my office on Baker Street?",
        "O pedido ainda não chegou, pode verificar de novo?",
        "¿Puedes revisar el estado del envío otra vez, por favor?",
        "Thanks, and will I get a text message before it arrives?",
        "The tracking page shows an error when I open the link",
    ];
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T14:00:00Z").unwrap();
    let messages: Vec<serde_json::Value> = (0..len)
        .map(|j| {
            let at = (start + chrono::Duration::seconds(30 * j as i64)).to_rfc3339();
            let salt = if j >= fresh_from { salt } else { "" };
            if j.is_multiple_of(2) {
                serde_json::json!({"role": "customer", "at": at,
                    "text": format!("{} ({j}){salt}", LINES[(j / 2) % LINES.len()])})
            } else {
                serde_json::json!({"role": "ai", "at": at,
                    "text": format!("Let me check that for you ({j}){salt}"),
                    "ai": {"confidence": 0.86, "intent": "order-status", "outcome": "answered"}})
            }
        })
        .collect();
    let body = serde_json::json!({
        "conversation_id": "bench-long", "channel": "chat",
        "now": (start + chrono::Duration::seconds(30 * len as i64)).to_rfc3339(),
        "customer": {"id": "c-42", "tier": "pro", "account_rank": 4200},
        "topic": {"category": "orders"},
        "messages": messages,
    });
    Conversation::from_json(body.to_string().as_bytes(), chrono::Utc::now()).unwrap()
}

/// A conversation re-sent every turn: the cost of its 2nd and its 40th
/// decision with the three Rust examples, when the earlier messages were
/// seen by earlier decisions (the newest message is always new) and when
/// nothing is remembered (every message new).
fn long_conversations(c: &mut Criterion) {
    let built = common::rust_plugins();
    let runtime = Runtime::new(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    common::install(&built, dir.path(), 3);
    let mut config = Config {
        plugins_dir: dir.path().to_owned(),
        ..Config::default()
    };
    common::as_instances(&mut config, 3);
    let set = common::load(&runtime, &config);
    assert_eq!(set.active.len(), 3);
    // The built-in triggers alone, to tell their growth from the plugins'.
    let no_plugins = tempfile::tempdir().unwrap();
    let builtins_config = Config {
        plugins_dir: no_plugins.path().to_owned(),
        ..Config::default()
    };
    let builtins = common::load(&runtime, &builtins_config);
    assert!(builtins.active.is_empty());
    let mut group = c.benchmark_group("re-sent conversation");
    let mut salt = 0u64;
    let cases = [
        ("earlier turns seen", true, &config, &set),
        ("nothing remembered", false, &config, &set),
        (
            "earlier turns seen, built-ins only",
            true,
            &builtins_config,
            &builtins,
        ),
    ];
    for len in [2usize, 40] {
        for &(label, remembered, config, set) in &cases {
            group.bench_function(format!("decision on {len} messages, {label}"), |b| {
                b.iter_custom(|iters| {
                    let mut total = std::time::Duration::ZERO;
                    for _ in 0..iters {
                        salt += 1;
                        let fresh_from = if remembered { len - 1 } else { 0 };
                        let conv = long_conversation(len, &format!(" #{salt}"), fresh_from);
                        if remembered {
                            // The earlier turns, decided before (untimed).
                            decide(
                                &long_conversation(len - 1, "", len),
                                config,
                                set,
                                &runtime,
                                false,
                            );
                        }
                        let start = Instant::now();
                        std::hint::black_box(decide(&conv, config, set, &runtime, false));
                        total += start.elapsed();
                    }
                    total
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench, long_conversations);
criterion_main!(benches);
