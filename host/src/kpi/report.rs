//! The KPI report: the store's counts turned into rates, means, shares,
//! trends and flags. Every ratio names its numerator and denominator, and
//! one over nothing is `null` — "no data" — never a division by zero.

use serde::Serialize;

use super::window::{NONE, Window};
use crate::config::KpiConfig;
use crate::store::Db;
use crate::store::kpi::{
    Carried, Column, Counts, Handling, Percentiles, ReplyGroup, Scope, ShadowCell, TrendCell,
};

/// A share: `count` of `of`, and their ratio (4 decimals), or `null` when
/// `of` is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rate {
    /// The numerator.
    pub count: i64,
    /// The denominator.
    pub of: i64,
    /// `count / of`, or `null` with no data.
    pub rate: Option<f64>,
}

fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

fn rate(count: i64, of: i64) -> Rate {
    Rate {
        count,
        of,
        rate: (of > 0).then(|| round(count as f64 / of as f64, 4)),
    }
}

fn mean(sum: i64, n: i64) -> Option<f64> {
    (n > 0).then(|| round(sum as f64 / n as f64, 3))
}

fn seconds(us: Option<i64>) -> Option<f64> {
    us.map(|v| v as f64 / 1e6)
}

/// The whole report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = KpiReport)]
pub struct Report {
    /// What it covers.
    pub window: Window,
    /// The thresholds it was read with.
    pub settings: KpiConfig,
    /// No conversation had a decision in the window: every rate is `null`.
    pub no_data: bool,
    /// Conversations with a decision in the window.
    pub contacts: i64,
    /// Resolved by the AI, never escalated, never with a human, of contacts.
    pub ai_resolution: Rate,
    /// Escalations, and what carried them.
    pub escalation: Escalation,
    /// Ratings.
    pub csat: Csat,
    /// From the first escalation to the first human assignment after it.
    pub time_to_human: TimeToHuman,
    /// Ownership changes of conversations that reached a human.
    pub repeat_handoff: RepeatHandoff,
    /// Resolutions that stayed resolved.
    pub net_resolution: NetResolution,
    /// Whether agents' first replies showed the handoff context.
    pub first_reply: FirstReply,
    /// Human handle time, handed off vs taken directly.
    pub utilization: Utilization,
    /// Every category.
    pub by_category: Vec<CategoryStats>,
    /// The ten categories with the most handoffs.
    pub top_handoff_categories: Vec<Top>,
    /// The ten categories with the most repeat handoffs.
    pub top_repeat_handoff_categories: Vec<Top>,
    /// Escalation rate per bucket, overall and per category, and the
    /// categories not improving.
    pub trend: Trend,
    /// Per rule: escalations carried and reviewers' verdicts.
    pub rules: Vec<RuleStats>,
    /// Reviewers' verdicts overall.
    pub reviews: Reviews,
    /// What shadow rules would have changed. Always present: zeros and
    /// nulls when no decision of the window had a shadow evaluation.
    pub shadow: ShadowStats,
}

/// Escalations.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Escalation {
    /// Conversations with an `escalate` decision, of contacts.
    pub escalated: Rate,
    /// Offered a human but not escalated, of contacts.
    pub offered: Rate,
    /// Escalated or reached a human, of contacts.
    pub handed_off: Rate,
    /// By reason code of the first escalation.
    pub by_reason: Vec<Share>,
    /// By escalation tag.
    pub by_tag: Vec<Share>,
    /// By rule: built-in trigger or plugin.
    pub by_rule: Vec<Share>,
}

/// What one reason (tag, rule) carried.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = KpiShare)]
pub struct Share {
    /// The reason code, tag or rule.
    pub key: String,
    /// Escalated conversations whose first escalation carried it, of all
    /// escalated conversations (several reasons may carry one).
    pub escalations: Rate,
    /// Its share of the escalations when each is split evenly between the
    /// reasons that carried it; the shares add up to 1.
    pub carried: f64,
}

