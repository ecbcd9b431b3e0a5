//! The queries behind the handoff KPIs. Each returns counts and sums, never
//! ratios: the report divides in Rust, so SQLite and PostgreSQL give the
//! same numbers to the last digit (their floating-point sums may differ in
//! order, their integer ones cannot).
//!
//! A report first gathers one row per conversation of the window into a
//! temporary table on one connection ([`KpiSession::open`]): its key
//! decision and the facts its outcome events establish. Every KPI is then
//! a small aggregate over that table. The definitions are README's
//! ("Handoff KPIs"); the column comments below say which part each holds.

use sqlx::any::AnyRow;
use sqlx::pool::PoolConnection;
use sqlx::{Any, Row as _};

use super::db::Db;

/// What a report covers: decisions made in [`from`, `to`) (µs), cut into
/// buckets of `bucket_us` counted from `from`, optionally one category or
/// channel.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Start, µs, inclusive.
    pub from: i64,
    /// End, µs, exclusive.
    pub to: i64,
    /// Bucket length, µs.
    pub bucket_us: i64,
    /// Only conversations of this category (`""` for none).
    pub category: Option<String>,
    /// Only conversations on this channel (`""` for none).
    pub channel: Option<String>,
    /// A reopen within this long after the first resolution undoes it, µs.
    pub reopen_us: i64,
    /// The server's clock, µs: resolutions younger than the reopen window
    /// are counted as provisional.
    pub now: i64,
}

/// Per-conversation counts summed over a group of conversations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Conversations with a decision in the window.
    pub contacts: i64,
    /// With an `escalate` decision in the window.
    pub escalated: i64,
    /// With an `offer` decision and no `escalate` one.
    pub offered: i64,
    /// Escalated, or reached a human (an ownership change).
    pub handed_off: i64,
    /// With at least one ownership change.
    pub reached_human: i64,
    /// Resolved by the AI, never escalated, never with a human.
    pub ai_resolved: i64,
    /// With a `resolved` event.
    pub resolved: i64,
    /// Resolved, and not reopened within the reopen window after the
    /// first resolution.
    pub net_resolved: i64,
    /// Net resolved, but the reopen window is still open.
    pub net_provisional: i64,
    /// With a CSAT rating (the latest counts).
    pub rated: i64,
    /// Sum of those ratings.
    pub rating_sum: i64,
    /// Rated 4 or 5.
    pub satisfied: i64,
    /// Handed off and rated.
    pub handoff_rated: i64,
    /// Sum of their ratings.
    pub handoff_rating_sum: i64,
    /// Handed off and rated 4 or 5.
    pub handoff_satisfied: i64,
    /// Ownership changes of conversations that reached a human.
    pub ownership_changes: i64,
    /// With two or more ownership changes.
    pub repeat_handoffs: i64,
    /// Escalated, no human assigned since, not closed.
    pub waiting: i64,
    /// Escalated, closed (resolved or abandoned) before any human was
    /// assigned.
    pub closed_without_human: i64,
    /// Escalated, and a human assigned at or after the escalation.
    pub assigned: i64,
}

/// Reasons (or tags, or sources) of the escalations: how many escalated
/// conversations' key decisions carried `key` among `of` distinct ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Carried {
    /// The reason code, tag or source.
    pub key: String,
    /// How many distinct values of this kind the decision carried.
    pub of: i64,
    /// Conversations.
    pub conversations: i64,
}

/// Scored first replies of one queue and agent at one level.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyGroup {
    /// The queue (`""` when unknown).
    pub queue: String,
    /// The agent (`""` when unknown).
    pub agent: String,
    /// `aware`, `generic` or `restart`.
    pub level: String,
    /// Replies.
    pub replies: i64,
    /// Their points (0-3 each).
    pub points: i64,
}

/// Human handle time of one group of conversations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Handling {
    /// Conversations whose first assignment is in the window.
    pub conversations: i64,
    /// Of which ended (resolved, handed back or abandoned).
    pub ended: i64,
    /// Sum of their handle times, µs.
    pub total_us: i64,
    /// Exact handle-time percentiles, µs.
    pub percentiles: Percentiles,
}

