//! The writer: takes recorded decisions off the queue in batches and
//! commits each batch in one transaction, at least every
//! `store.flush_interval_ms`. When the database fails, batches go to the
//! spool and, while anything waits there, so do new ones — the spool drains
//! oldest first once the database answers again, so records land in order,
//! and the store's idempotent inserts make a batch written twice count once.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::mpsc::Receiver;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::time::{Instant, timeout, timeout_at};

use super::Shared;
use super::mask::Mask;
use super::record::{Entry, Row};
use super::spool::Spool;
use crate::config::StoreConfig;

/// The longest one batch's commit may take before it counts as failed and
/// the batch goes to the spool (a database that hangs rather than refuses).
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Retries of a failing database start here and double up to
/// [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// On shutdown, the spool gets this long to drain into the database; what
/// remains stays on disk for the next start.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(5);

pub(super) struct Writer {
    pub rx: Receiver<Entry>,
    pub shared: Arc<Shared>,
    pub spool: Option<Spool>,
    pub mask: Mask,
    pub batch_max: usize,
    pub flush: Duration,
    pub retry_at: Instant,
    pub backoff: Duration,
}

impl Writer {
    pub(super) fn new(
        rx: Receiver<Entry>,
        shared: Arc<Shared>,
        spool: Option<Spool>,
        mask: Mask,
        config: &StoreConfig,
    ) -> Writer {
        Writer {
            rx,
            shared,
            spool,
            mask,
            batch_max: config.batch_max as usize,
            flush: Duration::from_millis(config.flush_interval_ms),
            retry_at: Instant::now(),
            backoff: MIN_BACKOFF,
        }
    }

    /// Runs until the queue is closed and emptied.
    pub(super) async fn run(mut self) {
        self.publish_spool();
        loop {
            let waiting = self.spool.as_ref().is_some_and(|s| !s.is_empty());
            // With records in the spool, wake up to retry the database even
            // when no decision comes.
            let idle = waiting.then(|| {
                self.retry_at
                    .saturating_duration_since(Instant::now())
                    .max(MIN_BACKOFF)
            });
            let (batch, closed) = self.gather(idle).await;
            if !batch.is_empty() {
                self.write(batch).await;
            }
            self.drain_spool(None).await;
            if closed {
                self.drain_spool(Some(Instant::now() + SHUTDOWN_DRAIN))
                    .await;
                return;
            }
        }
    }