/// Ratings of a group of conversations: the latest CSAT of each.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rating {
    /// Conversations rated.
    pub rated: i64,
    /// Mean score, 1-5.
    pub mean: Option<f64>,
    /// Rated 4 or 5, of rated.
    pub satisfied: Rate,
}

/// CSAT, handoffs against everything.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Csat {
    /// Every rated conversation.
    pub overall: Rating,
    /// Handed-off conversations.
    pub handoff: Rating,
    /// The others.
    pub ai_only: Rating,
    /// Handoff mean − overall mean: below 0, handoffs are rated worse.
    pub gap: Option<f64>,
}

/// Time to a human.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimeToHuman {
    /// Escalated conversations.
    pub escalated: i64,
    /// Of which a human was assigned at or after the escalation.
    pub assigned: i64,
    /// Still waiting: no assignment, not closed.
    pub waiting: i64,
    /// Closed (resolved or abandoned) before a human was assigned.
    pub closed_without_human: i64,
    /// Seconds; exact nearest-rank percentiles.
    pub p50_s: Option<f64>,
    /// Seconds.
    pub p90_s: Option<f64>,
    /// Seconds.
    pub p99_s: Option<f64>,
    /// Seconds.
    pub max_s: Option<f64>,
}

/// Repeat handoffs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RepeatHandoff {
    /// Conversations that reached a human (one ownership change or more).
    pub conversations: i64,
    /// Their ownership changes.
    pub ownership_changes: i64,
    /// Changes per conversation.
    pub mean: Option<f64>,
    /// The flag's threshold (`kpi.repeat_handoff_flag`).
    pub flag_above: f64,
    /// The mean is above it.
    pub flagged: bool,
    /// Conversations with two changes or more, of those that reached a human.
    pub repeat: Rate,
}

/// Net resolution.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NetResolution {
    /// Resolved (a `resolved` event), of contacts.
    pub resolved: Rate,
    /// Resolved and not reopened within the window after the first
    /// resolution, of contacts: the Net Resolution Rate.
    pub net_resolved: Rate,
    /// Of the net resolved, those whose reopen window is still open.
    pub provisional: i64,
    /// `kpi.reopen_window_days`.
    pub reopen_window_days: u32,
}

/// First-reply context completeness.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FirstReply {
    /// Replies scored.
    pub scored: i64,
    /// `human_first_reply` events without text: not scored.
    pub without_text: i64,
    /// Replies with text whose decision is not in the log yet.
    pub pending: i64,
    /// Aware of the context, of scored.
    pub aware: Rate,
    /// Neither aware nor asking to start over, of scored.
    pub generic: Rate,
    /// Asking the customer to start over, of scored.
    pub restart: Rate,
    /// Mean score, 0-1.
    pub mean_score: Option<f64>,
    /// Per queue.
    pub by_queue: Vec<ReplyStats>,
    /// Per agent.
    pub by_agent: Vec<ReplyStats>,
}

/// First replies of one queue or agent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReplyStats {
    /// The queue or agent (`(none)` when unknown).
    pub key: String,
    /// Replies scored.
    pub scored: i64,
    /// Aware, of scored.
    pub aware: Rate,
    /// Restart, of scored.
    pub restart: Rate,
    /// Mean score, 0-1.
    pub mean_score: Option<f64>,
}

/// Handle time of one group.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HandleStats {
    /// Conversations first assigned in the window.
    pub conversations: i64,
    /// Ended (resolved, handed back or abandoned).
    pub ended: i64,
    /// Still with a human.
    pub open: i64,
    /// Mean handle time of the ended, seconds.
    pub mean_s: Option<f64>,
    /// Seconds.
    pub p50_s: Option<f64>,
    /// Seconds.
    pub p90_s: Option<f64>,
}

