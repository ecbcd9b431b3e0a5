//! Realistic traffic: conversations of 2–40 messages (customers writing in
//! English, Portuguese and Spanish; AI turns with a confidence; now and
//! then an agent), replayed turn by turn through `POST /v1/decide` the way
//! an AI platform calls it: after every customer message, with the whole
//! conversation so far.
//!
//! For each plugin mix — the Rust examples alone, then all five examples
//! (Python and JavaScript too) — it measures:
//!
//! 1. saturation: closed loop, 16 clients back to back; decisions per
//!    second, per core;
//! 2. latency, open loop at 50 % and 80 % of that rate and at a fixed
//!    200/s: requests leave on a schedule whether or not earlier ones are
//!    done, and each latency counts from the scheduled time (so a stall
//!    cannot hide the requests queued behind it); p50, p99, p99.9;
//! 3. the server's CPU-seconds per 1 000 decisions, from `/proc` (its
//!    threads only, not the load generator's), at 80 %.
//!
//! The decision log is off (the `store` bench measures it). Client and
//! server share the machine.
//!
//!     cargo bench -p escalator --bench traffic [-- SECONDS] [rust]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use escalator::config::Config;
use serde_json::{Value, json};

const CLIENTS: usize = 16;
const CONVERSATIONS: usize = 400;

fn main() {
    let secs: u64 = common::arg(10);
    let rust_only = std::env::args().any(|a| a == "rust");
    let turns = Arc::new(turns(CONVERSATIONS));
    let messages: usize = turns
        .iter()
        .map(|t| t["messages"].as_array().unwrap().len())
        .sum();
    println!(
        "{} decisions from {CONVERSATIONS} conversations (2-40 messages; {:.1} messages per request on average)",
        turns.len(),
        messages as f64 / turns.len() as f64
    );

    let rust = common::rust_plugins();
    let mut mixes = vec![("Rust examples (3)", false)];
    if !rust_only {
        mixes.push(("all five examples (3 Rust, Python, JavaScript)", true));
    }
    for (label, interpreted) in mixes {
        let plugins = tempfile::tempdir().unwrap();
        common::copy_plugins(&rust, &common::EXAMPLES, plugins.path());
        if interpreted {
            let built = common::interpreted_plugins();
            common::copy_plugins(
                &built,
                &["billing-dispute", "business-hours"],
                plugins.path(),
            );
        }
        let cache = tempfile::tempdir().unwrap();
        let config = Config {
            plugins_dir: plugins.path().to_owned(),
            cache_dir: Some(cache.path().to_owned()),
            store: common::no_store(),
            ..Config::default()
        };
        println!("\n== {label}");
        run(config, &turns, secs, if interpreted { 5 } else { 3 });
    }
}

fn run(config: Config, turns: &Arc<Vec<Value>>, secs: u64, plugins: usize) {
    let (server_rt, addr) = common::serve(config, plugins);
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("load-generator")
        .enable_all()
        .build()
        .unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    client_rt.block_on(async {
        let client = reqwest::Client::new();
        let url = format!("http://{addr}/v1/decide");
        // Warm up: connections, pools, caches of compiled code.
        closed_loop(&client, &url, turns, 1).await;

        let saturation = closed_loop(&client, &url, turns, secs).await;
        println!(
            "saturation ({CLIENTS} clients, closed loop): {saturation:.0} decisions/s, {:.0} per core",
            saturation / cores as f64
        );
        for (label, rate) in [
            ("50 %", saturation * 0.5),
            ("80 %", saturation * 0.8),
            ("200/s", 200.0),
        ] {
            let cpu_before = server_cpu_seconds();
            let (lat, n) = open_loop(&client, &url, turns, rate, secs).await;
            let cpu = server_cpu_seconds() - cpu_before;
            println!(
                "open loop at {label:>5} ({rate:>6.0}/s, {n} decisions): p50 {:>6.2} ms  p99 {:>6.2} ms  p99.9 {:>6.2} ms  max {:>7.2} ms  CPU {:.2} s per 1000",
                common::pct(&lat, 0.5),
                common::pct(&lat, 0.99),
                common::pct(&lat, 0.999),
                lat[lat.len() - 1],
                cpu / n as f64 * 1000.0
            );
        }
    });
    drop(server_rt);
}

