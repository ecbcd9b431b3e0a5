//! The decision log: every decision recorded, off the request path, in an
//! embedded SQLite file or a PostgreSQL server, with outcome events beside
//! it.
//!
//! The data flows: the API hands an [`Entry`] to [`Store::record`], which
//! only queues it (a full queue drops and counts, never waits); the
//! [`writer`] masks ([`mask`]) and builds rows ([`record`]), commits them in
//! batches ([`db`]) or, while the database fails, appends them to the
//! [`spool`] and drains it once the database is back. [`retention`] deletes
//! old records. The database is opened in the background, so a store that
//! is down at start delays nothing: decisions are spooled meanwhile.

pub mod audit;
pub mod db;
pub mod kpi;
pub mod mask;
pub mod prior;
pub mod record;
mod replay;
mod retention;
pub mod review;
pub mod spool;
mod writer;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc::{self, Sender, error::TrySendError};
use tokio::task::JoinHandle;

use crate::config::StoreConfig;
use crate::config::store::{Backend, backend_of, redact};
pub use db::{Db, EventsWritten, Filter};
pub use record::{Entry, Row};

/// The running store: the queue into the writer, the database once open,
/// and the counters `GET /v1/store` shows.
pub struct Store {
    tx: RwLock<Option<Sender<Entry>>>,
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
    tasks: Vec<JoinHandle<()>>,
    url: String,
    backend: Backend,
    /// The masking rules, for lookups by a masked column.
    mask: mask::Mask,
}

/// What the writer and the API share.
pub(crate) struct Shared {
    db: OnceLock<Db>,
    stats: Arc<Stats>,
}

/// Counters of the recording path.
#[derive(Default)]
pub(crate) struct Stats {
    recorded: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    spooled: AtomicU64,
    spool_bytes: AtomicU64,
    write_errors: AtomicU64,
    db_up: AtomicBool,
    last_error: Mutex<Option<String>>,
}

impl Stats {
    /// Counts `n` records lost, here and in the metrics; returns the count
    /// before.
    pub(crate) fn drop_records(&self, n: u64) -> u64 {
        crate::telemetry::service::store_dropped(n);
        self.dropped.fetch_add(n, Ordering::Relaxed)
    }
}

/// `GET /v1/store`: where records go and how recording is doing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoreStatus {
    /// `sqlite` or `postgres`.
    pub backend: Backend,
    /// The URL, password hidden.
    pub url: String,
    /// The database is open and the latest write succeeded.
    pub connected: bool,
    /// Decisions handed to the recorder since start.
    pub recorded: u64,
    /// Decisions committed to the database since start.
    pub written: u64,
    /// Records waiting in the spool.
    pub spooled: u64,
    /// The spool's size on disk.
    pub spool_bytes: u64,
    /// Records lost since start: the queue was full, the spool at its cap
    /// or unwritable, or a spooled line torn by a crash.
    pub dropped: u64,
    /// Failed commits since start.
    pub write_errors: u64,
    /// The latest failure.
    pub last_error: Option<String>,
}

impl Store {
    /// Starts the store of `config`: the spool is opened now, the database
    /// in the background (retrying until it answers). Must be called on the
    /// async runtime.
    pub fn start(config: &StoreConfig) -> anyhow::Result<Store> {
        let url = config.effective_url();
        let backend = backend_of(&url).map_err(anyhow::Error::msg)?;
        let mask = mask::Mask::new(&config.mask)?;
        let spool_dir = config.data_dir.join("spool");
        let spool = match spool::Spool::open(&spool_dir, config.spool_max_mib << 20) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!(dir = %spool_dir.display(), "cannot open the spool; records the store refuses will be dropped: {e}");
                None
            }
        };
        let (tx, rx) = mpsc::channel(config.queue_capacity as usize);
        let shared = Arc::new(Shared {
            db: OnceLock::new(),
            stats: Arc::new(Stats::default()),
        });
        let writer = writer::Writer::new(rx, shared.clone(), spool, mask.clone(), config);
        let writer = tokio::spawn(writer.run());
        let opener = tokio::spawn(open_in_background(url.clone(), shared.clone()));
        let retention = tokio::spawn(retention::run(shared.clone(), config.retain_days));
        Ok(Store {
            tx: RwLock::new(Some(tx)),
            shared,
            writer: Mutex::new(Some(writer)),
            tasks: vec![opener, retention],
            url,
            backend,
            mask,
        })
    }

    /// Queues a decision for the log. Never waits: with the queue full, the
    /// record is dropped and counted.
    pub fn record(&self, entry: Entry) {
        let stats = &self.shared.stats;
        stats.recorded.fetch_add(1, Ordering::Relaxed);
        let tx = self.tx.read().unwrap_or_else(|e| e.into_inner());
        let sent = match tx.as_ref() {
            Some(tx) => tx.try_send(entry),
            None => Err(TrySendError::Closed(entry)),
        };
        match sent {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Closed(_)) => {
                if stats.drop_records(1).is_multiple_of(1000) {
                    tracing::error!(
                        "the store's queue is full (store.queue_capacity); records dropped"
                    );
                }
            }
        }
    }

    /// Decisions queued for the writer now.
    pub fn queue_depth(&self) -> u64 {
        let tx = self.tx.read().unwrap_or_else(|e| e.into_inner());
        tx.as_ref()
            .map_or(0, |tx| (tx.max_capacity() - tx.capacity()) as u64)
    }

    /// The database, once open.
    pub fn db(&self) -> Option<&Db> {
        self.shared.db.get()
    }

    /// Waits until the database is open, at most `within`.
    pub async fn wait_open(&self, within: Duration) -> Option<&Db> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(db) = self.db() {
                return Some(db);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// How recording is doing.
    pub fn status(&self) -> StoreStatus {
        let s = &self.shared.stats;
        StoreStatus {
            backend: self.backend,
            url: redact(&self.url),
            connected: self.db().is_some() && s.db_up.load(Ordering::Acquire),
            recorded: s.recorded.load(Ordering::Relaxed),
            written: s.written.load(Ordering::Relaxed),
            spooled: s.spooled.load(Ordering::Relaxed),
            spool_bytes: s.spool_bytes.load(Ordering::Relaxed),
            dropped: s.dropped.load(Ordering::Relaxed),
            write_errors: s.write_errors.load(Ordering::Relaxed),
            last_error: s
                .last_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }

    /// Flushes everything queued to the database or, failing that, to the
    /// spool, then stops. Call after the last request is answered; records
    /// handed over after it are dropped and counted.
    pub async fn close(&self) {
        // Dropping the only sender lets the writer take what is queued and
        // then see the queue closed.
        self.tx.write().unwrap_or_else(|e| e.into_inner()).take();
        for t in &self.tasks {
            t.abort();
        }
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.await;
        }
        // A hung database must not hold the process after SIGTERM.
        if let Some(db) = self.db()
            && tokio::time::timeout(Duration::from_secs(5), db.close())
                .await
                .is_err()
        {
            tracing::warn!("the store did not close within 5 s");
        }
    }
}

async fn open_in_background(url: String, shared: Arc<Shared>) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match Db::open(&url).await {
            Ok(db) => {
                tracing::info!(store = %redact(&url), "the decision log is open");
                let _ = shared.db.set(db);
                shared.stats.db_up.store(true, Ordering::Release);
                return;
            }
            Err(e) => {
                let message = format!("{e:#}");
                tracing::warn!("{message}; retrying in {} ms", backoff.as_millis());
                *shared
                    .stats
                    .last_error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(message);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}
