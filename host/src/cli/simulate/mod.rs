//! `escalator simulate`: drives a running server with synthetic but
//! plausible support traffic — conversations in English, Portuguese and
//! Spanish, decided through `POST /v1/decide`, then the outcome events a
//! help desk would report through `POST /v1/outcomes` — so that the KPI
//! dashboard and the review queue have something to show in one command.
//!
//! A seed fixes everything sent: the same seed, count and `--end` send the
//! same requests and the same events, byte for byte (decision ids come from
//! the server). Conversation ids are `sim-{seed}-{i}` and event ids derive
//! from them, so running a seed twice stores no event twice.

mod client;
mod outcomes;
mod people;
mod phrases;
mod rng;
mod script;

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, DurationRound, Utc};
use serde_json::Value;
use tokio::task::JoinSet;

use client::{Client, Posted};
use outcomes::{Decided, Event};
use script::{Conversation, Window};

/// Decisions asked for at once: enough to keep a server busy, few enough
/// not to crowd out real traffic (the server decides 64 at a time).
const IN_FLIGHT: usize = 8;

/// Events per `POST /v1/outcomes`: below the API's 1000, so a run streams
/// several batches as a help desk does, and a repeated event often lands
/// in a later batch, where the server counts it as a repeat.
const BATCH: usize = 250;

/// How long to wait for the decisions to be written before sending their
/// events (events for decisions not yet written are stored all the same,
/// but counted as unknown).
const WRITE_WAIT: Duration = Duration::from_secs(10);

/// What `simulate` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server's base URL.
    pub server: String,
    /// How many conversations.
    pub conversations: u64,
    /// The seed.
    pub seed: u64,
    /// The window's length in days.
    pub days: u32,
    /// The window's end, RFC 3339 (default: now, truncated to the hour).
    pub end: Option<String>,
}

/// What a run did, for the summary.
#[derive(Debug, Default)]
struct Report {
    decisions: BTreeMap<String, u64>,
    events: BTreeMap<&'static str, u64>,
    sent: u64,
    resent: u64,
    late: u64,
    batches: u64,
    stored: u64,
    repeated: u64,
    unknown: u64,
    withheld: u64,
    /// Optional first-reply fields an older server refused.
    reply_fields_refused: Vec<String>,
}

/// Runs the simulation and writes a summary to `out`; returns the exit
/// code (0). Failures (bad arguments, an unreachable server, a refused
/// request) are errors, which the command line reports with exit code 2.
pub fn run(options: &Options, out: &mut dyn Write) -> anyhow::Result<i32> {
    let started = Instant::now();
    anyhow::ensure!(
        options.conversations > 0,
        "--conversations must be at least 1"
    );
    anyhow::ensure!(options.days > 0, "--days must be at least 1");
    let end = match &options.end {
        Some(s) => DateTime::parse_from_rfc3339(s)
            .with_context(|| format!("--end {s:?} is not an RFC 3339 time"))?
            .with_timezone(&Utc),
        None => Utc::now().duration_trunc(chrono::Duration::hours(1))?,
    };
    let window = Window {
        start: end - chrono::Duration::days(i64::from(options.days)),
        end,
    };
    let client = Client::new(&options.server)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(simulate(&client, options, window))?;
    let mut line = |s: String| writeln!(out, "{s}");
    line(format!(
        "simulated {} conversations (seed {}) from {} to {} against {}",
        options.conversations,
        options.seed,
        script::rfc3339(window.start),
        script::rfc3339(window.end),
        client.base()
    ))?;
    line(format!(
        "decisions: {} ({})",
        report.decisions.values().sum::<u64>(),
        counts(report.decisions.iter().map(|(k, v)| (k.as_str(), *v)))
    ))?;
    line(format!(
        "events: {} ({})",
        report.events.values().sum::<u64>(),
        counts(report.events.iter().map(|(k, v)| (*k, *v)))
    ))?;
    line(format!(
        "sent: {} events in {} batches, {} of them re-sent and {} late; the server stored {} \
         and counted {} as repeats",
        report.sent, report.batches, report.resent, report.late, report.stored, report.repeated
    ))?;
    if report.withheld > 0 {
        line(format!(
            "withheld: {} events dated after the server's clock (not happened yet)",
            report.withheld
        ))?;
    }
    if report.unknown > 0 {
        line(format!(
            "note: {} events name decisions the log did not hold yet",
            report.unknown
        ))?;
    }
    if !report.reply_fields_refused.is_empty() {
        line(format!(
            "note: the server does not take `{}` on human_first_reply; replies were sent \
             without it",
            report.reply_fields_refused.join("`, `")
        ))?;
    }
    line(format!("elapsed: {:.1} s", started.elapsed().as_secs_f64()))?;
    Ok(0)
}

