//! The review loop's queries: escalations waiting for a person's verdict,
//! and the verdicts given, each decision's latest.

use sqlx::Row as _;

use super::db::{Db, placeholders};

/// Which escalations `GET /v1/review` samples from.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    /// Decided at or after, µs.
    pub since: Option<i64>,
    /// Decided before, µs.
    pub until: Option<i64>,
    /// Carried by a reason with this tag.
    pub tag: Option<String>,
    /// Carried by this reason code.
    pub reason: Option<String>,
    /// Of this category (`""` for none).
    pub category: Option<String>,
    /// A plugin voted in it.
    pub plugin: Option<String>,
    /// Only escalations nobody has reviewed.
    pub unreviewed: bool,
    /// The newest this many are sampled from.
    pub limit: i64,
}

/// An escalation that may be offered for review.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The decision.
    pub decision_id: String,
    /// Its category (`""` for none).
    pub category: String,
}

/// A person's latest verdict on a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The decision.
    pub decision_id: String,
    /// `correct`, `unnecessary` or `missed`.
    pub verdict: String,
    /// The review event as stored (JSON): tag, note, reviewer, time.
    pub event: String,
}

/// The latest review event of each decision, as a subquery.
const LATEST_REVIEW: &str = "SELECT decision_id, COALESCE(detail, '') AS detail, event, \
    ROW_NUMBER() OVER \
    (PARTITION BY decision_id ORDER BY at DESC, received_at DESC, event_id DESC) AS rn \
    FROM outcome_events WHERE type = 'review' AND decision_id IS NOT NULL";

impl Db {
    /// Escalations matching `filter`, newest first, at most `filter.limit`.
    pub async fn review_candidates(
        &self,
        filter: &ReviewFilter,
    ) -> Result<Vec<Candidate>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT d.decision_id, COALESCE(d.category, '') FROM decisions d \
             WHERE d.action = 'escalate' \
               AND ($1 IS NULL OR d.decided_at >= $1) AND ($2 IS NULL OR d.decided_at < $2) \
               AND ($3 IS NULL OR EXISTS (SELECT 1 FROM decision_reasons r \
                    WHERE r.decision_id = d.decision_id AND r.tag = $3)) \
               AND ($4 IS NULL OR EXISTS (SELECT 1 FROM decision_reasons r \
                    WHERE r.decision_id = d.decision_id AND r.code = $4)) \
               AND ($5 IS NULL OR COALESCE(d.category, '') = $5) \
               AND ($6 IS NULL OR EXISTS (SELECT 1 FROM decision_plugins p \
                    WHERE p.decision_id = d.decision_id AND p.plugin = $6)) \
               AND ($7 = 0 OR NOT EXISTS (SELECT 1 FROM outcome_events e \
                    WHERE e.type = 'review' AND e.decision_id = d.decision_id)) \
             ORDER BY d.decided_at DESC, d.decision_id DESC LIMIT $8",
        )
        .bind(filter.since)
        .bind(filter.until)
        .bind(&filter.tag)
        .bind(&filter.reason)
        .bind(&filter.category)
        .bind(&filter.plugin)
        .bind(i64::from(filter.unreviewed))
        .bind(filter.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Candidate {
                    decision_id: r.try_get(0)?,
                    category: r.try_get(1)?,
                })
            })
            .collect()
    }

    /// The latest verdict on each of `ids` that has one.
    pub async fn verdicts_of(&self, ids: &[String]) -> Result<Vec<Verdict>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = placeholders(self.backend, 1, ids.len());
        let sql = format!(
            "SELECT decision_id, detail, event FROM ({LATEST_REVIEW}) v \
             WHERE rn = 1 AND decision_id IN {list} ORDER BY decision_id"
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(Verdict {
                    decision_id: r.try_get(0)?,
                    verdict: r.try_get(1)?,
                    event: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// Reviewed decisions made in [`since`, `until`), oldest first, after
    /// `after` (decided_at µs, id), at most `limit`: each with its latest
    /// verdict and its record.
    pub async fn reviewed(
        &self,
        since: Option<i64>,
        until: Option<i64>,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<(i64, Verdict, String)>, sqlx::Error> {
        let (after_at, after_id) = after.unzip();
        let sql = format!(
            "SELECT d.decided_at, d.decision_id, v.detail, v.event, d.record \
             FROM ({LATEST_REVIEW}) v JOIN decisions d ON d.decision_id = v.decision_id \
             WHERE v.rn = 1 AND ($1 IS NULL OR d.decided_at >= $1) \
               AND ($2 IS NULL OR d.decided_at < $2) \
               AND ($3 IS NULL OR d.decided_at > $3 OR (d.decided_at = $3 AND d.decision_id > $4)) \
             ORDER BY d.decided_at, d.decision_id LIMIT $5"
        );
        let rows = sqlx::query(&sql)
            .bind(since)
            .bind(until)
            .bind(after_at)
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    Verdict {
                        decision_id: r.try_get(1)?,
                        verdict: r.try_get(2)?,
                        event: r.try_get(3)?,
                    },
                    r.try_get(4)?,
                ))
            })
            .collect()
    }
}