/// Exact nearest-rank percentiles of a list of durations: the value at
/// rank ⌈p·n/100⌉ of the sorted list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Percentiles {
    /// How many values.
    pub n: i64,
    /// P50, µs.
    pub p50: Option<i64>,
    /// P90, µs.
    pub p90: Option<i64>,
    /// P99, µs.
    pub p99: Option<i64>,
    /// The largest, µs.
    pub max: Option<i64>,
}

/// One bucket of one category.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendCell {
    /// The bucket's index from the window's start.
    pub bucket: i64,
    /// The category (`""` for none).
    pub category: String,
    /// Conversations whose key decision fell in it.
    pub contacts: i64,
    /// Of which escalated.
    pub escalated: i64,
}

/// Reviewers' latest verdicts on decisions of the window, by the source
/// of a reason the decision carried (`""` when it carried none).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdicts {
    /// `builtin:…` or `plugin:…`, or `""`.
    pub source: String,
    /// Whether the reviewed decision escalated.
    pub escalated: bool,
    /// `correct`, `unnecessary` or `missed`.
    pub verdict: String,
    /// Decisions.
    pub decisions: i64,
}

/// Decisions of the window evaluated with shadow rules, counted by the
/// category they are reported under, the action enforced and the action
/// the shadow rules would have given.
#[derive(Debug, Clone, PartialEq)]
pub struct ShadowCell {
    /// The conversation's category as the report assigns it (its key
    /// decision's; `""` for none).
    pub category: String,
    /// The action enforced.
    pub action: String,
    /// The would-be action.
    pub shadow_action: String,
    /// Decisions.
    pub decisions: i64,
}

/// How far before an escalation an assignment or a closing may be dated
/// and still follow it: the decision's time is the caller's clock, the
/// event's the help desk's, and the two drift.
pub const CLOCK_SKEW_US: i64 = 60_000_000;

/// The columns of the per-conversation table, in the order filled.
const CONV_TABLE: &str = "CREATE TEMPORARY TABLE kpi_conv (\
    conversation_id TEXT, key_decision TEXT, key_at BIGINT, bucket BIGINT, \
    category TEXT, channel TEXT, escalated BIGINT, offered BIGINT, esc_at BIGINT, \
    assigned_after_esc BIGINT, closed_after_esc BIGINT, \
    first_resolved_at BIGINT, resolved_by_ai BIGINT, reopened_at BIGINT, csat BIGINT, \
    changes BIGINT)";