    /// Waits for the first entry (at most `idle`, when given), then takes
    /// what arrives until that entry is a flush interval old, up to a
    /// batch: an entry that already waited (while the previous batch was
    /// written) is written at once with whatever is queued behind it. True
    /// when the queue is closed and empty.
    async fn gather(&mut self, idle: Option<Duration>) -> (Vec<Entry>, bool) {
        let mut batch = Vec::new();
        let first = match idle {
            Some(wait) => match timeout(wait, self.rx.recv()).await {
                Ok(first) => first,
                Err(_) => return (batch, false),
            },
            None => self.rx.recv().await,
        };
        let Some(first) = first else {
            return (batch, true);
        };
        let waited = (chrono::Utc::now() - first.recorded_at)
            .to_std()
            .unwrap_or_default();
        let deadline = Instant::now() + self.flush.saturating_sub(waited);
        batch.push(first);
        while batch.len() < self.batch_max {
            match self.rx.try_recv() {
                Ok(e) => {
                    batch.push(e);
                    continue;
                }
                Err(TryRecvError::Disconnected) => return (batch, true),
                Err(TryRecvError::Empty) => {}
            }
            match timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(e)) => batch.push(e),
                Ok(None) => return (batch, true),
                Err(_) => break,
            }
        }
        (batch, false)
    }

    /// Builds the rows (off the async workers: masking and serialising is
    /// CPU work) and commits them, or spools them.
    async fn write(&mut self, batch: Vec<Entry>) {
        let mask = self.mask.clone();
        let Ok(rows) = tokio::task::spawn_blocking(move || {
            batch
                .into_iter()
                .map(|e| Row::build(e, &mask))
                .collect::<Vec<Row>>()
        })
        .await
        else {
            return;
        };
        let spool_waiting = self.spool.as_ref().is_some_and(|s| !s.is_empty());
        if !spool_waiting && Instant::now() >= self.retry_at && self.commit(&rows).await {
            return;
        }
        self.spool_rows(rows).await;
    }

    /// Commits `rows`; on failure notes it and schedules the next try.
    async fn commit(&mut self, rows: &[Row]) -> bool {
        let Some(db) = self.shared.db.get() else {
            return false;
        };
        let result = timeout(WRITE_TIMEOUT, db.insert_decisions(rows)).await;
        let stats = &self.shared.stats;
        match result {
            Ok(Ok(stored)) => {
                stats.written.fetch_add(stored, Ordering::Relaxed);
                stats.db_up.store(true, Ordering::Release);
                self.backoff = MIN_BACKOFF;
                true
            }
            failed => {
                let message = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => format!("no answer within {} s", WRITE_TIMEOUT.as_secs()),
                };
                if stats.db_up.swap(false, Ordering::AcqRel) {
                    tracing::warn!("the store is failing, records go to the spool: {message}");
                }
                stats.write_errors.fetch_add(1, Ordering::Relaxed);
                *stats.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
                self.retry_at = Instant::now() + self.backoff;
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                false
            }
        }
    }

    /// When a chunk fails but the database answers, one of its rows is
    /// refused for good (a value the database cannot store): commits the
    /// rows one by one and drops, logs and counts those refused, so they
    /// cannot hold back the spool forever. False if the database is down.
    async fn commit_singly(&mut self, rows: &[Row]) -> bool {
        let Some(db) = self.shared.db.get() else {
            return false;
        };
        if timeout(WRITE_TIMEOUT, db.ping())
            .await
            .map_or(true, |r| r.is_err())
        {
            return false;
        }
        for row in rows {
            match timeout(
                WRITE_TIMEOUT,
                db.insert_decisions(std::slice::from_ref(row)),
            )
            .await
            {
                Ok(Ok(n)) => {
                    self.shared.stats.written.fetch_add(n, Ordering::Relaxed);
                }
                Ok(Err(e)) => {
                    self.shared.stats.drop_records(1);
                    tracing::error!(decision_id = %row.decision_id, "the store refuses this record; dropped: {e}");
                }
                Err(_) => return false,
            }
        }
        self.retry_at = Instant::now();
        self.backoff = MIN_BACKOFF;
        self.shared.stats.db_up.store(true, Ordering::Release);
        true
    }

    async fn spool_rows(&mut self, rows: Vec<Row>) {
        let n = rows.len() as u64;
        let stats = self.shared.stats.clone();
        let Some(spool) = self.spool.take() else {
            stats.drop_records(n);
            tracing::error!(
                records = n,
                "no spool to hold records the store refused; dropped"
            );
            return;
        };
        let (spool, result) = tokio::task::spawn_blocking(move || {
            let mut spool = spool;
            let r = spool.append(&rows);
            (spool, r)
        })
        .await
        .expect("the spool append does not panic");
        self.spool = Some(spool);
        match result {
            Ok(dropped) => {
                if dropped > 0 {
                    stats.drop_records(dropped);
                    tracing::error!(
                        records = dropped,
                        "the spool is at store.spool_max_mib; dropped its oldest records"
                    );
                }
            }
            Err(e) => {
                stats.drop_records(n);
                tracing::error!(
                    records = n,
                    "cannot write to the spool, records dropped: {e}"
                );
            }
        }
        self.publish_spool();
    }

    /// Moves spooled records into the database, oldest segment first: one
    /// segment, or until `until` when shutting down.
    async fn drain_spool(&mut self, until: Option<Instant>) {
        loop {
            let ready = self.spool.as_ref().is_some_and(|s| !s.is_empty())
                && self.shared.db.get().is_some()
                && Instant::now() >= self.retry_at;
            if !ready || until.is_some_and(|u| Instant::now() >= u) {
                return;
            }
            let mut spool = self.spool.take().expect("checked above");
            let (spool, oldest) = tokio::task::spawn_blocking(move || {
                let r = spool.oldest();
                (spool, r)
            })
            .await
            .expect("reading the spool does not panic");
            self.spool = Some(spool);
            let (seq, rows, torn) = match oldest {
                Ok(Some(o)) => o,
                Ok(None) => return,
                Err(e) => {
                    tracing::error!("cannot read the spool: {e}");
                    self.retry_at = Instant::now() + MAX_BACKOFF;
                    return;
                }
            };
            for chunk in rows.chunks(self.batch_max) {
                if !self.commit(chunk).await && !self.commit_singly(chunk).await {
                    return;
                }
            }
            if torn > 0 {
                self.shared.stats.drop_records(torn);
                tracing::warn!(records = torn, "skipped spooled records torn by a crash");
            }
            if let Some(spool) = self.spool.as_mut()
                && let Err(e) = spool.remove(seq)
            {
                tracing::error!("cannot remove a drained spool segment: {e}");
            }
            self.publish_spool();
            if until.is_none() {
                return;
            }
        }
    }

    fn publish_spool(&self) {
        let (records, bytes) = self
            .spool
            .as_ref()
            .map_or((0, 0), |s| (s.records(), s.bytes()));
        self.shared.stats.spooled.store(records, Ordering::Relaxed);
        self.shared
            .stats
            .spool_bytes
            .store(bytes, Ordering::Relaxed);
    }
}