/// Agent utilization.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Utilization {
    /// Handed off by Escalator (`escalate` or `offer` before the
    /// assignment).
    pub handed_off: HandleStats,
    /// Routed to a human directly.
    pub direct: HandleStats,
    /// Mean handed-off handle time ÷ mean direct handle time.
    pub ratio: Option<f64>,
}

/// One category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryStats {
    /// The category (`(none)` when the decision had none).
    pub category: String,
    /// Contacts.
    pub contacts: i64,
    /// Escalated, of its contacts.
    pub escalation: Rate,
    /// Resolved by the AI, of its contacts.
    pub ai_resolution: Rate,
    /// Handed off, of its contacts.
    pub handed_off: Rate,
    /// Two ownership changes or more, of those that reached a human.
    pub repeat_handoffs: Rate,
    /// Ownership changes per conversation that reached a human.
    pub mean_ownership_changes: Option<f64>,
}

/// A category in a top-ten list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Top {
    /// The category.
    pub category: String,
    /// Its handoffs (or repeat handoffs), of all of them.
    pub share: Rate,
}

/// One bucket.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BucketStats {
    /// Its start.
    pub start: chrono::DateTime<chrono::Utc>,
    /// Escalated, of contacts whose key decision fell in it.
    pub escalation: Rate,
}

/// One category's trend.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryTrend {
    /// The category.
    pub category: String,
    /// Its escalation rate per bucket (`null` below
    /// `kpi.trend_min_contacts` contacts).
    pub rates: Vec<Option<f64>>,
    /// The least-squares slope of the rate over the last
    /// `kpi.trend_buckets` buckets with enough contacts, per bucket.
    pub slope: Option<f64>,
    /// Not improving: the slope is above −`kpi.trend_min_improvement`.
    pub flagged: bool,
}

/// Trends.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Trend {
    /// Every bucket, overall.
    pub buckets: Vec<BucketStats>,
    /// Every category.
    pub categories: Vec<CategoryTrend>,
    /// The flagged categories: the improvement targets.
    pub improvement_targets: Vec<String>,
}

/// One rule.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleStats {
    /// `builtin:…` or `plugin:…`, or `(none)` for reviews of decisions no
    /// rule carried.
    pub rule: String,
    /// Escalated conversations whose first escalation it carried.
    pub escalations: i64,
    /// Escalation decisions it carried that a reviewer judged.
    pub reviewed: i64,
    /// Judged correct, of reviewed.
    pub correct: Rate,
    /// Judged unnecessary, of reviewed.
    pub unnecessary: Rate,
    /// Decisions it carried that did not escalate, judged missed
    /// escalations.
    pub missed: i64,
}

/// Reviewers' verdicts, each decision's latest once.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Reviews {
    /// Escalations reviewed.
    pub escalations_reviewed: i64,
    /// Judged correct.
    pub correct: i64,
    /// Judged unnecessary.
    pub unnecessary: i64,
    /// Decisions that did not escalate, reviewed.
    pub others_reviewed: i64,
    /// Of which judged missed escalations.
    pub missed: i64,
}

/// Shadow rules' would-be effect on the window's decisions. The unit is
/// the decision, not the conversation: a shadow rule is judged on every
/// decision it saw.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ShadowStats {
    /// Decisions evaluated with shadow rules.
    pub decisions_with_shadow: i64,
    /// Of which the would-be action differs from the enforced one.
    pub flips: i64,
    /// `flips / decisions_with_shadow`, or `null` with no data.
    pub flip_rate: Option<f64>,
    /// Escalations among the shadowed decisions, enforced and would-be.
    pub escalation_rate: ShadowEscalation,
    /// The flips by enforced and would-be action, most frequent first;
    /// their counts add up to `flips`.
    pub transitions: Vec<Transition>,
    /// Per category, most flips first.
    pub by_category: Vec<ShadowCategory>,
}

