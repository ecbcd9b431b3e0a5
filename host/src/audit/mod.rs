//! The audit trail: who changed what the service runs with, when, and the
//! digests before and after. Events come from the reload thread (the
//! configuration file and plugin files: [`changes`]) and from operator
//! calls of the API; each is written to the log at once (target `audit`)
//! and appended to the decision log's database by a task of its own, which
//! keeps events while the database is down and retries. A refused change
//! is recorded as well as an applied one.

pub mod changes;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc::{self, Receiver, Sender, error::TrySendError};
use tokio::task::JoinHandle;

use crate::store::Store;
pub use crate::store::audit::{AuditEvent, AuditFilter};

/// Events waiting for the database; beyond it (a database down for a very
/// long time while files churn) events are kept in the log only.
const QUEUE: usize = 10_000;

/// Whether a change went live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It is in force.
    Applied,
    /// It was refused; what was in force stays.
    Refused,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Refused => "refused",
        }
    }
}

/// One change, before it gets an id and a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Who made it.
    pub actor: String,
    /// What kind of change, e.g. `plugin.replace`.
    pub action: &'static str,
    /// What it was made to.
    pub target: String,
    /// Whether it went live.
    pub outcome: Outcome,
    /// Digest of what was in force before.
    pub before: Option<String>,
    /// Digest of what was offered.
    pub after: Option<String>,
    /// Why it was refused, or more about it.
    pub detail: Option<String>,
}

/// The audit trail's entrance; cheap to clone.
#[derive(Clone)]
pub struct Audit {
    inner: Arc<Inner>,
}

struct Inner {
    tx: RwLock<Option<Sender<AuditEvent>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Audit {
    /// Starts the writer into `store`'s database; with no store, events go
    /// to the log only. Must be called on the async runtime.
    pub fn start(store: Option<Arc<Store>>) -> Audit {
        let (tx, writer) = match store {
            Some(store) => {
                let (tx, rx) = mpsc::channel(QUEUE);
                (Some(tx), Some(tokio::spawn(write(rx, store))))
            }
            None => (None, None),
        };
        Audit {
            inner: Arc::new(Inner {
                tx: RwLock::new(tx),
                writer: Mutex::new(writer),
            }),
        }
    }

    /// An audit trail that only logs, for tools that run no service.
    pub fn log_only() -> Audit {
        Audit {
            inner: Arc::new(Inner {
                tx: RwLock::new(None),
                writer: Mutex::new(None),
            }),
        }
    }

    /// Records `change`. Never waits.
    pub fn record(&self, change: Change) {
        let event = AuditEvent {
            event_id: uuid::Uuid::now_v7().to_string(),
            at: Utc::now(),
            actor: change.actor,
            action: change.action.to_owned(),
            target: change.target,
            outcome: change.outcome.as_str().to_owned(),
            before_sha256: change.before,
            after_sha256: change.after,
            detail: change.detail,
        };
        tracing::info!(
            target: "audit",
            actor = %event.actor,
            action = %event.action,
            subject = %event.target,
            outcome = %event.outcome,
            before_sha256 = event.before_sha256.as_deref().unwrap_or(""),
            after_sha256 = event.after_sha256.as_deref().unwrap_or(""),
            detail = event.detail.as_deref().unwrap_or(""),
            "audit"
        );
        let tx = self.inner.tx.read().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = tx.as_ref()
            && let Err(TrySendError::Full(_)) = tx.try_send(event)
        {
            tracing::error!(
                "the audit queue is full (the database has been down long); this event is in \
                 the log only"
            );
        }
    }

    /// Writes what is queued, then stops; at most a few seconds.
    pub async fn close(&self) {
        self.inner
            .tx
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let writer = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(writer) = writer
            && tokio::time::timeout(Duration::from_secs(5), writer)
                .await
                .is_err()
        {
            tracing::warn!("audit events not written within 5 s of shutdown are in the log only");
        }
    }
}

/// Appends queued events to the database, holding them while it is not
/// open or fails, until the queue closes.
async fn write(mut rx: Receiver<AuditEvent>, store: Arc<Store>) {
    let mut pending: Vec<AuditEvent> = Vec::new();
    let mut backoff = Duration::from_millis(100);
    loop {
        if pending.is_empty() {
            match rx.recv().await {
                Some(e) => pending.push(e),
                None => return,
            }
        }
        while let Ok(e) = rx.try_recv() {
            pending.push(e);
        }
        let written = match store.db() {
            Some(db) => match db.insert_audit(&pending).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!("cannot write the audit trail: {e}; retrying");
                    false
                }
            },
            None => false,
        };
        if written {
            pending.clear();
            backoff = Duration::from_millis(100);
        } else {
            // Closed while the database is away: what is pending is in the
            // log already.
            if rx.is_closed() && rx.is_empty() && store.wait_open(backoff).await.is_none() {
                return;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }
}

/// `file (uid N)`: who edited a watched file, as far as the file says.
pub fn file_actor(path: &std::path::Path) -> String {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(m) => format!("file (uid {})", m.uid()),
        Err(_) => "file".to_owned(),
    }
}