/// One row per conversation with a decision in the window. The key
/// decision is the first `escalate` in the window, else the latest
/// decision; category and channel are its. Outcome events count whenever
/// they happened, so a window's numbers settle as late events arrive.
///
/// Ownership changes, from the `human_assigned`, `transferred` and
/// `handed_back_to_ai` events in the order they happened: an assignment
/// counts 1 when it opens a human stretch (the first ownership event, or
/// the first after a hand-back); a transfer 1, or 2 when it opens a
/// stretch (the assignment it implies); a hand-back 1 when it closes a
/// stretch, 2 when it is the first ownership event, 0 after another
/// hand-back.
const FILL_CONV: &str = "WITH ranked AS (\
      SELECT conversation_id, decision_id, decided_at, action, category, channel, \
        ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY \
          CASE WHEN action = 'escalate' THEN 0 ELSE 1 END, \
          CASE WHEN action = 'escalate' THEN decided_at ELSE -decided_at END, \
          decision_id) AS rn, \
        MAX(CASE WHEN action = 'offer' THEN 1 ELSE 0 END) \
          OVER (PARTITION BY conversation_id) AS offered \
      FROM decisions WHERE decided_at >= $1 AND decided_at < $2), \
    conv AS (\
      SELECT conversation_id, decision_id, decided_at, \
        CASE WHEN action = 'escalate' THEN 1 ELSE 0 END AS escalated, \
        CASE WHEN action = 'escalate' THEN 0 ELSE offered END AS offered, \
        COALESCE(category, '') AS category, COALESCE(channel, '') AS channel \
      FROM ranked WHERE rn = 1 \
        AND ($4 IS NULL OR COALESCE(category, '') = $4) \
        AND ($5 IS NULL OR COALESCE(channel, '') = $5)), \
    own AS (\
      SELECT o.conversation_id, o.type, LAG(o.type) OVER (PARTITION BY o.conversation_id \
        ORDER BY o.at, o.received_at, o.event_id) AS prev \
      FROM outcome_events o JOIN conv c ON c.conversation_id = o.conversation_id \
      WHERE o.type IN ('human_assigned', 'transferred', 'handed_back_to_ai')), \
    changes AS (\
      SELECT conversation_id, SUM(CASE \
        WHEN type = 'human_assigned' THEN \
          CASE WHEN prev IS NULL OR prev = 'handed_back_to_ai' THEN 1 ELSE 0 END \
        WHEN type = 'transferred' THEN \
          CASE WHEN prev IS NULL OR prev = 'handed_back_to_ai' THEN 2 ELSE 1 END \
        ELSE CASE WHEN prev IS NULL THEN 2 WHEN prev = 'handed_back_to_ai' THEN 0 ELSE 1 END \
        END) AS n FROM own GROUP BY conversation_id) \
    INSERT INTO kpi_conv \
    SELECT c.conversation_id, c.decision_id, c.decided_at, (c.decided_at - $1) / $3, \
      c.category, c.channel, c.escalated, c.offered, \
      CASE WHEN c.escalated = 1 THEN c.decided_at END, \
      CASE WHEN c.escalated = 1 THEN (SELECT MIN(e.at) FROM outcome_events e \
        WHERE e.conversation_id = c.conversation_id AND e.type = 'human_assigned' \
        AND e.at >= c.decided_at - $6) END, \
      CASE WHEN c.escalated = 1 THEN (SELECT MIN(e.at) FROM outcome_events e \
        WHERE e.conversation_id = c.conversation_id AND e.type IN ('resolved', 'abandoned') \
        AND e.at >= c.decided_at - $6) END, \
      (SELECT MIN(e.at) FROM outcome_events e WHERE e.conversation_id = c.conversation_id \
        AND e.type = 'resolved'), \
      (SELECT COUNT(*) FROM outcome_events e WHERE e.conversation_id = c.conversation_id \
        AND e.type = 'resolved' AND e.detail = 'ai'), \
      (SELECT MIN(r.at) FROM outcome_events r WHERE r.conversation_id = c.conversation_id \
        AND r.type = 'reopened' AND r.at >= (SELECT MIN(x.at) FROM outcome_events x \
          WHERE x.conversation_id = c.conversation_id AND x.type = 'resolved')), \
      (SELECT s.score FROM outcome_events s WHERE s.conversation_id = c.conversation_id \
        AND s.type = 'csat' ORDER BY s.at DESC, s.received_at DESC, s.event_id DESC LIMIT 1), \
      COALESCE(ch.n, 0) \
    FROM conv c LEFT JOIN changes ch ON ch.conversation_id = c.conversation_id";

/// The sums of [`Counts`] over `kpi_conv`, `$1` the reopen window and `$2`
/// the clock (µs). Every SUM is cast: PostgreSQL sums BIGINTs as NUMERIC.
const COUNTS: &str = "COUNT(*), \
    CAST(COALESCE(SUM(escalated), 0) AS BIGINT), \
    CAST(COALESCE(SUM(offered), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN escalated = 1 OR changes > 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN changes > 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN resolved_by_ai > 0 AND escalated = 0 AND changes = 0 \
      THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN first_resolved_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN first_resolved_at IS NOT NULL AND (reopened_at IS NULL \
      OR reopened_at > first_resolved_at + $1) THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN first_resolved_at IS NOT NULL AND (reopened_at IS NULL \
      OR reopened_at > first_resolved_at + $1) AND first_resolved_at + $1 > $2 \
      THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN csat IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(COALESCE(csat, 0)), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN csat >= 4 THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN csat IS NOT NULL AND (escalated = 1 OR changes > 0) \
      THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN escalated = 1 OR changes > 0 THEN COALESCE(csat, 0) \
      ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN csat >= 4 AND (escalated = 1 OR changes > 0) \
      THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN changes > 0 THEN changes ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN changes >= 2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN escalated = 1 AND assigned_after_esc IS NULL \
      AND closed_after_esc IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN escalated = 1 AND assigned_after_esc IS NULL \
      AND closed_after_esc IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN assigned_after_esc IS NOT NULL THEN 1 ELSE 0 END), 0) \
      AS BIGINT)";