/// Escalation rate of the shadowed decisions, as enforced and as it would
/// have been.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShadowEscalation {
    /// `escalate` decisions, of the shadowed decisions.
    pub enforced: Rate,
    /// Would-be `escalate` decisions, of the shadowed decisions.
    pub would_be: Rate,
    /// Would-be rate − enforced rate, in percentage points (2 decimals),
    /// from the counts; `null` with no data.
    pub delta_points: Option<f64>,
}

impl Default for ShadowEscalation {
    fn default() -> Self {
        ShadowEscalation {
            enforced: rate(0, 0),
            would_be: rate(0, 0),
            delta_points: None,
        }
    }
}

/// Decisions whose action a shadow rule would have changed from `from`
/// to `to`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = ShadowTransition)]
pub struct Transition {
    /// The action enforced.
    pub from: String,
    /// The would-be action.
    pub to: String,
    /// Decisions.
    pub count: i64,
}

/// Shadowed decisions of one category.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShadowCategory {
    /// The conversation's category, as in `by_category` (`(none)` when it
    /// had none).
    pub category: String,
    /// Decisions evaluated with shadow rules.
    pub decisions: i64,
    /// Of which the would-be action differs.
    pub flips: i64,
    /// Enforced `escalate` decisions.
    pub escalations: i64,
    /// Would-be `escalate` decisions.
    pub would_be_escalations: i64,
}