/// Decisions per second with [`CLIENTS`] clients sending back to back,
/// each walking the turns from its own starting point.
async fn closed_loop(
    client: &reqwest::Client,
    url: &str,
    turns: &Arc<Vec<Value>>,
    secs: u64,
) -> f64 {
    let (client, url, turns) = (client.clone(), url.to_owned(), turns.clone());
    common::closed_loop(CLIENTS, secs, move |c, k| {
        let (client, url, turns) = (client.clone(), url.clone(), turns.clone());
        async move {
            let i = c * turns.len() / CLIENTS + k;
            decide(&client, &url, &turns[i % turns.len()]).await;
        }
    })
    .await
}

/// Latencies (ms, sorted) of requests sent at `rate` per second for `secs`,
/// each counted from the moment it was due, and how many were sent.
async fn open_loop(
    client: &reqwest::Client,
    url: &str,
    turns: &Arc<Vec<Value>>,
    rate: f64,
    secs: u64,
) -> (Vec<f64>, usize) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = (rate * secs as f64) as usize;
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for k in 0..n {
        let due = start + Duration::from_secs_f64(k as f64 / rate);
        tokio::time::sleep_until(due).await;
        let (client, url, turns) = (client.clone(), url.to_owned(), turns.clone());
        let i = NEXT.fetch_add(1, Ordering::Relaxed);
        tasks.push(tokio::spawn(async move {
            decide(&client, &url, &turns[i % turns.len()]).await;
            due.elapsed().as_secs_f64() * 1e3
        }));
    }
    let mut latencies = Vec::with_capacity(n);
    for t in tasks {
        latencies.push(t.await.unwrap());
    }
    latencies.sort_by(f64::total_cmp);
    (latencies, n)
}

async fn decide(client: &reqwest::Client, url: &str, body: &Value) {
    let r = client.post(url).json(body).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.bytes().await.unwrap();
}

/// CPU-seconds (user + system) of this process's server threads: the
/// runtime's (`server`, its blocking pool included) and the plugin helpers
/// (`escalator-plugins-N`), read from `/proc/self/task/*/stat`.
fn server_cpu_seconds() -> f64 {
    let ticks = 100.0; // USER_HZ on Linux
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // The name is in parentheses and may hold spaces.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = &stat[open + 1..close];
        if !(name.starts_with("server") || name.starts_with("escalator-plug")) {
            continue;
        }
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // utime and stime are fields 14 and 15 of stat(5); 3 is fields[0].
        let utime: u64 = fields[11].parse().unwrap();
        let stime: u64 = fields[12].parse().unwrap();
        total += utime + stime;
    }
    total as f64 / ticks
}

/// Every turn of `n` generated conversations, as decide requests, in the
/// order an interleaved stream of conversations would send them.
fn turns(n: usize) -> Vec<Value> {
    let mut rng = Rng(0x5eed_cafe_f00d_u64);
    let conversations: Vec<Vec<Value>> = (0..n).map(|i| conversation(&mut rng, i)).collect();
    // Round-robin across conversations, so a conversation's turns arrive
    // spread out as they do in production, not back to back.
    let mut out = Vec::new();
    let longest = conversations.iter().map(Vec::len).max().unwrap_or(0);
    for turn in 0..longest {
        for c in &conversations {
            if let Some(t) = c.get(turn) {
                out.push(t.clone());
            }
        }
    }
    out
}

