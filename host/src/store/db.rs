//! The database: one connection pool and one set of queries over SQLite or
//! PostgreSQL (sqlx's `Any` driver), the schema migrated at open. Every
//! query is written once and means the same on both: `$n` parameters, which
//! both accept, and only TEXT, BIGINT and DOUBLE PRECISION columns.

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row as _};

use super::record::Row;
use crate::config::store::{Backend, backend_of, redact};
use crate::outcome::Event;

/// The schema's migrations, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Rows per multi-row INSERT: 50 decisions are 1050 parameters, well within
/// both databases' limits, and one statement instead of fifty.
const ROWS_PER_STATEMENT: usize = 50;

/// `($1, …, $cols), ($cols+1, …)` for `rows` rows: the parameter list of a
/// multi-row INSERT. Only placeholders are generated; values are bound.
/// SQLite gets anonymous `?`s: its driver looks each named parameter up by
/// walking a list, which made binding 950 `$n`s cost more than the insert.
pub(super) fn placeholders(backend: Backend, rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            match backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => {
                    out.push('$');
                    out.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        out.push(')');
    }
    out
}

/// An open, migrated store.
#[derive(Clone)]
pub struct Db {
    pub(super) pool: AnyPool,
    pub(super) backend: Backend,
}

/// What a batch of outcome events did.
#[derive(Debug, Default)]
pub struct EventsWritten {
    /// Events stored by this batch.
    pub stored: usize,
    /// Events already stored under the same `event_id`.
    pub repeated: usize,
    /// `decision_id`s the store does not know (yet).
    pub unknown_decisions: Vec<String>,
}

