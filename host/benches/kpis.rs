//! The full handoff-KPI report at scale (issue 16), on each backend:
//!
//! 1. A deterministic dataset written straight through the store:
//!    `ESCALATOR_BENCH_DECISIONS` decisions (default 1 000 000) in
//!    conversations of one or two decisions over eight weeks, about 30 %
//!    escalations carrying one or two reasons, and about three outcome
//!    events per decision (assignments, first replies, some with text,
//!    transfers, hand-backs, resolutions, reopens, ratings, reviews).
//! 2. `compute()` over the whole window twice (the first run also scores
//!    up to `MAX_PER_REPORT` pending first replies; the rest of the backlog
//!    is then scored apart, so the second is the steady state), once
//!    filtered by a category, then each query of the report on its own.
//! 3. The real service on the same database: decide latency at a steady
//!    rate before and while `GET /v1/kpis` computes the eight-week report,
//!    the report's time through the API, and the process's resident memory
//!    before, at its peak during, and after the report (for PostgreSQL also
//!    the private memory of its backends).
//!
//! PostgreSQL is skipped, with a note, when its server binaries are
//! missing; `ESCALATOR_BENCH_BACKENDS=sqlite` or `=postgres` runs one.
//!
//!     ESCALATOR_BENCH_DECISIONS=100000 cargo bench -p escalator --bench kpis

mod common;
#[path = "../../tests/common/postgres.rs"]
#[allow(dead_code)]
mod postgres;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use escalator::config::store::Backend;
use escalator::config::{Config, KpiConfig};
use escalator::kpi::{Window, WindowArgs, compute};
use escalator::outcome::{Event, EventType};
use escalator::store::kpi::{Column, Scope};
use escalator::store::record::ReasonRow;
use escalator::store::{Db, Row};
use serde_json::{Value, json};

/// The dataset's end: eight weeks of decisions before it.
const END: &str = "2026-11-02T00:00:00Z";
const WEEKS: i64 = 8;
/// Conversations written per batch (about 1 500 decisions, 4 500 events).
const BATCH: usize = 1000;
/// Decide requests per second during the latency measurement.
const RATE: u64 = 50;
/// Seconds of decide load before the report is asked for.
const BASELINE_S: u64 = 10;

const CATEGORIES: [&str; 12] = [
    "billing",
    "shipping",
    "account",
    "orders",
    "returns",
    "technical",
    "subscription",
    "refunds",
    "login",
    "privacy",
    "delivery",
    "warranty",
];
const CHANNELS: [&str; 3] = ["chat", "email", "voice"];
const REASONS: [(&str, &str, &str); 6] = [
    (
        "builtin:confidence",
        "low_confidence",
        "ai_gave_wrong_answer",
    ),
    ("builtin:sentiment", "angry", "other"),
    ("builtin:sentiment", "frustrated", "other"),
    ("plugin:vip", "vip_account", "policy_required_human"),
    (
        "builtin:human_request",
        "asked_for_human",
        "customer_demanded_human",
    ),
    ("builtin:loop", "repeated_question", "ai_stuck"),
];
const AGENTS: [&str; 20] = [
    "ana", "ben", "cho", "dan", "eva", "fay", "gus", "hal", "ivy", "jon", "kim", "lea", "max",
    "nia", "oli", "pam", "raj", "sue", "tom", "uma",
];
const QUEUES: [&str; 5] = ["billing", "logistics", "accounts", "tech", "general"];
const CUSTOMER: &str = "I was charged twice on my invoice for the {} order";
const AI: &str = "Maybe the second charge is a pending authorisation";
const REPLIES: [&str; 4] = [
    "I can see you were charged twice on the invoice; the pending authorisation will drop off",
    "Hi, I'm here to help you today",
    "Can you tell me what happened?",
    "Sorry about the double charge on your invoice, I am refunding it now",
];

/// A small deterministic generator (SplitMix64), one per conversation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len() as u64) as usize]
    }
}

fn end() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(END).unwrap().to_utc()
}

const SEC: i64 = 1_000_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

fn time(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).unwrap()
}