/// Computes the report of `window` from `db`, with `settings`, at `now`.
pub async fn compute(
    db: &Db,
    window: &Window,
    settings: &KpiConfig,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Report, sqlx::Error> {
    super::replies::score_pending(db).await?;
    let micros = |d: chrono::Duration| d.num_microseconds().unwrap_or(i64::MAX);
    let scope = Scope {
        from: window.from.timestamp_micros(),
        to: window.to.timestamp_micros(),
        bucket_us: micros(window.bucket.length()),
        category: Window::stored(&window.category),
        channel: Window::stored(&window.channel),
        reopen_us: micros(chrono::Duration::days(settings.reopen_window_days.into())),
        now: now.timestamp_micros(),
    };
    let mut s = db.kpi_session(scope).await?;
    let totals = s.totals().await?;
    let categories = s.by_category().await?;
    let reasons = s.carried(Column::Code).await?;
    let tags = s.carried(Column::Tag).await?;
    let sources = s.carried(Column::Source).await?;
    let tth = s.time_to_human().await?;
    let (replies, without_text, pending) = s.replies().await?;
    let handling = s.handling().await?;
    let cells = s.trend().await?;
    let verdicts = s.verdicts().await?;
    let verdict_totals = s.verdict_totals().await?;
    let shadow_cells = s.shadow().await?;
    s.close().await?;

    let c = &totals;
    let rating = |rated: i64, sum: i64, satisfied: i64| Rating {
        rated,
        mean: mean(sum, rated),
        satisfied: rate(satisfied, rated),
    };
    let overall = rating(c.rated, c.rating_sum, c.satisfied);
    let handoff = rating(c.handoff_rated, c.handoff_rating_sum, c.handoff_satisfied);
    let ai_only = rating(
        c.rated - c.handoff_rated,
        c.rating_sum - c.handoff_rating_sum,
        c.satisfied - c.handoff_satisfied,
    );
    // From the sums, not the rounded means, so the gap is not off by the
    // rounding of either.
    let gap = (c.handoff_rated > 0 && c.rated > 0).then(|| {
        round(
            c.handoff_rating_sum as f64 / c.handoff_rated as f64
                - c.rating_sum as f64 / c.rated as f64,
            3,
        )
    });
    let changes_mean = mean(c.ownership_changes, c.reached_human);
    // Sorted here: the databases' collations order names differently.
    let mut categories = categories;
    categories.sort_by(|a, b| a.0.cmp(&b.0));
    let by_category: Vec<CategoryStats> = categories
        .iter()
        .map(|(name, k)| CategoryStats {
            category: shown(name),
            contacts: k.contacts,
            escalation: rate(k.escalated, k.contacts),
            ai_resolution: rate(k.ai_resolved, k.contacts),
            handed_off: rate(k.handed_off, k.contacts),
            repeat_handoffs: rate(k.repeat_handoffs, k.reached_human),
            mean_ownership_changes: mean(k.ownership_changes, k.reached_human),
        })
        .collect();

    Ok(Report {
        window: window.clone(),
        settings: *settings,
        no_data: c.contacts == 0,
        contacts: c.contacts,
        ai_resolution: rate(c.ai_resolved, c.contacts),
        escalation: Escalation {
            escalated: rate(c.escalated, c.contacts),
            offered: rate(c.offered, c.contacts),
            handed_off: rate(c.handed_off, c.contacts),
            by_reason: shares(&reasons, c.escalated),
            by_tag: shares(&tags, c.escalated),
            by_rule: shares(&sources, c.escalated),
        },
        csat: Csat {
            overall,
            handoff,
            ai_only,
            gap,
        },
        time_to_human: TimeToHuman {
            escalated: c.escalated,
            assigned: c.assigned,
            waiting: c.waiting,
            closed_without_human: c.closed_without_human,
            p50_s: seconds(tth.p50),
            p90_s: seconds(tth.p90),
            p99_s: seconds(tth.p99),
            max_s: seconds(tth.max),
        },
        repeat_handoff: RepeatHandoff {
            conversations: c.reached_human,
            ownership_changes: c.ownership_changes,
            mean: changes_mean,
            flag_above: settings.repeat_handoff_flag,
            flagged: changes_mean.is_some_and(|m| m > settings.repeat_handoff_flag),
            repeat: rate(c.repeat_handoffs, c.reached_human),
        },
        net_resolution: NetResolution {
            resolved: rate(c.resolved, c.contacts),
            net_resolved: rate(c.net_resolved, c.contacts),
            provisional: c.net_provisional,
            reopen_window_days: settings.reopen_window_days,
        },
        first_reply: first_reply(&replies, without_text, pending),
        utilization: utilization(&handling),
        top_handoff_categories: top(&categories, c.handed_off, |k| k.handed_off),
        top_repeat_handoff_categories: top(&categories, c.repeat_handoffs, |k| k.repeat_handoffs),
        by_category,
        trend: trend(window, settings, &cells),
        rules: rules(&sources, &verdicts),
        reviews: reviews(&verdict_totals),
        shadow: shadow(&shadow_cells),
    })
}

fn shown(stored: &str) -> String {
    if stored.is_empty() {
        NONE.to_owned()
    } else {
        stored.to_owned()
    }
}

/// Shares of the escalations, largest first.
fn shares(carried: &[Carried], escalated: i64) -> Vec<Share> {
    let mut out: Vec<(String, i64, f64)> = Vec::new();
    for c in carried {
        let credit = c.conversations as f64 / c.of.max(1) as f64;
        match out.iter_mut().find(|(k, _, _)| *k == c.key) {
            Some(entry) => {
                entry.1 += c.conversations;
                entry.2 += credit;
            }
            None => out.push((c.key.clone(), c.conversations, credit)),
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.into_iter()
        .map(|(key, n, credit)| Share {
            key,
            escalations: rate(n, escalated),
            carried: if escalated > 0 {
                round(credit / escalated as f64, 4)
            } else {
                0.0
            },
        })
        .collect()
}

fn top(categories: &[(String, Counts)], total: i64, of: impl Fn(&Counts) -> i64) -> Vec<Top> {
    let mut rows: Vec<(&str, i64)> = categories
        .iter()
        .map(|(name, k)| (name.as_str(), of(k)))
        .filter(|(_, n)| *n > 0)
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    rows.into_iter()
        .take(10)
        .map(|(name, n)| Top {
            category: shown(name),
            share: rate(n, total),
        })
        .collect()
}

fn first_reply(groups: &[ReplyGroup], without_text: i64, pending: i64) -> FirstReply {
    let stats = |rows: &[&ReplyGroup]| -> (i64, i64, i64, i64, i64) {
        let mut t = (0, 0, 0, 0, 0);
        for g in rows {
            t.0 += g.replies;
            t.4 += g.points;
            match g.level.as_str() {
                "aware" => t.1 += g.replies,
                "generic" => t.2 += g.replies,
                _ => t.3 += g.replies,
            }
        }
        t
    };
    let all: Vec<&ReplyGroup> = groups.iter().collect();
    let (scored, aware, generic, restart, points) = stats(&all);
    let per = |key: &dyn Fn(&ReplyGroup) -> &str| -> Vec<ReplyStats> {
        let mut keys: Vec<&str> = groups.iter().map(key).collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .map(|k| {
                let rows: Vec<&ReplyGroup> = groups.iter().filter(|g| key(g) == k).collect();
                let (n, aware, _, restart, points) = stats(&rows);
                ReplyStats {
                    key: shown(k),
                    scored: n,
                    aware: rate(aware, n),
                    restart: rate(restart, n),
                    mean_score: mean_points(points, n),
                }
            })
            .collect()
    };
    FirstReply {
        scored,
        without_text,
        pending,
        aware: rate(aware, scored),
        generic: rate(generic, scored),
        restart: rate(restart, scored),
        mean_score: mean_points(points, scored),
        by_queue: per(&|g| g.queue.as_str()),
        by_agent: per(&|g| g.agent.as_str()),
    }
}

/// Points are 0-3 per reply; the score is their mean over 3.
fn mean_points(points: i64, n: i64) -> Option<f64> {
    (n > 0).then(|| round(points as f64 / (3 * n) as f64, 3))
}

fn utilization(handling: &[(String, Handling)]) -> Utilization {
    let stats = |name: &str| {
        let h = handling
            .iter()
            .find(|(g, _)| g == name)
            .map(|(_, h)| h.clone())
            .unwrap_or_default();
        let p: &Percentiles = &h.percentiles;
        HandleStats {
            conversations: h.conversations,
            ended: h.ended,
            open: h.conversations - h.ended,
            mean_s: (h.ended > 0).then(|| round(h.total_us as f64 / h.ended as f64 / 1e6, 3)),
            p50_s: seconds(p.p50),
            p90_s: seconds(p.p90),
        }
    };
    let handed_off = stats("handed_off");
    let direct = stats("direct");
    let ratio = match (handed_off.mean_s, direct.mean_s) {
        (Some(h), Some(d)) if d > 0.0 => Some(round(h / d, 3)),
        _ => None,
    };
    Utilization {
        handed_off,
        direct,
        ratio,
    }
}

/// The least-squares slope of `points` (x, y).
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| round(sxy / sxx, 4))
}

fn trend(window: &Window, settings: &KpiConfig, cells: &[TrendCell]) -> Trend {
    let n = window.buckets().max(0) as usize;
    let mut totals = vec![(0i64, 0i64); n];
    let mut names: Vec<&str> = cells.iter().map(|c| c.category.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut per: Vec<Vec<(i64, i64)>> = vec![vec![(0, 0); n]; names.len()];
    for cell in cells {
        let Ok(b) = usize::try_from(cell.bucket) else {
            continue;
        };
        if b >= n {
            continue;
        }
        totals[b].0 += cell.contacts;
        totals[b].1 += cell.escalated;
        if let Ok(i) = names.binary_search(&cell.category.as_str()) {
            per[i][b] = (cell.contacts, cell.escalated);
        }
    }
    let min = i64::from(settings.trend_min_contacts);
    let categories: Vec<CategoryTrend> = names
        .iter()
        .zip(&per)
        .map(|(name, buckets)| {
            let rates: Vec<Option<f64>> = buckets
                .iter()
                .map(|&(contacts, esc)| {
                    (contacts >= min).then(|| round(esc as f64 / contacts as f64, 4))
                })
                .collect();
            let mut points: Vec<(f64, f64)> = rates
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.map(|r| (i as f64, r)))
                .collect();
            let keep = points.len().min(settings.trend_buckets as usize);
            let points = points.split_off(points.len() - keep);
            let slope = slope(&points);
            CategoryTrend {
                category: shown(name),
                flagged: slope.is_some_and(|s| s > -settings.trend_min_improvement),
                rates,
                slope,
            }
        })
        .collect();
    Trend {
        buckets: totals
            .iter()
            .enumerate()
            .map(|(i, &(contacts, esc))| BucketStats {
                start: window.bucket_start(i as i64),
                escalation: rate(esc, contacts),
            })
            .collect(),
        improvement_targets: categories
            .iter()
            .filter(|c| c.flagged)
            .map(|c| c.category.clone())
            .collect(),
        categories,
    }
}

fn rules(sources: &[Carried], verdicts: &[crate::store::kpi::Verdicts]) -> Vec<RuleStats> {
    let mut names: Vec<&str> = sources
        .iter()
        .map(|c| c.key.as_str())
        .chain(verdicts.iter().map(|v| v.source.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let escalations = sources
                .iter()
                .filter(|c| c.key == name)
                .map(|c| c.conversations)
                .sum();
            let count = |esc: bool, verdict: &str| -> i64 {
                verdicts
                    .iter()
                    .filter(|v| v.source == name && v.escalated == esc && v.verdict == verdict)
                    .map(|v| v.decisions)
                    .sum()
            };
            let reviewed: i64 = verdicts
                .iter()
                .filter(|v| v.source == name && v.escalated)
                .map(|v| v.decisions)
                .sum();
            RuleStats {
                rule: shown(name),
                escalations,
                reviewed,
                correct: rate(count(true, "correct"), reviewed),
                unnecessary: rate(count(true, "unnecessary"), reviewed),
                missed: count(false, "missed"),
            }
        })
        .collect()
}

fn reviews(totals: &[(bool, String, i64)]) -> Reviews {
    let mut r = Reviews::default();
    for (esc, verdict, n) in totals {
        match (esc, verdict.as_str()) {
            (true, v) => {
                r.escalations_reviewed += n;
                match v {
                    "correct" => r.correct += n,
                    "unnecessary" => r.unnecessary += n,
                    _ => {}
                }
            }
            (false, v) => {
                r.others_reviewed += n;
                if v == "missed" {
                    r.missed += n;
                }
            }
        }
    }
    r
}

const ESCALATE: &str = "escalate";

fn shadow(cells: &[ShadowCell]) -> ShadowStats {
    let mut out = ShadowStats::default();
    let (mut escalations, mut would_be) = (0, 0);
    let mut transitions: Vec<Transition> = Vec::new();
    let mut categories: Vec<ShadowCategory> = Vec::new();
    for c in cells {
        let flipped = c.action != c.shadow_action;
        let esc = if c.action == ESCALATE { c.decisions } else { 0 };
        let wb = if c.shadow_action == ESCALATE {
            c.decisions
        } else {
            0
        };
        out.decisions_with_shadow += c.decisions;
        escalations += esc;
        would_be += wb;
        if flipped {
            out.flips += c.decisions;
            match transitions
                .iter_mut()
                .find(|t| t.from == c.action && t.to == c.shadow_action)
            {
                Some(t) => t.count += c.decisions,
                None => transitions.push(Transition {
                    from: c.action.clone(),
                    to: c.shadow_action.clone(),
                    count: c.decisions,
                }),
            }
        }
        let name = shown(&c.category);
        let k = match categories.iter().position(|k| k.category == name) {
            Some(i) => &mut categories[i],
            None => {
                categories.push(ShadowCategory {
                    category: name,
                    decisions: 0,
                    flips: 0,
                    escalations: 0,
                    would_be_escalations: 0,
                });
                categories.last_mut().expect("just pushed")
            }
        };
        k.decisions += c.decisions;
        k.flips += if flipped { c.decisions } else { 0 };
        k.escalations += esc;
        k.would_be_escalations += wb;
    }
    let n = out.decisions_with_shadow;
    out.flip_rate = rate(out.flips, n).rate;
    out.escalation_rate = ShadowEscalation {
        enforced: rate(escalations, n),
        would_be: rate(would_be, n),
        // From the counts: the difference of two rounded rates could be
        // off by a rounding step.
        delta_points: (n > 0).then(|| round((would_be - escalations) as f64 * 100.0 / n as f64, 2)),
    };
    // Ties broken by name here: the databases' collations order names
    // differently.
    transitions.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.from.cmp(&b.from))
            .then_with(|| a.to.cmp(&b.to))
    });
    categories.sort_by(|a, b| {
        b.flips
            .cmp(&a.flips)
            .then_with(|| a.category.cmp(&b.category))
    });
    out.transitions = transitions;
    out.by_category = categories;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_data_is_null_not_a_division_by_zero() {
        assert_eq!(rate(0, 0).rate, None);
        assert_eq!(rate(1, 3).rate, Some(0.3333));
        assert_eq!(mean(0, 0), None);
    }

    #[test]
    fn shares_split_each_escalation_between_its_reasons() {
        let carried = [
            Carried {
                key: "a".into(),
                of: 1,
                conversations: 2,
            },
            Carried {
                key: "a".into(),
                of: 2,
                conversations: 2,
            },
            Carried {
                key: "b".into(),
                of: 2,
                conversations: 2,
            },
        ];
        let s = shares(&carried, 4);
        assert_eq!(s[0].key, "a");
        assert_eq!(s[0].escalations.count, 4);
        assert_eq!(s[0].carried, 0.75);
        assert_eq!(s[1].carried, 0.25);
    }

    #[test]
    fn shadow_counts_decisions_and_sorts_categories_by_flips() {
        let cell = |category: &str, action: &str, shadow_action: &str, decisions| ShadowCell {
            category: category.into(),
            action: action.into(),
            shadow_action: shadow_action.into(),
            decisions,
        };
        let s = shadow(&[
            cell("a", "stay", "stay", 4),
            cell("b", "escalate", "escalate", 1),
            cell("b", "stay", "escalate", 2),
            cell("", "offer", "stay", 2),
        ]);
        assert_eq!((s.decisions_with_shadow, s.flips), (9, 4));
        assert_eq!(s.flip_rate, Some(0.4444));
        assert_eq!(s.escalation_rate.enforced.count, 1);
        assert_eq!(s.escalation_rate.would_be.count, 3);
        assert_eq!(s.escalation_rate.delta_points, Some(22.22));
        assert_eq!(
            (s.transitions[0].from.as_str(), s.transitions[0].to.as_str()),
            ("offer", "stay"),
            "equal counts are ordered by name"
        );
        let order: Vec<&str> = s.by_category.iter().map(|c| c.category.as_str()).collect();
        assert_eq!(
            order,
            ["(none)", "b", "a"],
            "equal flips are ordered by name"
        );
        assert_eq!(s.by_category[1].would_be_escalations, 3);

        let none = shadow(&[]);
        assert_eq!(none.decisions_with_shadow, 0);
        assert_eq!(none.flip_rate, None);
        assert_eq!(none.escalation_rate.delta_points, None);
        assert!(none.transitions.is_empty() && none.by_category.is_empty());
    }

    #[test]
    fn slope_is_least_squares() {
        assert_eq!(slope(&[(0.0, 0.5), (1.0, 0.4), (2.0, 0.3)]), Some(-0.1));
        assert_eq!(slope(&[(0.0, 0.5)]), None);
    }
}
