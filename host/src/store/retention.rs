//! Retention: records older than `store.retain_days`, counted from when they
//! were recorded, are deleted in the background.

use std::sync::Arc;
use std::time::Duration;

use super::Shared;

/// How often old records are looked for.
const EVERY: Duration = Duration::from_secs(3600);

/// Deletes old records once the database is open, then every hour, until
/// aborted. `retain_days = 0` keeps everything.
pub(super) async fn run(shared: Arc<Shared>, retain_days: u32) {
    if retain_days == 0 {
        return;
    }
    loop {
        if let Some(db) = shared.db.get() {
            let cutoff = chrono::Utc::now() - chrono::Duration::days(retain_days.into());
            match db.delete_before(cutoff.timestamp_micros()).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(decisions = n, retain_days, "deleted records past retention")
                }
                Err(e) => tracing::warn!("cannot delete records past retention: {e}"),
            }
            tokio::time::sleep(EVERY).await;
        } else {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