/// Reads [`Counts`] from `row` starting at column `at`.
fn counts(row: &AnyRow, at: usize) -> Result<Counts, sqlx::Error> {
    let g = |i: usize| row.try_get::<i64, _>(at + i);
    Ok(Counts {
        contacts: g(0)?,
        escalated: g(1)?,
        offered: g(2)?,
        handed_off: g(3)?,
        reached_human: g(4)?,
        ai_resolved: g(5)?,
        resolved: g(6)?,
        net_resolved: g(7)?,
        net_provisional: g(8)?,
        rated: g(9)?,
        rating_sum: g(10)?,
        satisfied: g(11)?,
        handoff_rated: g(12)?,
        handoff_rating_sum: g(13)?,
        handoff_satisfied: g(14)?,
        ownership_changes: g(15)?,
        repeat_handoffs: g(16)?,
        waiting: g(17)?,
        closed_without_human: g(18)?,
        assigned: g(19)?,
    })
}

/// Exact nearest-rank percentiles of `values` (a query yielding one
/// column `v`), optionally per group (`g`): only the ranks asked for leave
/// the database.
fn percentile_sql(values: &str, grouped: bool) -> String {
    let (g, part) = if grouped {
        ("g", "PARTITION BY g ")
    } else {
        ("''", "")
    };
    format!(
        "SELECT g, rn, n, v FROM (SELECT {g} AS g, v, \
           ROW_NUMBER() OVER ({part}ORDER BY v) AS rn, COUNT(*) OVER ({part}) AS n \
           FROM ({values}) x) y \
         WHERE rn = (50 * n + 99) / 100 OR rn = (90 * n + 99) / 100 \
           OR rn = (99 * n + 99) / 100 OR rn = n"
    )
}

/// Collects the rows of [`percentile_sql`] into percentiles per group.
fn percentiles(rows: &[AnyRow]) -> Result<Vec<(String, Percentiles)>, sqlx::Error> {
    let mut out: Vec<(String, Percentiles)> = Vec::new();
    for r in rows {
        let g: String = r.try_get(0)?;
        let rank: i64 = r.try_get(1)?;
        let n: i64 = r.try_get(2)?;
        let v: i64 = r.try_get(3)?;
        let p = match out.iter_mut().find(|(k, _)| *k == g) {
            Some((_, p)) => p,
            None => {
                out.push((g, Percentiles::default()));
                &mut out.last_mut().expect("just pushed").1
            }
        };
        p.n = n;
        let at = |q: i64| (q * n + 99) / 100;
        if rank == at(50) {
            p.p50 = Some(v);
        }
        if rank == at(90) {
            p.p90 = Some(v);
        }
        if rank == at(99) {
            p.p99 = Some(v);
        }
        if rank == n {
            p.max = Some(v);
        }
    }
    Ok(out)
}

/// One report's queries, on one connection that holds its temporary
/// tables.
pub struct KpiSession {
    conn: PoolConnection<Any>,
    scope: Scope,
}

impl Db {
    /// Opens a report over `scope`: gathers the window's conversations.
    pub async fn kpi_session(&self, scope: Scope) -> Result<KpiSession, sqlx::Error> {
        KpiSession::open(self, scope).await
    }
}

