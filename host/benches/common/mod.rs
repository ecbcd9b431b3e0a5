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

/// Copies `names` (`NAME.wasm`) from `built` into `dir`.
pub fn copy_plugins(built: &Path, names: &[&str], dir: &Path) {
    for name in names {
        std::fs::copy(
            built.join(format!("{name}.wasm")),
            dir.join(format!("{name}.wasm")),
        )
        .unwrap();
    }
}

/// The service on a loopback port of its own, on a runtime of its own as
/// `escalator serve` runs it; its threads are named `server` so that CPU
/// read from `/proc` (and a profile) tells it from the load generator's.
/// Returns once every plugin has loaded, asserting there are `plugins`.
pub fn serve(
    config: escalator::config::Config,
    plugins: usize,
) -> (tokio::runtime::Runtime, std::net::SocketAddr) {
    use escalator::config::live::LiveConfig;
    use escalator::server::{Service, bind};
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("server")
        .build()
        .unwrap();
    let addr = server_rt.block_on(async {
        let service = Service::start(LiveConfig::fixed(config)).unwrap();
        service.state.registry.wait_ready();
        assert_eq!(service.state.registry.current().active.len(), plugins);
        let (listener, addr) = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        tokio::spawn(service.serve(listener, std::future::pending()));
        addr
    });
    (server_rt, addr)
}

/// Requests per second when `clients` tasks send back to back for `secs`.
/// `request(client, k)` makes the `k`-th request of client number `client`.
pub async fn closed_loop<F, Fut>(clients: usize, secs: u64, request: F) -> f64
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (request, done, stop) = (request.clone(), done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut k = 0;
            while !stop.load(Ordering::Relaxed) {
                request(client, k).await;
                k += 1;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let start = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let n = done.load(Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    for t in tasks {
        t.await.unwrap();
    }
    n as f64 / elapsed
}

/// The SDK's view of a conversation: what a natively compiled rule gets
/// (the `decide` and `rego` benches run the examples natively).
pub fn sdk_input(
    c: &escalator::decision::input::Conversation,
    s: &escalator::decision::signals::Signals,
) -> escalator_sdk::Input {
    use escalator::decision::input::Role;
    use escalator_sdk as sdk;
    let attrs = |m: &std::collections::BTreeMap<String, String>| {
        m.iter()
            .map(|(k, v)| sdk::Attribute {
                key: k.clone(),
                value: v.clone(),
            })
            .collect()
    };
    sdk::Input {
        conversation: sdk::Conversation {
            id: c.id.clone(),
            channel: c.channel.clone(),
            messages: c
                .messages
                .iter()
                .map(|m| sdk::Message {
                    role: match m.role {
                        Role::Customer => sdk::Role::Customer,
                        Role::Ai => sdk::Role::Ai,
                        Role::Agent => sdk::Role::Agent,
                        Role::System => sdk::Role::System,
                    },
                    text: m.text.clone(),
                    at_ms: m.at.timestamp_millis(),
                    ai: m.ai.as_ref().map(|a| sdk::AiTurn {
                        confidence: a.confidence,
                        intent: a.intent.clone(),
                        outcome: a.outcome.clone(),
                    }),
                    // The benchmarks' conversations have no ownership events.
                    event: None,
                    attachments: Vec::new(),
                })
                .collect(),
            attributes: attrs(&c.attributes),
        },
        customer: sdk::Customer {
            id: c.customer.id.clone(),
            tier: c.customer.tier.clone(),
            account_rank: c.customer.account_rank,
            language: c.customer.language.clone(),
            timezone: c.customer.timezone.clone(),
            attributes: attrs(&c.customer.attributes),
        },
        topic: sdk::Topic {
            category: c.topic.category.clone(),
            subcategory: c.topic.subcategory.clone(),
        },
        settings: Vec::new(),
        signals: sdk::Signals {
            message_sentiment: s.message_sentiment.clone(),
            latest_ai_confidence: s.latest_ai_confidence,
            lowest_ai_confidence: s.lowest_ai_confidence,
            elapsed_ms: s.elapsed_ms,
            customer_turns: s.customer_turns,
            now_ms: c.now.timestamp_millis(),
        },
        ownership: sdk::Ownership {
            owner: sdk::Owner::Ai,
            agent: None,
            queue: None,
            changes: 0,
            handoffs: 0,
            segment_start: 0,
        },
    }
}

/// Each example's declared defaults, as native settings.
pub fn native_settings<R: escalator_sdk::Rule>() -> Vec<escalator_sdk::Setting> {
    R::describe()
        .settings
        .into_iter()
        .map(|s| escalator_sdk::Setting {
            name: s.name,
            value: s.default.unwrap(),
        })
        .collect()
}

/// The plugins `config` names, loaded into `runtime` and settled.
pub fn load(
    runtime: &std::sync::Arc<escalator::plugin::Runtime>,
    config: &escalator::config::Config,
) -> std::sync::Arc<escalator::plugin::PluginSet> {
    let registry = escalator::plugin::Registry::new(std::sync::Arc::clone(runtime));
    registry.reload_until_settled(config);
    registry.current()
}