/// `a 3, b 5`.
fn counts<'a>(items: impl Iterator<Item = (&'a str, u64)>) -> String {
    items
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn simulate(client: &Client, options: &Options, window: Window) -> anyhow::Result<Report> {
    let probe = client.probe().await?;
    let decided = decide_all(client, options, &window).await?;
    let mut report = Report::default();
    for (_, d) in &decided {
        *report.decisions.entry(d.action.clone()).or_default() += 1;
    }
    // Outcome events name their decision; give the writer a moment to
    // commit the decisions first, as a help desk's events come later.
    let target = probe.written + decided.len() as u64;
    let deadline = Instant::now() + WRITE_WAIT;
    while client.written().await? < target && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut events: Vec<Event> = decided
        .iter()
        .flat_map(|(conv, d)| outcomes::derive(options.seed, conv, d))
        .collect();
    // Events later than the server's clock have not happened yet, and the
    // API refuses those more than a day ahead.
    let before = events.len();
    events.retain(|e| e.at <= probe.clock);
    report.withheld = (before - events.len()) as u64;
    for e in &events {
        *report.events.entry(e.kind).or_default() += 1;
    }
    let sent = outcomes::delivery(options.seed, events);
    report.sent = sent.events.len() as u64;
    report.resent = sent.resent;
    report.late = sent.late;
    for chunk in sent.events.chunks(BATCH) {
        let mut batch: Vec<Value> = chunk.iter().map(|e| e.body.clone()).collect();
        loop {
            for field in &report.reply_fields_refused {
                for e in &mut batch {
                    if e["type"] == "human_first_reply"
                        && let Some(obj) = e.as_object_mut()
                    {
                        obj.remove(field);
                    }
                }
            }
            match client.outcomes(&batch).await? {
                Posted::Accepted {
                    stored,
                    repeated,
                    unknown,
                } => {
                    report.batches += 1;
                    report.stored += stored;
                    report.repeated += repeated;
                    report.unknown += unknown;
                    break;
                }
                Posted::Refused { field, message } => {
                    match optional_reply_field(&batch, &field) {
                        // A server from before the reply's text (or queue)
                        // existed refuses the field; the rest of the story
                        // is still worth telling.
                        Some(name) if !report.reply_fields_refused.contains(&name) => {
                            report.reply_fields_refused.push(name);
                        }
                        _ => anyhow::bail!(
                            "{}/v1/outcomes refused a batch: {field}: {message}",
                            client.base()
                        ),
                    }
                }
            }
        }
    }
    Ok(report)
}

/// The name of the field `field` (`events[12].text`) names, when it is
/// one of a first reply's optional fields that older servers lack.
fn optional_reply_field(batch: &[Value], field: &str) -> Option<String> {
    let (index, name) = field.strip_prefix("events[")?.split_once("].")?;
    let event = batch.get(index.parse::<usize>().ok()?)?;
    (event["type"] == "human_first_reply" && ["text", "queue"].contains(&name))
        .then(|| name.to_owned())
}

/// Decides every conversation, [`IN_FLIGHT`] at a time; returns them in
/// index order whatever order the answers came in.
async fn decide_all(
    client: &Client,
    options: &Options,
    window: &Window,
) -> anyhow::Result<Vec<(Conversation, Decided)>> {
    let count = options.conversations;
    let mut slots: Vec<Option<(Conversation, Decided)>> = Vec::new();
    slots.resize_with(count as usize, || None);
    let mut tasks = JoinSet::new();
    let mut next = 0u64;
    while next < count || !tasks.is_empty() {
        while next < count && tasks.len() < IN_FLIGHT {
            let conv = script::conversation(options.seed, next, count, window);
            let client = client.clone();
            tasks.spawn(async move {
                let answer = client.decide(&conv.request()).await;
                (conv, answer)
            });
            next += 1;
        }
        if let Some(joined) = tasks.join_next().await {
            let (conv, answer) = joined.context("a decision task failed")?;
            let decided = Decided::from_answer(&answer?)?;
            let i = conv.index as usize;
            slots[i] = Some((conv, decided));
        }
    }
    Ok(slots.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_a_first_replys_optional_fields_are_dropped() {
        let batch = vec![
            json!({"type": "csat", "score": 4}),
            json!({"type": "human_first_reply", "agent": "ana", "text": "Oi"}),
        ];
        assert_eq!(
            optional_reply_field(&batch, "events[1].text").as_deref(),
            Some("text")
        );
        assert_eq!(optional_reply_field(&batch, "events[1].agent"), None);
        assert_eq!(optional_reply_field(&batch, "events[0].text"), None);
        assert_eq!(optional_reply_field(&batch, "events[7].text"), None);
    }
}