/// One conversation's decide requests: one after each customer message.
fn conversation(rng: &mut Rng, i: usize) -> Vec<Value> {
    let len = 2 + rng.below(39);
    let lang = rng.below(3);
    let tier = ["standard", "pro", "standard", "free", "enterprise"][rng.below(5)];
    let topic = ["orders", "billing", "shipping", "account", "technical"][rng.below(5)];
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap();
    let mut messages = Vec::new();
    let mut requests = Vec::new();
    for k in 0..len {
        let at = start + chrono::Duration::seconds(40 * k as i64);
        let at = at.to_rfc3339();
        let message = if k.is_multiple_of(2) {
            json!({"role": "customer", "text": customer_line(rng, lang, k), "at": at})
        } else if rng.below(12) == 0 {
            json!({"role": "agent", "text": "Agent here, reviewing the account now.", "at": at})
        } else {
            let confidence = 0.3 + 0.65 * rng.unit();
            json!({"role": "ai", "text": AI_LINES[rng.below(AI_LINES.len())], "at": at,
                   "ai": {"confidence": (confidence * 100.0).round() / 100.0, "intent": topic,
                          "outcome": "answered"}})
        };
        let customer = message["role"] == "customer";
        messages.push(message);
        if customer {
            requests.push(json!({
                "conversation_id": format!("traffic-{i}"),
                "channel": "chat",
                "now": at,
                "customer": {"id": format!("cus-{}", i % 97), "tier": tier,
                             "account_rank": 100 + rng.below(5000)},
                "topic": {"category": topic},
                "messages": messages.clone(),
            }));
        }
    }
    requests
}

/// A customer message: mostly routine, sometimes frustrated, rarely asking
/// for a person; numbers vary so that texts are not all alike.
fn customer_line(rng: &mut Rng, lang: usize, turn: usize) -> String {
    let pool = match rng.below(20) {
        0 => &ASK_HUMAN[lang],
        1..=3 => &FRUSTRATED[lang],
        _ => &ROUTINE[lang],
    };
    let line = pool[rng.below(pool.len())];
    format!("{line} (ref {}-{turn})", 1000 + rng.below(9000))
}

const ROUTINE: [&[&str]; 3] = [
    &[
        "Hi, my parcel was due yesterday and has not arrived",
        "Can you check the status of my order please?",
        "I would like to change the delivery address",
        "How do I download last month's invoice?",
        "The app shows an error when I log in",
        "Thanks, and what time window should I expect?",
        "Is there a discount for annual plans?",
    ],
    &[
        "Olá, meu pedido deveria ter chegado ontem",
        "Pode verificar o status do meu pedido, por favor?",
        "Quero mudar o endereço de entrega",
        "Como faço para baixar a fatura do mês passado?",
        "O aplicativo mostra um erro quando entro",
        "Obrigado, e qual o horário previsto?",
    ],
    &[
        "Hola, mi pedido debía llegar ayer y no ha llegado",
        "¿Puedes revisar el estado de mi pedido, por favor?",
        "Quiero cambiar la dirección de entrega",
        "¿Cómo descargo la factura del mes pasado?",
        "La aplicación muestra un error al iniciar sesión",
        "Gracias, ¿y a qué hora llega?",
    ],
];

const FRUSTRATED: [&[&str]; 3] = [
    &[
        "This is the third time I'm asking, it is still not working!!!",
        "You are not helping at all, this is ridiculous",
        "I was charged twice and nobody answers",
    ],
    &[
        "Já é a terceira vez que pergunto e continua sem funcionar",
        "Vocês não estão ajudando em nada",
        "Fui cobrado duas vezes e ninguém responde",
    ],
    &[
        "Es la tercera vez que pregunto y sigue sin funcionar",
        "No me están ayudando para nada, es ridículo",
        "Me cobraron dos veces y nadie responde",
    ],
];

const ASK_HUMAN: [&[&str]; 3] = [
    &[
        "Can I talk to a real person please?",
        "I want to speak to a human agent",
    ],
    &[
        "Quero falar com um atendente humano",
        "Posso falar com uma pessoa?",
    ],
    &[
        "Quiero hablar con una persona",
        "¿Me pasas con un agente humano?",
    ],
];

const AI_LINES: &[&str] = &[
    "Sorry about that! Let me check for you.",
    "Thanks. I can see your order in our system.",
    "Here is what I found: it is out for delivery today.",
    "I understand. Could you confirm the email on the account?",
    "You can download invoices under Settings, Billing.",
];

/// A small deterministic generator (xorshift64*): the same traffic every
/// run, with no dependency for it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}