fn decision_row(
    conv: &str,
    id: String,
    at: i64,
    action: &str,
    category: &str,
    channel: &str,
    reasons: Vec<ReasonRow>,
) -> Row {
    let record = json!({
        "decision_id": id,
        "action": action,
        "request": {
            "conversation_id": conv,
            "topic": {"category": category},
            "messages": [
                {"role": "customer", "text": CUSTOMER.replace("{}", category)},
                {"role": "ai", "text": AI},
            ],
        },
    });
    Row {
        decision_id: id,
        conversation_id: conv.to_owned(),
        decided_at: at,
        recorded_at: at,
        channel: Some(channel.to_owned()),
        category: Some(category.to_owned()),
        subcategory: None,
        customer_tier: None,
        language: Some("en".into()),
        customer_id: None,
        action: action.to_owned(),
        shadow_action: None,
        tier: if action == "escalate" {
            "human_led"
        } else {
            "ai_led"
        }
        .into(),
        priority: 50,
        score: if action == "escalate" { 0.8 } else { 0.2 },
        hard: false,
        config_version: 1,
        config_sha256: None,
        generation: 1,
        elapsed_us: 100,
        reasons,
        plugins: Vec::new(),
        record: record.to_string(),
    }
}

/// The decisions and events of conversation `i`; `budget` caps its
/// decisions (the last conversation may get one).
fn conversation(i: usize, budget: usize) -> (Vec<Row>, Vec<Event>) {
    let mut rng = Rng(i as u64 ^ 0x5EED_0000_0000);
    let conv = format!("conv-{i:08}");
    let start = end().timestamp_micros() - WEEKS * 7 * DAY;
    // Leave the last day for follow-ups to land.
    let t0 = start + rng.below(((WEEKS * 7 - 1) * DAY) as u64) as i64;
    let category = CATEGORIES[(rng.below(100) * rng.below(100) / 834) as usize % 12];
    let channel = rng.pick(&CHANNELS);
    let n = (if rng.chance(0.5) { 2 } else { 1 }).min(budget);
    let mut rows = Vec::new();
    let mut first_escalation: Option<(String, i64)> = None;
    let mut offered = false;
    for k in 0..n {
        let at = t0 + k as i64 * 3 * MIN;
        let id = format!("d{i:08}-{k}");
        let roll = rng.below(100);
        let action = if roll < 30 {
            "escalate"
        } else if roll < 35 {
            "offer"
        } else {
            "stay"
        };
        let mut reasons = Vec::new();
        if action != "stay" {
            let first = rng.below(REASONS.len() as u64) as usize;
            let mut picked = vec![first];
            if rng.chance(0.4) {
                picked.push((first + 1 + rng.below(REASONS.len() as u64 - 1) as usize) % 6);
            }
            for r in picked {
                let (source, code, tag) = REASONS[r];
                reasons.push(ReasonRow {
                    source: source.into(),
                    code: code.into(),
                    tag: tag.into(),
                });
            }
        }
        if action == "escalate" && first_escalation.is_none() {
            first_escalation = Some((id.clone(), at));
        }
        offered |= action == "offer";
        rows.push(decision_row(
            &conv, id, at, action, category, channel, reasons,
        ));
    }
    let last_at = rows.last().unwrap().decided_at;
    let mut events = Vec::new();
    let mut ev = |kind: EventType, at: i64, decision: Option<&str>, fields: Value| {
        let Value::Object(map) = fields else {
            unreachable!()
        };
        events.push(Event {
            event_id: format!("e{i:08}-{}", events.len()),
            kind,
            conversation_id: conv.clone(),
            decision_id: decision.map(str::to_owned),
            at: time(at),
            fields: map.into_iter().collect::<BTreeMap<_, _>>(),
        });
    };
    // Handed off (escalated, an accepted offer) or routed to a human
    // directly; else the AI carries on.
    let human_at = match &first_escalation {
        Some((_, at)) => rng.chance(0.92).then_some(*at),
        None if offered && rng.chance(0.5) => Some(last_at),
        None if rng.chance(0.08) => Some(last_at),
        None => None,
    };
    let mut done_at = last_at + 5 * MIN;
    if let Some(from) = human_at {
        let agent = rng.pick(&AGENTS);
        let queue = rng.pick(&QUEUES);
        let mut t = from + 20 * SEC + rng.below((40 * MIN) as u64) as i64;
        ev(
            EventType::HumanAssigned,
            t,
            None,
            json!({"agent": agent, "queue": queue}),
        );
        t += 30 * SEC + rng.below((5 * MIN) as u64) as i64;
        let reply = if rng.chance(0.6) {
            json!({"agent": agent, "queue": queue, "text": rng.pick(&REPLIES)})
        } else {
            json!({"agent": agent})
        };
        ev(EventType::HumanFirstReply, t, None, reply);
        for _ in 0..rng.below(4) {
            if rng.chance(0.6) {
                t += 2 * MIN + rng.below((20 * MIN) as u64) as i64;
                ev(
                    EventType::Transferred,
                    t,
                    None,
                    json!({"to_queue": rng.pick(&QUEUES), "to_agent": rng.pick(&AGENTS)}),
                );
            }
        }
        t += 5 * MIN + rng.below((60 * MIN) as u64) as i64;
        if rng.chance(0.2) {
            ev(EventType::HandedBackToAi, t, None, json!({"agent": agent}));
            t += 5 * MIN;
            if rng.chance(0.4) {
                ev(
                    EventType::HumanAssigned,
                    t,
                    None,
                    json!({"agent": rng.pick(&AGENTS), "queue": queue}),
                );
                t += 10 * MIN;
            }
        }
        if rng.chance(0.92) {
            ev(EventType::Resolved, t, None, json!({"by": "human"}));
        } else {
            ev(EventType::Abandoned, t, None, json!({}));
        }
        done_at = t;
    } else if rng.chance(0.85) {
        ev(EventType::Resolved, done_at, None, json!({"by": "ai"}));
    } else {
        ev(EventType::Abandoned, done_at, None, json!({}));
    }
    if rng.chance(0.2) {
        let reopened = done_at + HOUR + rng.below((10 * DAY) as u64) as i64;
        ev(EventType::Reopened, reopened, None, json!({}));
    }
    // Ratings: most conversations, a second (later) one for some.
    if rng.chance(0.75) {
        let score = 1 + rng.below(5);
        ev(
            EventType::Csat,
            done_at + 10 * MIN,
            None,
            json!({"score": score}),
        );
        if rng.chance(0.6) {
            let score = 1 + rng.below(5);
            ev(
                EventType::Csat,
                done_at + DAY,
                None,
                json!({"score": score}),
            );
        }
    }
    // Reviews: most escalations, some other decisions, a few changed later.
    for row in &rows {
        let esc = row.action == "escalate";
        if rng.chance(if esc { 0.6 } else { 0.3 }) {
            let verdict = match (esc, rng.below(10)) {
                (true, 0..=6) => "correct",
                (true, _) => "unnecessary",
                (false, 0..=2) => "missed",
                (false, _) => "correct",
            };
            let at = row.decided_at + DAY + rng.below(DAY as u64) as i64;
            ev(
                EventType::Review,
                at,
                Some(&row.decision_id),
                json!({"verdict": verdict}),
            );
            if rng.chance(0.3) {
                ev(
                    EventType::Review,
                    at + HOUR,
                    Some(&row.decision_id),
                    json!({"verdict": "correct"}),
                );
            }
        }
    }
    (rows, events)
}