impl Db {
    /// Connects to `url` and brings the schema up to date. A SQLite file and
    /// its directory are created when missing.
    pub async fn open(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url).map_err(anyhow::Error::msg)?;
        let (url, connections) = match backend {
            Backend::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                if let Some(dir) = std::path::Path::new(path).parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir)?;
                }
                let sep = if url.contains('?') { '&' } else { '?' };
                let url = if url.contains("mode=") {
                    url.to_owned()
                } else {
                    format!("{url}{sep}mode=rwc")
                };
                (url, 4)
            }
            Backend::Postgres => (url.to_owned(), 8),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            // A SQLite connection opened while the file was read-only stays
            // read-only: recycling connections lets the store recover once
            // the file is writable again.
            .max_lifetime(match backend {
                Backend::Sqlite => Duration::from_secs(5),
                Backend::Postgres => Duration::from_secs(1800),
            })
            .acquire_timeout(Duration::from_secs(2))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets reads run beside the writer; NORMAL syncs
                        // at checkpoints, which WAL keeps crash-safe.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 2000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the store {}: {e}", redact(&url)))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| anyhow::anyhow!("cannot migrate the store {}: {e}", redact(&url)))?;
        let db = Db { pool, backend };
        db.fill_event_facts()
            .await
            .map_err(|e| anyhow::anyhow!("cannot migrate the store {}: {e}", redact(&url)))?;
        Ok(db)
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Writes `rows` in one transaction, several rows per statement, and
    /// returns how many decisions were new. A row already stored (same
    /// decision id, or same reason or plugin of it) is left as it is, so
    /// writing a batch twice stores it once.
    pub async fn insert_decisions(&self, rows: &[Row]) -> Result<u64, sqlx::Error> {
        let mut stored = 0;
        let mut tx = self.pool.begin().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO decisions (decision_id, conversation_id, decided_at, recorded_at, \
                 channel, category, subcategory, customer_tier, language, customer_id, action, \
                 shadow_action, tier, priority, score, hard, config_version, config_sha256, \
                 generation, elapsed_us, record) VALUES {} ON CONFLICT (decision_id) DO NOTHING",
                placeholders(self.backend, chunk.len(), 21)
            );
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(&r.decision_id)
                    .bind(&r.conversation_id)
                    .bind(r.decided_at)
                    .bind(r.recorded_at)
                    .bind(&r.channel)
                    .bind(&r.category)
                    .bind(&r.subcategory)
                    .bind(&r.customer_tier)
                    .bind(&r.language)
                    .bind(&r.customer_id)
                    .bind(&r.action)
                    .bind(&r.shadow_action)
                    .bind(&r.tier)
                    .bind(r.priority)
                    .bind(r.score)
                    .bind(i64::from(r.hard))
                    .bind(r.config_version)
                    .bind(&r.config_sha256)
                    .bind(r.generation)
                    .bind(r.elapsed_us)
                    .bind(&r.record);
            }
            stored += q.execute(&mut *tx).await?.rows_affected();
        }
        let reasons: Vec<(&str, i64, &super::record::ReasonRow)> = rows
            .iter()
            .flat_map(|r| {
                r.reasons
                    .iter()
                    .enumerate()
                    .map(move |(i, reason)| (r.decision_id.as_str(), i as i64, reason))
            })
            .collect();
        for chunk in reasons.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO decision_reasons (decision_id, position, source, code, tag) \
                 VALUES {} ON CONFLICT (decision_id, position) DO NOTHING",
                placeholders(self.backend, chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for (id, position, reason) in chunk {
                q = q
                    .bind(*id)
                    .bind(*position)
                    .bind(&reason.source)
                    .bind(&reason.code)
                    .bind(&reason.tag);
            }
            q.execute(&mut *tx).await?;
        }
        let plugins: Vec<(&str, &super::record::PluginRow)> = rows
            .iter()
            .flat_map(|r| r.plugins.iter().map(move |p| (r.decision_id.as_str(), p)))
            .collect();
        for chunk in plugins.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO decision_plugins (decision_id, plugin, version, sha256, verdict, \
                 error_kind) VALUES {} ON CONFLICT (decision_id, plugin) DO NOTHING",
                placeholders(self.backend, chunk.len(), 6)
            );
            let mut q = sqlx::query(&sql);
            for (id, p) in chunk {
                q = q
                    .bind(*id)
                    .bind(&p.plugin)
                    .bind(&p.version)
                    .bind(&p.sha256)
                    .bind(&p.verdict)
                    .bind(&p.error_kind);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// Writes a batch of events in one transaction: all or none. An event
    /// whose id is already stored is counted as repeated and left as it is.
    pub async fn insert_events(
        &self,
        events: &[Event],
        received_at: i64,
    ) -> Result<EventsWritten, sqlx::Error> {
        let mut written = EventsWritten::default();
        let mut tx = self.pool.begin().await?;
        for (i, e) in events.iter().enumerate() {
            let body = serde_json::to_string(e).unwrap_or_default();
            let facts = e.facts();
            let done = sqlx::query(
                "INSERT INTO outcome_events (event_id, type, conversation_id, decision_id, at, \
                 received_at, event, facts, agent, queue, detail, score, tag, reply_level) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (event_id) DO NOTHING",
            )
            .bind(&e.event_id)
            .bind(e.kind.as_str())
            .bind(&e.conversation_id)
            .bind(&e.decision_id)
            .bind(e.at.timestamp_micros())
            .bind(received_at + i as i64)
            .bind(body)
            .bind(facts.agent)
            .bind(facts.queue)
            .bind(facts.detail)
            .bind(facts.score)
            .bind(facts.tag)
            // A reply's text is scored against the decision it follows,
            // which may not be in the log yet: the KPI report scores it.
            .bind(e.reply_text().map(|_| "pending"))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                written.repeated += 1;
            } else {
                written.stored += 1;
            }
        }
        let mut asked: Vec<&str> = events
            .iter()
            .filter_map(|e| e.decision_id.as_deref())
            .collect();
        asked.sort_unstable();
        asked.dedup();
        for id in asked {
            let known = sqlx::query("SELECT 1 FROM decisions WHERE decision_id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !known {
                written.unknown_decisions.push(id.to_owned());
            }
        }
        tx.commit().await?;
        Ok(written)
    }

    /// Fills the fact columns of events stored before they existed, a page
    /// at a time, from each event's JSON.
    async fn fill_event_facts(&self) -> Result<(), sqlx::Error> {
        loop {
            let page = sqlx::query(
                "SELECT event_id, type, event FROM outcome_events WHERE facts = 0 LIMIT 500",
            )
            .fetch_all(&self.pool)
            .await?;
            if page.is_empty() {
                return Ok(());
            }
            let mut tx = self.pool.begin().await?;
            for row in &page {
                let id: String = row.try_get(0)?;
                let kind: String = row.try_get(1)?;
                let body: String = row.try_get(2)?;
                let fields: std::collections::BTreeMap<String, serde_json::Value> =
                    serde_json::from_str(&body).unwrap_or_default();
                let facts = crate::outcome::EventType::parse(&kind)
                    .map(|k| crate::outcome::Facts::of(k, &fields))
                    .unwrap_or_default();
                sqlx::query(
                    "UPDATE outcome_events SET facts = 1, agent = $1, queue = $2, detail = $3, \
                     score = $4, tag = $5 WHERE event_id = $6",
                )
                .bind(facts.agent)
                .bind(facts.queue)
                .bind(facts.detail)
                .bind(facts.score)
                .bind(facts.tag)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
    }

    /// The record of decision `id`.
    pub async fn decision(&self, id: &str) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query("SELECT record FROM decisions WHERE decision_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get::<String, _>(0)).transpose()
    }

    /// Decisions matching `filter`, newest first, at most `filter.limit`;
    /// `after` continues below a previous page's last (time, id).
    pub async fn decisions(&self, filter: &Filter) -> Result<Vec<String>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT record FROM decisions d WHERE \
               ($1 IS NULL OR d.decided_at >= $1) AND ($2 IS NULL OR d.decided_at < $2) \
               AND ($3 IS NULL OR d.conversation_id = $3) AND ($4 IS NULL OR d.action = $4) \
               AND ($5 IS NULL OR d.category = $5) \
               AND ($6 IS NULL OR EXISTS (SELECT 1 FROM decision_reasons r \
                    WHERE r.decision_id = d.decision_id AND r.code = $6)) \
               AND ($7 IS NULL OR EXISTS (SELECT 1 FROM decision_reasons r \
                    WHERE r.decision_id = d.decision_id AND r.tag = $7)) \
               AND ($8 IS NULL OR EXISTS (SELECT 1 FROM decision_plugins p \
                    WHERE p.decision_id = d.decision_id AND p.plugin = $8)) \
               AND ($9 IS NULL OR d.decided_at < $9 OR (d.decided_at = $9 AND d.decision_id < $10)) \
             ORDER BY d.decided_at DESC, d.decision_id DESC LIMIT $11",
        )
        .bind(filter.since)
        .bind(filter.until)
        .bind(&filter.conversation)
        .bind(&filter.action)
        .bind(&filter.category)
        .bind(&filter.reason)
        .bind(&filter.tag)
        .bind(&filter.plugin)
        .bind(filter.after.as_ref().map(|a| a.0))
        .bind(filter.after.as_ref().map(|a| a.1.clone()))
        .bind(filter.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
    }

    /// Every decision and event of conversation `id`, each as (time µs,
    /// tie-break, kind, JSON), in time order.
    pub async fn conversation(&self, id: &str) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
        let decisions = sqlx::query(
            "SELECT record FROM decisions WHERE conversation_id = $1 \
             ORDER BY decided_at, decision_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let events = sqlx::query(
            "SELECT event FROM outcome_events WHERE conversation_id = $1 \
             ORDER BY at, received_at, event_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let text = |rows: Vec<AnyRow>| -> Result<Vec<String>, sqlx::Error> {
            rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
        };
        Ok((text(decisions)?, text(events)?))
    }

    /// Decisions made in [`since`, `until`), oldest first, at most `limit`,
    /// continuing after `after` (decided_at µs, decision_id): the export's
    /// pages.
    pub async fn decisions_between(
        &self,
        since: Option<i64>,
        until: Option<i64>,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
        let (after_at, after_id) = after.unzip();
        let rows = sqlx::query(
            "SELECT decided_at, decision_id, record FROM decisions WHERE                ($1 IS NULL OR decided_at >= $1) AND ($2 IS NULL OR decided_at < $2)                AND ($3 IS NULL OR decided_at > $3 OR (decided_at = $3 AND decision_id > $4))              ORDER BY decided_at, decision_id LIMIT $5",
        )
        .bind(since)
        .bind(until)
        .bind(after_at)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Outcome events received in [`since`, `until`) (µs), oldest first, at
    /// most `limit`, continuing after `after` (received µs, event id).
    pub async fn events_between(
        &self,
        since: Option<i64>,
        until: Option<i64>,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
        let (after_at, after_id) = after.unzip();
        let rows = sqlx::query(
            "SELECT received_at, event_id, event FROM outcome_events WHERE \
             ($1 IS NULL OR received_at >= $1) AND ($2 IS NULL OR received_at < $2) \
             AND ($3 IS NULL OR received_at > $3 OR (received_at = $3 AND event_id > $4)) \
             ORDER BY received_at, event_id LIMIT $5",
        )
        .bind(since)
        .bind(until)
        .bind(after_at)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Deletes decisions recorded, and events received, before `cutoff`
    /// (µs); returns how many decisions went.
    pub async fn delete_before(&self, cutoff: i64) -> Result<u64, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for child in ["decision_reasons", "decision_plugins"] {
            // Table names come from the list above, never from input.
            let sql = format!(
                "DELETE FROM {child} WHERE decision_id IN \
                 (SELECT decision_id FROM decisions WHERE recorded_at < $1)"
            );
            sqlx::query(&sql).bind(cutoff).execute(&mut *tx).await?;
        }
        let gone = sqlx::query("DELETE FROM decisions WHERE recorded_at < $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM outcome_events WHERE received_at < $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(gone)
    }

    /// The database's size on disk, in bytes.
    pub async fn size_bytes(&self) -> Result<i64, sqlx::Error> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            }
            Backend::Postgres => "SELECT pg_database_size(current_database())",
        };
        sqlx::query(sql)
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>(0)
    }

    /// Decisions stored.
    pub async fn count_decisions(&self) -> Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) FROM decisions")
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>(0)
    }
}

/// Which decisions `GET /v1/decisions` lists.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Decided at or after, µs.
    pub since: Option<i64>,
    /// Decided before, µs.
    pub until: Option<i64>,
    /// One conversation.
    pub conversation: Option<String>,
    /// One action.
    pub action: Option<String>,
    /// One topic category.
    pub category: Option<String>,
    /// Carried by this reason code.
    pub reason: Option<String>,
    /// Carried by a reason with this tag.
    pub tag: Option<String>,
    /// This plugin voted.
    pub plugin: Option<String>,
    /// Continue below this (decided_at µs, decision_id).
    pub after: Option<(i64, String)>,
    /// Page size.
    pub limit: i64,
}
