//! One replay from start to end: the decisions selected from the store (or
//! read from a file), a page at a time, decided again on replay's own
//! threads, and paired with their baselines.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::case::Case;
use super::item::{self, Item};
use super::run::{Rules, Workers, replay};
use crate::store::db::Db;

/// Decisions read, and decided again, per page: big enough to keep every
/// worker busy, small enough that a page's records are a few MiB.
const PAGE: i64 = 2000;

/// Which logged decisions a replay covers. Every filter must match.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Decided at or after this (µs since the epoch).
    pub since: Option<i64>,
    /// Decided before this (µs).
    pub until: Option<i64>,
    /// The request's topic category.
    pub category: Option<String>,
    /// The request's channel.
    pub channel: Option<String>,
    /// The logged action.
    pub action: Option<String>,
    /// The customer's tier.
    pub customer_tier: Option<String>,
    /// One conversation.
    pub conversation: Option<String>,
    /// Only decisions a reviewer gave a verdict on.
    pub reviewed_only: bool,
    /// At most this many decisions, oldest first.
    pub limit: Option<u64>,
}

impl Selection {
    /// True when `record` passes every filter but the reviewed one.
    fn matches(&self, record: &Value) -> bool {
        let r = &record["request"];
        let is = |want: &Option<String>, got: &Value| {
            want.as_deref().is_none_or(|w| got.as_str() == Some(w))
        };
        is(&self.category, &r["topic"]["category"])
            && is(&self.channel, &r["channel"])
            && is(&self.action, &record["action"])
            && is(&self.customer_tier, &r["customer"]["tier"])
            && is(&self.conversation, &record["conversation_id"])
    }
}

/// How far a replay has got, for a progress bar.
#[derive(Debug, Default)]
pub struct Progress {
    /// Decisions to look at (before filters), once known.
    pub total: AtomicU64,
    /// Decisions looked at so far.
    pub done: AtomicU64,
}

/// What a replay produced: a case per decision decided again, and how many
/// could not be, by why.
#[derive(Debug, Default)]
pub struct Replayed {
    /// The pairs, in the log's order.
    pub cases: Vec<Case>,
    /// Decisions left out, by reason.
    pub skipped: BTreeMap<String, u64>,
}

impl Replayed {
    fn skip(&mut self, why: &str) {
        *self.skipped.entry(why.to_owned()).or_default() += 1;
    }
}

/// Replays the decisions of `selection` from `db` with `candidate`.
///
/// Each page's records are parsed, filtered and decided on replay's own
/// threads: only the database round trips run on the caller's (async)
/// thread.
pub async fn from_store(
    db: &Db,
    selection: &Selection,
    candidate: &Rules,
    workers: Workers,
    progress: &Arc<Progress>,
) -> anyhow::Result<Replayed> {
    let total = db.count_between(selection.since, selection.until).await?;
    let limit = selection.limit.unwrap_or(u64::MAX);
    progress
        .total
        .store((total.max(0) as u64).min(limit), Ordering::Relaxed);
    let mut out = Replayed::default();
    let mut taken = 0u64;
    let mut after = None;
    loop {
        let page = db
            .decisions_between(selection.since, selection.until, after, PAGE)
            .await?;
        let full = page.len() as i64 == PAGE;
        after = page.last().map(|(at, id, _)| (*at, id.clone()));
        let ids: Vec<String> = page.iter().map(|(_, id, _)| id.clone()).collect();
        let verdicts: HashMap<String, String> = db
            .verdicts_of(&ids)
            .await?
            .into_iter()
            .map(|v| (v.decision_id, v.verdict))
            .collect();
        let looked_at = progress.done.load(Ordering::Relaxed);
        let page_len = page.len() as u64;
        let texts: Vec<String> = page.into_iter().map(|(_, _, text)| text).collect();
        let (sel, rules, prog) = (selection.clone(), candidate.clone(), progress.clone());
        let room = limit - taken;
        let done = off_the_caller(move || {
            let (items, mut part) = select(texts, verdicts, &sel, room);
            part.cases = replay(items.items, &rules, &rules, workers, &prog.done);
            (part, items.taken)
        })
        .await?;
        let (part, took) = done;
        taken += took;
        out.cases.extend(part.cases);
        for (why, n) in part.skipped {
            *out.skipped.entry(why).or_default() += n;
        }
        // Filtered and skipped decisions count as looked at too.
        progress.done.store(looked_at + page_len, Ordering::Relaxed);
        if !full || taken == limit {
            break;
        }
    }
    let total = progress.total.load(Ordering::Relaxed);
    progress.done.store(total, Ordering::Relaxed);
    Ok(out)
}

/// The items of one page that `selection` takes, at most `room` of them.
struct Selected {
    items: Vec<Item>,
    taken: u64,
}