impl KpiSession {
    async fn open(db: &Db, scope: Scope) -> Result<KpiSession, sqlx::Error> {
        let mut conn = db.pool.acquire().await?;
        // A report that failed half-way left its tables on this pooled
        // connection.
        for t in ["kpi_conv", "kpi_handle"] {
            sqlx::query(&format!("DROP TABLE IF EXISTS {t}"))
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query(CONV_TABLE).execute(&mut *conn).await?;
        sqlx::query(FILL_CONV)
            .bind(scope.from)
            .bind(scope.to)
            .bind(scope.bucket_us.max(1))
            .bind(&scope.category)
            .bind(&scope.channel)
            .bind(CLOCK_SKEW_US)
            .execute(&mut *conn)
            .await?;
        // Every later query joins events to the window's conversations: on
        // an unindexed temporary table that join was quadratic (seconds at
        // ten thousand conversations). Statistics let PostgreSQL's planner,
        // which has none for a fresh temporary table, choose the index.
        sqlx::query("CREATE INDEX kpi_conv_by_conversation ON kpi_conv (conversation_id)")
            .execute(&mut *conn)
            .await?;
        sqlx::query("ANALYZE kpi_conv").execute(&mut *conn).await?;
        Ok(KpiSession { conn, scope })
    }

    /// Drops the temporary tables and gives the connection back.
    pub async fn close(mut self) -> Result<(), sqlx::Error> {
        for t in ["kpi_conv", "kpi_handle"] {
            sqlx::query(&format!("DROP TABLE IF EXISTS {t}"))
                .execute(&mut *self.conn)
                .await?;
        }
        Ok(())
    }

    /// The window's counts, overall.
    pub async fn totals(&mut self) -> Result<Counts, sqlx::Error> {
        let row = sqlx::query(&format!("SELECT {COUNTS} FROM kpi_conv"))
            .bind(self.scope.reopen_us)
            .bind(self.scope.now)
            .fetch_one(&mut *self.conn)
            .await?;
        counts(&row, 0)
    }

    /// The window's counts per category, by category.
    pub async fn by_category(&mut self) -> Result<Vec<(String, Counts)>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "SELECT category, {COUNTS} FROM kpi_conv GROUP BY category ORDER BY category"
        ))
        .bind(self.scope.reopen_us)
        .bind(self.scope.now)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, counts(r, 1)?)))
            .collect()
    }

    /// What the escalations' key decisions carried, by `column` of
    /// `decision_reasons`: `code`, `tag` or `source`.
    pub async fn carried(&mut self, column: Column) -> Result<Vec<Carried>, sqlx::Error> {
        let c = column.name();
        let rows = sqlx::query(&format!(
            "WITH esc AS (SELECT key_decision FROM kpi_conv WHERE escalated = 1), \
             vals AS (SELECT DISTINCT r.decision_id, r.{c} AS v FROM decision_reasons r \
               JOIN esc ON esc.key_decision = r.decision_id), \
             per AS (SELECT decision_id, COUNT(*) AS n FROM vals GROUP BY decision_id) \
             SELECT vals.v, per.n, COUNT(*) FROM vals \
               JOIN per ON per.decision_id = vals.decision_id \
             GROUP BY vals.v, per.n ORDER BY vals.v, per.n"
        ))
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Carried {
                    key: r.try_get(0)?,
                    of: r.try_get(1)?,
                    conversations: r.try_get(2)?,
                })
            })
            .collect()
    }

    /// Time from the first escalation to the first human assignment after
    /// it, over the escalations a human picked up.
    pub async fn time_to_human(&mut self) -> Result<Percentiles, sqlx::Error> {
        let sql = percentile_sql(
            "SELECT CASE WHEN assigned_after_esc > esc_at THEN assigned_after_esc - esc_at \
             ELSE 0 END AS v FROM kpi_conv WHERE assigned_after_esc IS NOT NULL",
            false,
        );
        let rows = sqlx::query(&sql).fetch_all(&mut *self.conn).await?;
        Ok(percentiles(&rows)?
            .pop()
            .map(|(_, p)| p)
            .unwrap_or_default())
    }

    /// Scored first replies of the window's conversations, by queue, agent
    /// and level; and how many replies with text are not scored yet.
    pub async fn replies(&mut self) -> Result<(Vec<ReplyGroup>, i64, i64), sqlx::Error> {
        let rows = sqlx::query(
            "SELECT COALESCE(e.queue, ''), COALESCE(e.agent, ''), e.reply_level, COUNT(*), \
               CAST(COALESCE(SUM(e.reply_points), 0) AS BIGINT) \
             FROM outcome_events e JOIN kpi_conv c ON c.conversation_id = e.conversation_id \
             WHERE e.type = 'human_first_reply' AND e.reply_level IN ('aware', 'generic', 'restart') \
             GROUP BY COALESCE(e.queue, ''), COALESCE(e.agent, ''), e.reply_level \
             ORDER BY 1, 2, 3",
        )
        .fetch_all(&mut *self.conn)
        .await?;
        let groups = rows
            .iter()
            .map(|r| {
                Ok(ReplyGroup {
                    queue: r.try_get(0)?,
                    agent: r.try_get(1)?,
                    level: r.try_get(2)?,
                    replies: r.try_get(3)?,
                    points: r.try_get(4)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let other = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN e.reply_level IS NULL THEN 1 ELSE 0 END), 0) \
               AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN e.reply_level = 'pending' THEN 1 ELSE 0 END), 0) \
               AS BIGINT) \
             FROM outcome_events e JOIN kpi_conv c ON c.conversation_id = e.conversation_id \
             WHERE e.type = 'human_first_reply'",
        )
        .fetch_one(&mut *self.conn)
        .await?;
        Ok((groups, other.try_get(0)?, other.try_get(1)?))
    }

    /// Human handle time of conversations first assigned in the window,
    /// split by whether Escalator handed them off (an `escalate` or
    /// `offer` decision at or before the assignment: `handed_off`) or a
    /// human took them directly (`direct`). Handle time runs from the first
    /// assignment to the first resolution, hand-back or abandonment after
    /// it. Category and channel are those of the latest decision before
    /// the assignment; with a category or channel filter, conversations
    /// without one are left out.
    pub async fn handling(&mut self) -> Result<Vec<(String, Handling)>, sqlx::Error> {
        sqlx::query(
            "CREATE TEMPORARY TABLE kpi_handle (conversation_id TEXT, grp TEXT, \
             assigned_at BIGINT, ended_at BIGINT)",
        )
        .execute(&mut *self.conn)
        .await?;
        sqlx::query(
            "WITH firsts AS (SELECT conversation_id, MIN(at) AS assigned_at FROM outcome_events \
               WHERE type = 'human_assigned' GROUP BY conversation_id), \
             pop AS (SELECT f.conversation_id, f.assigned_at, \
               (SELECT MIN(e.at) FROM outcome_events e WHERE e.conversation_id = f.conversation_id \
                 AND e.type IN ('resolved', 'handed_back_to_ai', 'abandoned') \
                 AND e.at >= f.assigned_at) AS ended_at, \
               (SELECT COUNT(*) FROM decisions d WHERE d.conversation_id = f.conversation_id \
                 AND d.action IN ('escalate', 'offer') AND d.decided_at <= f.assigned_at) AS routed, \
               (SELECT COALESCE(d.category, '') FROM decisions d \
                 WHERE d.conversation_id = f.conversation_id AND d.decided_at <= f.assigned_at \
                 ORDER BY d.decided_at DESC, d.decision_id DESC LIMIT 1) AS category, \
               (SELECT COALESCE(d.channel, '') FROM decisions d \
                 WHERE d.conversation_id = f.conversation_id AND d.decided_at <= f.assigned_at \
                 ORDER BY d.decided_at DESC, d.decision_id DESC LIMIT 1) AS channel \
               FROM firsts f WHERE f.assigned_at >= $1 AND f.assigned_at < $2) \
             INSERT INTO kpi_handle SELECT conversation_id, \
               CASE WHEN routed > 0 THEN 'handed_off' ELSE 'direct' END, assigned_at, ended_at \
             FROM pop WHERE ($3 IS NULL OR category = $3) AND ($4 IS NULL OR channel = $4)",
        )
        .bind(self.scope.from)
        .bind(self.scope.to)
        .bind(&self.scope.category)
        .bind(&self.scope.channel)
        .execute(&mut *self.conn)
        .await?;
        let rows = sqlx::query(
            "SELECT grp, COUNT(*), \
               CAST(COALESCE(SUM(CASE WHEN ended_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(ended_at - assigned_at), 0) AS BIGINT) \
             FROM kpi_handle GROUP BY grp ORDER BY grp",
        )
        .fetch_all(&mut *self.conn)
        .await?;
        let mut out: Vec<(String, Handling)> = Vec::new();
        for r in &rows {
            out.push((
                r.try_get(0)?,
                Handling {
                    conversations: r.try_get(1)?,
                    ended: r.try_get(2)?,
                    total_us: r.try_get(3)?,
                    percentiles: Percentiles::default(),
                },
            ));
        }
        let sql = percentile_sql(
            "SELECT grp AS g, ended_at - assigned_at AS v FROM kpi_handle \
             WHERE ended_at IS NOT NULL",
            true,
        );
        let rows = sqlx::query(&sql).fetch_all(&mut *self.conn).await?;
        for (g, p) in percentiles(&rows)? {
            if let Some((_, h)) = out.iter_mut().find(|(k, _)| *k == g) {
                h.percentiles = p;
            }
        }
        Ok(out)
    }

    /// Contacts and escalations per bucket and category.
    pub async fn trend(&mut self) -> Result<Vec<TrendCell>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT bucket, category, COUNT(*), CAST(COALESCE(SUM(escalated), 0) AS BIGINT) \
             FROM kpi_conv GROUP BY bucket, category ORDER BY bucket, category",
        )
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TrendCell {
                    bucket: r.try_get(0)?,
                    category: r.try_get(1)?,
                    contacts: r.try_get(2)?,
                    escalated: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Reviewers' latest verdict on each decision made in the window in
    /// the window's conversations, counted by the sources of the reasons
    /// the decision carried (a decision with several sources counts for
    /// each; one with none under `""`).
    pub async fn verdicts(&mut self) -> Result<Vec<Verdicts>, sqlx::Error> {
        let rows = sqlx::query(
            "WITH rv AS (SELECT e.decision_id, COALESCE(e.detail, '') AS detail, ROW_NUMBER() OVER \
               (PARTITION BY e.decision_id ORDER BY e.at DESC, e.received_at DESC, \
                e.event_id DESC) AS rn \
               FROM outcome_events e JOIN kpi_conv c ON c.conversation_id = e.conversation_id \
               WHERE e.type = 'review'), \
             latest AS (SELECT rv.decision_id, rv.detail, \
               CASE WHEN d.action = 'escalate' THEN 1 ELSE 0 END AS esc \
               FROM rv JOIN decisions d ON d.decision_id = rv.decision_id \
               WHERE rv.rn = 1 AND d.decided_at >= $1 AND d.decided_at < $2), \
             pairs AS (SELECT DISTINCT l.decision_id, l.esc, l.detail, r.source \
               FROM latest l LEFT JOIN decision_reasons r ON r.decision_id = l.decision_id) \
             SELECT COALESCE(source, ''), esc, detail, COUNT(*) FROM pairs \
             GROUP BY COALESCE(source, ''), esc, detail ORDER BY 1, 2, 3",
        )
        .bind(self.scope.from)
        .bind(self.scope.to)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Verdicts {
                    source: r.try_get(0)?,
                    escalated: r.try_get::<i64, _>(1)? == 1,
                    verdict: r.try_get(2)?,
                    decisions: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// The window's decisions that carry a shadow action, by category,
    /// action and would-be action. Every decision counts, not one per
    /// conversation: a shadow rule is judged on each decision it saw. Like
    /// the verdicts, only decisions of the window's conversations count, so
    /// a category or channel filter selects the same conversations here as
    /// everywhere else in the report.
    pub async fn shadow(&mut self) -> Result<Vec<ShadowCell>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT c.category, d.action, d.shadow_action, COUNT(*) \
             FROM decisions d JOIN kpi_conv c ON c.conversation_id = d.conversation_id \
             WHERE d.decided_at >= $1 AND d.decided_at < $2 AND d.shadow_action IS NOT NULL \
             GROUP BY c.category, d.action, d.shadow_action",
        )
        .bind(self.scope.from)
        .bind(self.scope.to)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ShadowCell {
                    category: r.try_get(0)?,
                    action: r.try_get(1)?,
                    shadow_action: r.try_get(2)?,
                    decisions: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Reviewers' latest verdicts on the window's decisions, each decision
    /// once: (escalated, verdict, decisions).
    pub async fn verdict_totals(&mut self) -> Result<Vec<(bool, String, i64)>, sqlx::Error> {
        let rows = sqlx::query(
            "WITH rv AS (SELECT e.decision_id, COALESCE(e.detail, '') AS detail, ROW_NUMBER() OVER \
               (PARTITION BY e.decision_id ORDER BY e.at DESC, e.received_at DESC, \
                e.event_id DESC) AS rn \
               FROM outcome_events e JOIN kpi_conv c ON c.conversation_id = e.conversation_id \
               WHERE e.type = 'review') \
             SELECT CASE WHEN d.action = 'escalate' THEN 1 ELSE 0 END, rv.detail, COUNT(*) \
             FROM rv JOIN decisions d ON d.decision_id = rv.decision_id \
             WHERE rv.rn = 1 AND d.decided_at >= $1 AND d.decided_at < $2 \
             GROUP BY CASE WHEN d.action = 'escalate' THEN 1 ELSE 0 END, rv.detail \
             ORDER BY 1, 2",
        )
        .bind(self.scope.from)
        .bind(self.scope.to)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)? == 1, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }
}

/// Which column of `decision_reasons` [`KpiSession::carried`] groups by.
#[derive(Debug, Clone, Copy)]
pub enum Column {
    /// The reason code.
    Code,
    /// The escalation tag.
    Tag,
    /// The trigger or plugin: `builtin:…`, `plugin:…`.
    Source,
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Code => "code",
            Column::Tag => "tag",
            Column::Source => "source",
        }
    }
}