/// Writes the dataset into every store at once (each batch to all of them
/// concurrently); returns (decisions, events).
async fn fill(dbs: &[&Db], decisions: usize) -> (usize, usize) {
    let (mut d, mut e, mut i) = (0, 0, 0);
    let mut next_note = 100_000;
    let started = Instant::now();
    while d < decisions {
        let mut rows = Vec::new();
        let mut events = Vec::new();
        for _ in 0..BATCH {
            if d + rows.len() >= decisions {
                break;
            }
            let (r, ev) = conversation(i, decisions - d - rows.len());
            rows.extend(r);
            events.extend(ev);
            i += 1;
        }
        let received = end().timestamp_micros() + e as i64;
        // SQLite takes one writer at a time; PostgreSQL gets the batch in
        // four concurrent transactions (insertion speed is not measured).
        futures_join(dbs.iter().flat_map(|db| {
            let parts = match db.backend() {
                Backend::Sqlite => 1,
                Backend::Postgres => 4,
            };
            let (rows, events) = (&rows, &events);
            (0..parts).map(move |part| async move {
                let mine: Vec<Row> = rows
                    .iter()
                    .filter(|r| slot(&r.conversation_id, parts) == part)
                    .cloned()
                    .collect();
                db.insert_decisions(&mine).await.unwrap();
                let mine: Vec<Event> = events
                    .iter()
                    .filter(|e| slot(&e.conversation_id, parts) == part)
                    .cloned()
                    .collect();
                for (k, chunk) in mine.chunks(5000).enumerate() {
                    let at = received + (part * events.len() + 5000 * k) as i64;
                    db.insert_events(chunk, at).await.unwrap();
                }
            })
        }))
        .await;
        d += rows.len();
        e += events.len();
        if d >= next_note {
            next_note += 100_000;
            eprintln!(
                "  … {d} decisions, {e} events written ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    (d, e)
}

/// Which of `parts` writers takes conversation `id`.
fn slot(id: &str, parts: usize) -> usize {
    id.bytes().last().map_or(0, |b| b as usize % parts)
}

/// Runs the futures concurrently, on this task.
async fn futures_join<F: std::future::Future<Output = ()>>(futs: impl Iterator<Item = F>) {
    let mut set: Vec<std::pin::Pin<Box<F>>> = futs.map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        set.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if set.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

fn window(category: Option<&str>) -> Window {
    let to = END;
    let from = (end() - chrono::Duration::weeks(WEEKS)).to_rfc3339();
    let args = WindowArgs {
        from: Some(&from),
        to: Some(to),
        bucket: Some("week"),
        category,
        channel: None,
    };
    Window::parse(&args, Utc::now()).unwrap()
}

fn settings() -> KpiConfig {
    KpiConfig::default()
}

/// Seconds `f` took, and its output.
async fn timed<T>(f: impl std::future::Future<Output = T>) -> (f64, T) {
    let start = Instant::now();
    let out = f.await;
    (start.elapsed().as_secs_f64(), out)
}

/// The report in process: two full runs, one filtered, then each query.
async fn in_process(label: &str, db: &Db) {
    let all = window(None);
    let (first, report) = timed(compute(db, &all, &settings(), Utc::now())).await;
    let report = report.unwrap();
    // A report scores at most `MAX_PER_REPORT` replies: work off the rest
    // of the backlog, so that the second run is the steady state.
    let (drain, rest) = timed(async {
        let mut n = 0;
        loop {
            let k = escalator::kpi::replies::score_pending(db).await.unwrap();
            n += k;
            if k < escalator::kpi::replies::MAX_PER_REPORT {
                return n;
            }
        }
    })
    .await;
    let (second, again) = timed(compute(db, &all, &settings(), Utc::now())).await;
    let again = again.unwrap();
    assert_eq!(report.contacts, again.contacts);
    let billing = window(Some("billing"));
    let (filtered, one) = timed(compute(db, &billing, &settings(), Utc::now())).await;
    let one = one.unwrap();
    println!("{label}: compute() over {WEEKS} weeks");
    println!(
        "  contacts {}, escalated {}, first replies scored {} (pending after the first run: {}, after the second: {})",
        report.contacts,
        report.escalation.escalated.count,
        again.first_reply.scored,
        report.first_reply.pending,
        again.first_reply.pending
    );
    println!(
        "  first run (scores up to {} pending first replies): {first:>8.2} s",
        escalator::kpi::replies::MAX_PER_REPORT
    );
    println!("  the rest of the backlog ({rest} replies) scored apart: {drain:>8.2} s");
    println!("  second run (steady state):                {second:>8.2} s");
    println!(
        "  category=billing ({} contacts):       {filtered:>8.2} s",
        one.contacts
    );

    // Each part on its own, as compute() runs them.
    let micros = |d: chrono::Duration| d.num_microseconds().unwrap();
    let scope = Scope {
        from: all.from.timestamp_micros(),
        to: all.to.timestamp_micros(),
        bucket_us: micros(all.bucket.length()),
        category: None,
        channel: None,
        reopen_us: micros(chrono::Duration::days(settings().reopen_window_days.into())),
        now: Utc::now().timestamp_micros(),
    };
    let mut parts: Vec<(&str, f64)> = Vec::new();
    let (t, _) = timed(escalator::kpi::replies::score_pending(db)).await;
    parts.push(("score_pending (nothing pending)", t));
    let (t, s) = timed(db.kpi_session(scope)).await;
    parts.push(("open: fill kpi_conv", t));
    let mut s = s.unwrap();
    let (t, _) = timed(s.totals()).await;
    parts.push(("totals", t));
    let (t, _) = timed(s.by_category()).await;
    parts.push(("by_category", t));
    for (name, c) in [
        ("carried(code)", Column::Code),
        ("carried(tag)", Column::Tag),
        ("carried(source)", Column::Source),
    ] {
        let (t, _) = timed(s.carried(c)).await;
        parts.push((name, t));
    }
    let (t, _) = timed(s.time_to_human()).await;
    parts.push(("time_to_human", t));
    let (t, _) = timed(s.replies()).await;
    parts.push(("replies", t));
    let (t, _) = timed(s.handling()).await;
    parts.push(("handling", t));
    let (t, _) = timed(s.trend()).await;
    parts.push(("trend", t));
    let (t, _) = timed(s.verdicts()).await;
    parts.push(("verdicts", t));
    let (t, _) = timed(s.verdict_totals()).await;
    parts.push(("verdict_totals", t));
    s.close().await.unwrap();
    println!("  each part, steady state:");
    for (name, t) in parts {
        println!("    {name:<32} {t:>8.3} s");
    }
}

/// Resident memory: this process's VmRSS, and for PostgreSQL the summed
/// private memory (RssAnon) of its backends serving the bench's database.
#[derive(Clone, Copy, Default)]
struct Memory {
    rss_kib: u64,
    pg_anon_kib: u64,
}

fn status_kib(text: &str, key: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn memory() -> Memory {
    let me = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mut pg = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(cmd) = std::fs::read(path.join("cmdline")) else {
            continue;
        };
        if cmd.starts_with(b"postgres: escalator escalator_") {
            let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
            pg += status_kib(&status, "RssAnon:");
        }
    }
    Memory {
        rss_kib: status_kib(&me, "VmRSS:"),
        pg_anon_kib: pg,
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The p-th fraction of sorted samples.
fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        f64::NAN
    } else {
        common::pct(sorted, p)
    }
}

/// The real service on `url`: decide latency before and during the report,
/// the report's time through the API, and memory.
fn through_the_service(label: &str, url: &str) {
    let plugins = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let toml = format!(
        "[store]\nurl = {url:?}\ndata_dir = {:?}\nretain_days = 36500\n",
        data.path().display().to_string()
    );
    let mut config = Config::parse(&toml).expect("bench config parses");
    config.plugins_dir = plugins.path().to_owned();
    config.cache_dir = None;

    let (server_rt, addr) = common::serve(config, 0);
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("load-generator")
        .enable_all()
        .build()
        .unwrap();

    // Memory every 100 ms.
    let samples: Arc<Mutex<Vec<(Instant, Memory)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (samples, stop) = (samples.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let m = memory();
                samples.lock().unwrap().push((Instant::now(), m));
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    client_rt.block_on(async {
        let client = reqwest::Client::new();
        let base = format!("http://{addr}");
        let from = (end() - chrono::Duration::weeks(WEEKS)).to_rfc3339();
        let kpis = format!(
            "{base}/v1/kpis?from={}&to={}&bucket=week",
            urlencode(&from),
            urlencode(END)
        );
        // The log opens in the background: wait for an empty window.
        let empty = format!(
            "{base}/v1/kpis?from={}&to={}",
            urlencode(END),
            urlencode("2026-11-03T00:00:00Z")
        );
        let ready = Instant::now();
        loop {
            let r = client.get(&empty).send().await.unwrap();
            if r.status().is_success() {
                break;
            }
            assert!(ready.elapsed() < Duration::from_secs(60), "the log never opened");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // Steady decide load, open loop; each sample is (sent, ms).
        let body: Value = serde_json::from_str(common::CONVERSATION).unwrap();
        let load_stop = Arc::new(AtomicBool::new(false));
        let load = {
            let (client, body, url, load_stop) = (
                client.clone(),
                body.clone(),
                format!("{base}/v1/decide"),
                load_stop.clone(),
            );
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                let mut tasks = Vec::new();
                while !load_stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    let (client, body, url) = (client.clone(), body.clone(), url.clone());
                    tasks.push(tokio::spawn(async move {
                        let sent = Instant::now();
                        let r = client.post(url).json(&body).send().await.unwrap();
                        assert!(r.status().is_success());
                        r.bytes().await.unwrap();
                        (sent, sent.elapsed().as_secs_f64() * 1e3)
                    }));
                }
                let mut out = Vec::new();
                for t in tasks {
                    out.push(t.await.unwrap());
                }
                out
            })
        };
        tokio::time::sleep(Duration::from_secs(BASELINE_S)).await;
        let before = memory();
        // Reset the peak (VmHWM) to the present.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let start = Instant::now();
        let r = client.get(&kpis).send().await.unwrap();
        let status = r.status();
        let report: Value = r.json().await.unwrap();
        let end_at = Instant::now();
        let api_s = (end_at - start).as_secs_f64();
        assert!(status.is_success(), "{report}");
        let hwm = status_kib(
            &std::fs::read_to_string("/proc/self/status").unwrap_or_default(),
            "VmHWM:",
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        load_stop.store(true, Ordering::Relaxed);
        let lat = load.await.unwrap();
        let after = memory();

        let split = |keep: &dyn Fn(Instant) -> bool| {
            let mut v: Vec<f64> = lat
                .iter()
                .filter(|(s, _)| keep(*s))
                .map(|(_, ms)| *ms)
                .collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let baseline = split(&|s| s < start);
        let during = split(&|s| s >= start && s < end_at);
        let peak = samples
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _)| *t >= start && *t <= end_at)
            .fold(Memory::default(), |a, (_, m)| Memory {
                rss_kib: a.rss_kib.max(m.rss_kib),
                pg_anon_kib: a.pg_anon_kib.max(m.pg_anon_kib),
            });
        println!(
            "{label}: GET /v1/kpis over {WEEKS} weeks under {RATE} decide/s: {api_s:.2} s \
             ({} contacts)",
            report["contacts"]
        );
        for (name, v) in [("baseline", &baseline), ("during the report", &during)] {
            println!(
                "  decide latency {name:<18} ({:>5} requests): p50 {:7.2} ms  p99 {:7.2} ms  max {:8.2} ms",
                v.len(),
                pct(v, 0.5),
                pct(v, 0.99),
                v.last().copied().unwrap_or(f64::NAN)
            );
        }
        println!(
            "  process RSS: before {:.1} MiB, peak during {:.1} MiB (VmHWM {:.1} MiB), 3 s after {:.1} MiB",
            mib(before.rss_kib),
            mib(peak.rss_kib),
            mib(hwm),
            mib(after.rss_kib)
        );
        if before.pg_anon_kib + peak.pg_anon_kib > 0 {
            println!(
                "  PostgreSQL backends, private memory (RssAnon summed): before {:.1} MiB, peak during {:.1} MiB, after {:.1} MiB",
                mib(before.pg_anon_kib),
                mib(peak.pg_anon_kib),
                mib(after.pg_anon_kib)
            );
        }
    });
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    drop(client_rt);
    server_rt.shutdown_timeout(Duration::from_secs(5));
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('+', "%2B")
}

fn main() {
    let decisions: usize = std::env::var("ESCALATOR_BENCH_DECISIONS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let backends = std::env::var("ESCALATOR_BENCH_BACKENDS")
        .unwrap_or_else(|_| "sqlite,postgres".into())
        .to_lowercase();
    let want_sqlite = backends.contains("sqlite");
    let want_pg = backends.contains("postgres");
    let have_pg = want_pg
        && std::fs::read_dir("/usr/lib/postgresql")
            .map(|d| d.flatten().any(|e| e.path().join("bin/initdb").exists()))
            .unwrap_or(false);
    if want_pg && !have_pg {
        println!("PostgreSQL skipped: no initdb under /usr/lib/postgresql/*/bin");
    }
    let pg = have_pg.then(postgres::Postgres::start);
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("kpis.db").display());
    let pg_url = pg.as_ref().map(|p| p.new_database());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sqlite = match want_sqlite {
            true => Some(Db::open(&sqlite_url).await.unwrap()),
            false => None,
        };
        let postgres = match &pg_url {
            Some(url) => Some(Db::open(url).await.unwrap()),
            None => None,
        };
        let dbs: Vec<&Db> = sqlite.iter().chain(postgres.iter()).collect();
        let (t, (d, e)) = timed(fill(&dbs, decisions)).await;
        println!(
            "dataset: {d} decisions, {e} outcome events ({:.2} per decision), {WEEKS} weeks; \
             written to {} store(s) in {t:.0} s",
            e as f64 / d as f64,
            dbs.len()
        );
        for (label, db) in [
            ("SQLite", sqlite.as_ref()),
            ("PostgreSQL", postgres.as_ref()),
        ] {
            if let Some(db) = db {
                let size = db.size_bytes().await.unwrap();
                println!(
                    "{label}: database size {:.0} MiB",
                    size as f64 / (1 << 20) as f64
                );
                in_process(label, db).await;
            }
        }
        for db in dbs {
            db.close().await;
        }
    });
    drop(rt);

    if want_sqlite {
        through_the_service("SQLite", &sqlite_url);
    }
    if let Some(url) = &pg_url {
        through_the_service("PostgreSQL", url);
    }
}
