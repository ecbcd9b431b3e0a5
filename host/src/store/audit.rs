//! The audit trail's table: appending events and reading them back.

use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::Db;

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// A UUID v7, so events sort by time.
    pub event_id: String,
    /// When it happened, by the server's clock.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who: the API token's name, `file (uid N)` for an edit of a watched
    /// file, `service` for the service itself.
    pub actor: String,
    /// What, e.g. `config.reload`, `plugin.load`, `plugin.replace`,
    /// `plugin.remove`, `plugin.refuse`, `replay.run`, `service.start`.
    pub action: String,
    /// What was acted on: a plugin's name, the config file's name.
    pub target: String,
    /// `applied`, or `refused` (the service kept what it had).
    pub outcome: String,
    /// SHA-256 of what was in force before, when there was something.
    pub before_sha256: Option<String>,
    /// SHA-256 of what was offered.
    pub after_sha256: Option<String>,
    /// Why it was refused, or what else an operator needs to know.
    pub detail: Option<String>,
}

/// Which audit events to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// From this time (µs since the epoch), inclusive.
    pub since: Option<i64>,
    /// Before this time, exclusive.
    pub until: Option<i64>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this target.
    pub target: Option<String>,
    /// At most this many, newest first.
    pub limit: i64,
}

impl Db {
    /// Appends `events`; an event already stored (same id) is skipped.
    pub async fn insert_audit(&self, events: &[AuditEvent]) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for e in events {
            sqlx::query(
                "INSERT INTO audit_events (event_id, at, actor, action, target, outcome, \
                 before_sha256, after_sha256, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (event_id) DO NOTHING",
            )
            .bind(&e.event_id)
            .bind(e.at.timestamp_micros())
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.target)
            .bind(&e.outcome)
            .bind(&e.before_sha256)
            .bind(&e.after_sha256)
            .bind(&e.detail)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// Audit events matching `filter`, newest first.
    pub async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT event_id, at, actor, action, target, outcome, before_sha256, after_sha256, \
             detail FROM audit_events WHERE ($1 IS NULL OR at >= $1) AND ($2 IS NULL OR at < $2) \
             AND ($3 IS NULL OR action = $3) AND ($4 IS NULL OR actor = $4) \
             AND ($5 IS NULL OR target = $5) ORDER BY at DESC, event_id DESC LIMIT $6",
        )
        .bind(filter.since)
        .bind(filter.until)
        .bind(&filter.action)
        .bind(&filter.actor)
        .bind(&filter.target)
        .bind(filter.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at: i64 = r.try_get(1)?;
                Ok(AuditEvent {
                    event_id: r.try_get(0)?,
                    at: chrono::DateTime::from_timestamp_micros(at).unwrap_or_default(),
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    target: r.try_get(4)?,
                    outcome: r.try_get(5)?,
                    before_sha256: r.try_get(6)?,
                    after_sha256: r.try_get(7)?,
                    detail: r.try_get(8)?,
                })
            })
            .collect()
    }
}