/// A first reply with text, waiting to be scored.
#[derive(Debug, Clone)]
pub struct PendingReply {
    /// The event.
    pub event_id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// When it was sent, µs.
    pub at: i64,
    /// The event as stored (JSON).
    pub event: String,
    /// The agent, when the event named one.
    pub agent: Option<String>,
    /// The queue, when the event named one.
    pub queue: Option<String>,
}

impl Db {
    /// Up to `limit` first replies with text not scored yet whose
    /// conversation has a decision in the log (the others wait for it).
    pub async fn pending_replies(&self, limit: i64) -> Result<Vec<PendingReply>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT e.event_id, e.conversation_id, e.at, e.event, e.agent, e.queue \
             FROM outcome_events e WHERE e.type = 'human_first_reply' \
             AND e.reply_level = 'pending' AND EXISTS (SELECT 1 FROM decisions d \
               WHERE d.conversation_id = e.conversation_id) \
             ORDER BY e.reply_level, e.at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PendingReply {
                    event_id: r.try_get(0)?,
                    conversation_id: r.try_get(1)?,
                    at: r.try_get(2)?,
                    event: r.try_get(3)?,
                    agent: r.try_get(4)?,
                    queue: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// The record a reply sent at `at` is judged against: the
    /// conversation's latest decision at or before it, else its first.
    pub async fn reply_basis(
        &self,
        conversation: &str,
        at: i64,
    ) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT record FROM decisions WHERE conversation_id = $1 \
             ORDER BY CASE WHEN decided_at <= $2 THEN 0 ELSE 1 END, \
               CASE WHEN decided_at <= $2 THEN -decided_at ELSE decided_at END, decision_id \
             LIMIT 1",
        )
        .bind(conversation)
        .bind(at)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get(0)).transpose()
    }

    /// Who owned the conversation at `at`: the agent and queue of its
    /// latest assignment or transfer at or before then.
    pub async fn owner_at(
        &self,
        conversation: &str,
        at: i64,
    ) -> Result<(Option<String>, Option<String>), sqlx::Error> {
        let row = sqlx::query(
            "SELECT agent, queue FROM outcome_events WHERE conversation_id = $1 \
             AND type IN ('human_assigned', 'transferred') AND at <= $2 \
             ORDER BY at DESC, received_at DESC LIMIT 1",
        )
        .bind(conversation)
        .bind(at)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok((r.try_get(0)?, r.try_get(1)?)),
            None => Ok((None, None)),
        }
    }

    /// Records a reply's score, and the agent and queue it is counted
    /// under.
    pub async fn set_reply_score(
        &self,
        event_id: &str,
        level: &str,
        points: i64,
        agent: Option<&str>,
        queue: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE outcome_events SET reply_level = $1, reply_points = $2, agent = $3, \
             queue = $4 WHERE event_id = $5",
        )
        .bind(level)
        .bind(points)
        .bind(agent)
        .bind(queue)
        .bind(event_id)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }
}