/// Parses a page's records and keeps those `selection` wants, each with
/// its verdict; what cannot be replayed is counted in the `Replayed`.
fn select(
    texts: Vec<String>,
    mut verdicts: HashMap<String, String>,
    selection: &Selection,
    room: u64,
) -> (Selected, Replayed) {
    let mut out = Replayed::default();
    let mut selected = Selected {
        items: Vec::new(),
        taken: 0,
    };
    for text in texts {
        if selected.taken == room {
            break;
        }
        let record = match serde_json::from_str::<Value>(&text) {
            Ok(v) => v,
            Err(_) => {
                out.skip(item::UNREADABLE);
                continue;
            }
        };
        if !selection.matches(&record) {
            continue;
        }
        let verdict = record["decision_id"]
            .as_str()
            .and_then(|id| verdicts.remove(id));
        if selection.reviewed_only && verdict.is_none() {
            continue;
        }
        selected.taken += 1;
        match Item::of_value(record, verdict) {
            Ok(item) => selected.items.push(item),
            Err(why) => out.skip(why),
        }
    }
    (selected, out)
}

/// Replays the conversations of a file: JSON lines or one JSON array, each
/// a stored record (as `escalator log export` writes them; its logged
/// decision is the baseline) or a bare request (the body of `POST
/// /v1/decide`; `baseline` decides it). Requests without a `now` are
/// decided as of `now`.
pub async fn from_file(
    reader: impl BufRead,
    candidate: &Rules,
    baseline: &Rules,
    workers: Workers,
    progress: &Arc<Progress>,
    now: DateTime<Utc>,
) -> anyhow::Result<Replayed> {
    let values = read_values(reader)?;
    progress.total.store(values.len() as u64, Ordering::Relaxed);
    let mut out = Replayed::default();
    let mut items = Vec::with_capacity(values.len());
    for (n, value) in values.into_iter().enumerate() {
        let item = if item::is_record(&value) {
            Item::of_value(value, None).map_err(str::to_owned)
        } else {
            Item::of_request(&value, n + 1, now)
                .map_err(|e| format!("invalid request: {}", first_words(&e)))
        };
        match item {
            Ok(i) => items.push(i),
            Err(why) => out.skip(&why),
        }
    }
    let (logged, bare): (Vec<Item>, Vec<Item>) =
        items.into_iter().partition(|i| i.logged.is_some());
    out.cases
        .extend(detached_with(logged, candidate, candidate, workers, progress).await?);
    out.cases
        .extend(detached_with(bare, candidate, baseline, workers, progress).await?);
    Ok(out)
}

/// An error's first line, so that a skip reason groups like ones.
fn first_words(e: &str) -> String {
    e.split(':').next().unwrap_or(e).trim().to_owned()
}

/// The JSON values of a file of lines or an array.
fn read_values(mut reader: impl BufRead) -> anyhow::Result<Vec<Value>> {
    let mut text = String::new();
    reader.read_to_string(&mut text)?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("the file is not a JSON array of conversations: {e}"));
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| anyhow::anyhow!("line {}: not JSON: {e}", i + 1))
        })
        .collect()
}

/// [`replay`] of `items` on threads of their own, awaited without holding
/// an async worker.
async fn detached_with(
    items: Vec<Item>,
    candidate: &Rules,
    baseline: &Rules,
    workers: Workers,
    progress: &Arc<Progress>,
) -> anyhow::Result<Vec<Case>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let (candidate, baseline, progress) = (candidate.clone(), baseline.clone(), progress.clone());
    off_the_caller(move || replay(items, &candidate, &baseline, workers, &progress.done)).await
}

/// Runs `f` on a thread of its own and awaits its result.
pub async fn off_the_caller<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("escalator-replay".into())
        .spawn(move || {
            let _ = tx.send(f());
        })?;
    rx.await
        .map_err(|_| anyhow::anyhow!("a replay thread panicked"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_selection_matches_on_every_filter() {
        let record = json!({"action": "escalate", "conversation_id": "c1",
            "request": {"channel": "chat", "topic": {"category": "billing"},
                        "customer": {"tier": "gold"}}});
        let all = Selection::default();
        assert!(all.matches(&record));
        let billing = Selection {
            category: Some("billing".into()),
            customer_tier: Some("gold".into()),
            ..Selection::default()
        };
        assert!(billing.matches(&record));
        let stays = Selection {
            action: Some("stay".into()),
            ..Selection::default()
        };
        assert!(!stays.matches(&record));
    }

    #[test]
    fn a_file_is_lines_or_an_array() {
        let lines = "{\"a\":1}\n\n{\"a\":2}\n";
        assert_eq!(read_values(lines.as_bytes()).unwrap().len(), 2);
        let array = " [{\"a\":1},{\"a\":2},{\"a\":3}]";
        assert_eq!(read_values(array.as_bytes()).unwrap().len(), 3);
        let broken = "{\"a\":1}\n{oops\n";
        let e = read_values(broken.as_bytes()).unwrap_err().to_string();
        assert!(e.starts_with("line 2"), "{e}");
    }
}
