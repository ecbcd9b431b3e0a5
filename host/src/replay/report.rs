//! The comparison: what the candidate rules would change, across all pairs.
//!
//! Every ratio is rounded to 4 decimals and is `null` over an empty
//! denominator, so a report over nothing reads "no data" rather than 0% or
//! NaN. Differences of rates are given in percentage points (2 decimals),
//! the unit people state thresholds in.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::case::{Case, Side, VoteFact, VotePair};

/// The label of a missing category or customer tier.
pub const NONE: &str = "(none)";

/// How to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// How many flipped cases to show in full.
    pub sample: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { sample: 10 }
    }
}

fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

fn ratio(count: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| count as f64 / of as f64)
}

fn rate(count: u64, of: u64) -> Option<f64> {
    ratio(count, of).map(|r| round(r, 4))
}

/// The difference in points is taken from the unrounded ratios, so that it
/// does not carry the rounding of both.
fn points(baseline: Option<f64>, candidate: Option<f64>) -> Option<f64> {
    Some(round((candidate? - baseline?) * 100.0, 2))
}

/// A count and its share of a whole.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ReplayShare)]
pub struct Share {
    /// The numerator.
    pub count: u64,
    /// `count` over the decisions, or `null` with none.
    pub rate: Option<f64>,
}

/// A rate on both sides and how far it moved.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RateChange {
    /// The logged decisions' rate.
    pub baseline: Option<f64>,
    /// The candidate's rate.
    pub candidate: Option<f64>,
    /// `(candidate − baseline) × 100`: percentage points.
    pub delta_points: Option<f64>,
}

impl RateChange {
    fn of(baseline: u64, candidate: u64, of: u64) -> RateChange {
        RateChange {
            baseline: rate(baseline, of),
            candidate: rate(candidate, of),
            delta_points: points(ratio(baseline, of), ratio(candidate, of)),
        }
    }
}

/// How often an action was taken on each side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionCount {
    /// By the logged decisions.
    pub baseline: u64,
    /// By the candidate.
    pub candidate: u64,
}

/// Decisions that went from one action to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ReplayTransition)]
pub struct Transition {
    /// The baseline's action.
    pub from: String,
    /// The candidate's action.
    pub to: String,
    /// How many decisions.
    pub count: u64,
}

/// The changes within one category or customer tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Group {
    /// The category or tier, `(none)` when the request had none.
    pub value: String,
    /// Decisions in the group.
    pub decisions: u64,
    /// Of which changed action.
    pub flips: u64,
    /// Escalation rate within the group.
    pub escalation_rate: RateChange,
    /// Decisions the candidate escalates and the baseline did not.
    pub up: u64,
    /// Decisions the baseline escalated and the candidate does not.
    pub down: u64,
}

/// What a reason code carried into or out of escalation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReasonShift {
    /// The reason code.
    pub code: String,
    /// New escalations the candidate gives this reason for.
    pub gained: u64,
    /// Baseline escalations given for this reason that the candidate drops.
    pub lost: u64,
}

/// How one voter's votes changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VoterChange {
    /// The plugin's name, or the built-in's `builtin:NAME` source.
    pub source: String,
    /// Vote pairs in which it appears on either side.
    pub votes: u64,
    /// Of which differ, a vote missing on one side included.
    pub votes_changed: u64,
    /// Decisions that flipped while its vote changed.
    pub flips_with_change: u64,
    /// Pairs not compared because its baseline vote ran out of time or was
    /// quarantined.
    pub timing_dependent: u64,
}

/// How much of the baseline the candidate reproduces exactly. Run with the
/// rules unchanged, anything short of 100% is non-determinism.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reproduced {
    /// Decisions with equal action, tier, priority, reasons and votes.
    pub decisions_identical: u64,
    /// `decisions_identical` over the decisions.
    pub decision_rate: Option<f64>,
    /// Vote pairs that are equal.
    pub votes_identical: u64,
    /// Vote pairs, a vote present on one side only included.
    pub votes_total: u64,
    /// Vote pairs left out because the baseline's vote depended on timing.
    pub timing_dependent: u64,
    /// Share of decisions with the same action.
    pub action_rate: Option<f64>,
    /// `votes_identical` over the pairs that are not timing-dependent.
    pub vote_rate: Option<f64>,
}

/// Conversations whose first escalation moved in one direction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shift {
    /// How many conversations.
    pub count: u64,
    /// Mean distance in customer turns (always positive).
    pub mean_turns: Option<f64>,
    /// Mean distance in seconds (always positive).
    pub mean_seconds: Option<f64>,
}

/// When conversations first escalate, on each side. Only conversations
/// with at least two replayed decisions count: with one, the first
/// escalation cannot move.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Timing {
    /// Conversations with two or more decisions.
    pub conversations: u64,
    /// The candidate escalates before the baseline did.
    pub earlier: Shift,
    /// The candidate escalates after the baseline did.
    pub later: Shift,
    /// Both first escalate at the same decision.
    pub same: u64,
    /// Only the baseline escalates.
    pub only_baseline: u64,
    /// Only the candidate escalates.
    pub only_candidate: u64,
    /// Neither escalates.
    pub neither: u64,
}

/// One side's escalations against reviewers' verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Confusion {
    /// Escalated, should have.
    pub tp: u64,
    /// Escalated, should not have.
    pub fp: u64,
    /// Did not escalate, should have.
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// Did not escalate, should not have.
    pub tn: u64,
    /// `tp / (tp + fp)`.
    pub precision: Option<f64>,
    /// `tp / (tp + fn)`.
    pub recall: Option<f64>,
}

impl Confusion {
    fn new(tp: u64, fp: u64, fn_: u64, tn: u64) -> Confusion {
        Confusion {
            tp,
            fp,
            fn_,
            tn,
            precision: rate(tp, tp + fp),
            recall: rate(tp, tp + fn_),
        }
    }
}

/// The reviewed decisions: did the candidate get more of them right?
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Review {
    /// Decisions with a verdict of `correct`, `unnecessary` or `missed`.
    pub reviewed: u64,
    /// The logged decisions.
    pub baseline: Confusion,
    /// The candidate.
    pub candidate: Confusion,
    /// Precision change in points.
    pub precision_delta_points: Option<f64>,
    /// Recall change in points.
    pub recall_delta_points: Option<f64>,
    /// Judged correct escalations the candidate no longer makes.
    pub correct_lost: u64,
    /// Judged unnecessary escalations the candidate no longer makes.
    pub unnecessary_dropped: u64,
    /// Judged missed escalations the candidate makes.
    pub missed_caught: u64,
}

/// One side of a sampled case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SampleSide {
    /// The action.
    pub action: String,
    /// The priority.
    pub priority: i64,
    /// The reason codes.
    pub reasons: Vec<String>,
    /// Its votes that differ from the other side's.
    pub votes: Vec<VoteFact>,
    /// The shadow rules' would-be action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow_action: Option<String>,
}

/// A flipped decision shown in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SampleCase {
    /// The logged decision's id.
    pub decision_id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// When it was decided for.
    pub at: DateTime<Utc>,
    /// The topic's category.
    pub category: Option<String>,
    /// The customer's tier.
    pub customer_tier: Option<String>,
    /// The channel.
    pub channel: Option<String>,
    /// Customer turns so far.
    pub turn: u32,
    /// The reviewer's verdict.
    pub verdict: Option<String>,
    /// The logged decision.
    pub baseline: SampleSide,
    /// The candidate's.
    pub candidate: SampleSide,
}

/// The comparison of baseline and candidate over all pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ReplayReport)]
pub struct Report {
    /// Pairs compared.
    pub decisions: u64,
    /// Distinct conversations among them.
    pub conversations: u64,
    /// Records the runner could not replay, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Decisions per action on each side.
    pub actions: BTreeMap<String, ActionCount>,
    /// Changes of action, most frequent first.
    pub transitions: Vec<Transition>,
    /// Decisions whose action changes.
    pub flips: Share,
    /// Share of decisions that escalate.
    pub escalation_rate: RateChange,
    /// Share of decisions that offer a human.
    pub offer_rate: RateChange,
    /// Decisions moving into `escalate`.
    pub escalations_up: u64,
    /// Decisions moving out of `escalate`.
    pub escalations_down: u64,
    /// Changes per topic category, most flips first.
    pub by_category: Vec<Group>,
    /// Changes per customer tier, most flips first.
    pub by_customer_tier: Vec<Group>,
    /// Escalations gained and lost per reason code, most moved first.
    pub by_reason: Vec<ReasonShift>,
    /// Vote changes per plugin, by plugin name.
    pub by_plugin: Vec<VoterChange>,
    /// Vote changes per built-in trigger.
    pub by_trigger: Vec<VoterChange>,
    /// How exactly the baseline is reproduced.
    pub reproduced: Reproduced,
    /// How the first escalation of conversations moves.
    pub timing: Timing,
    /// Against reviewers' verdicts.
    pub review: Review,
    /// Flipped decisions shown in full.
    pub sample: Vec<SampleCase>,
}

#[derive(Default)]
struct GroupAcc {
    decisions: u64,
    flips: u64,
    baseline: u64,
    candidate: u64,
    up: u64,
    down: u64,
}

impl GroupAcc {
    fn add(&mut self, case: &Case) {
        let (b, c) = (case.baseline.escalates(), case.candidate.escalates());
        self.decisions += 1;
        self.flips += u64::from(case.flipped());
        self.baseline += u64::from(b);
        self.candidate += u64::from(c);
        self.up += u64::from(c && !b);
        self.down += u64::from(b && !c);
    }
}

fn groups(map: BTreeMap<&str, GroupAcc>) -> Vec<Group> {
    let mut out: Vec<Group> = map
        .into_iter()
        .map(|(value, g)| Group {
            value: value.to_owned(),
            decisions: g.decisions,
            flips: g.flips,
            escalation_rate: RateChange::of(g.baseline, g.candidate, g.decisions),
            up: g.up,
            down: g.down,
        })
        .collect();
    // Stable sort: ties keep the map's name order, with the unlabelled
    // group after the named ones it would otherwise precede.
    out.sort_by_key(|g| (Reverse(g.flips), g.value == NONE));
    out
}

#[derive(Default)]
struct VoterAcc {
    votes: u64,
    changed: u64,
    flips: u64,
    timing: u64,
}

fn voters(map: BTreeMap<String, VoterAcc>) -> Vec<VoterChange> {
    let mut out: Vec<VoterChange> = map
        .into_iter()
        .map(|(source, v)| VoterChange {
            source,
            votes: v.votes,
            votes_changed: v.changed,
            flips_with_change: v.flips,
            timing_dependent: v.timing,
        })
        .collect();
    out.sort_by_key(|v| (Reverse(v.flips_with_change), Reverse(v.votes_changed)));
    out
}

/// Codes once each: a code given by two voters moved one escalation, not
/// two.
fn distinct(codes: &[String]) -> BTreeSet<&str> {
    codes.iter().map(String::as_str).collect()
}

/// Compares every pair. `skipped` is passed through to the report.
pub fn compare(cases: &[Case], skipped: &BTreeMap<String, u64>, options: &Options) -> Report {
    let n = cases.len() as u64;
    let mut conversations: HashMap<&str, Vec<usize>> = HashMap::new();
    // Keyed by borrowed names: one allocation per action, not per case.
    let mut actions: BTreeMap<&str, ActionCount> = BTreeMap::new();
    let mut transitions: HashMap<(&str, &str), u64> = HashMap::new();
    let mut flips = 0u64;
    let (mut esc_b, mut esc_c, mut off_b, mut off_c) = (0u64, 0u64, 0u64, 0u64);
    let (mut up, mut down) = (0u64, 0u64);
    let mut by_category: BTreeMap<&str, GroupAcc> = BTreeMap::new();
    let mut by_tier: BTreeMap<&str, GroupAcc> = BTreeMap::new();
    let mut reasons: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut by_plugin: BTreeMap<String, VoterAcc> = BTreeMap::new();
    let mut by_trigger: BTreeMap<String, VoterAcc> = BTreeMap::new();
    let mut repro = Reproduced {
        decisions_identical: 0,
        decision_rate: None,
        votes_identical: 0,
        votes_total: 0,
        timing_dependent: 0,
        action_rate: None,
        vote_rate: None,
    };

    for (i, case) in cases.iter().enumerate() {
        let (b, c) = (&case.baseline, &case.candidate);
        let flipped = case.flipped();
        conversations
            .entry(case.conversation_id.as_str())
            .or_default()
            .push(i);
        actions.entry(b.action.as_str()).or_default().baseline += 1;
        actions.entry(c.action.as_str()).or_default().candidate += 1;
        if flipped {
            flips += 1;
            *transitions
                .entry((b.action.as_str(), c.action.as_str()))
                .or_default() += 1;
        }
        esc_b += u64::from(b.escalates());
        esc_c += u64::from(c.escalates());
        off_b += u64::from(b.action == "offer");
        off_c += u64::from(c.action == "offer");
        if c.escalates() && !b.escalates() {
            up += 1;
            for code in distinct(&c.reasons) {
                reasons.entry(code).or_default().0 += 1;
            }
        }
        if b.escalates() && !c.escalates() {
            down += 1;
            for code in distinct(&b.reasons) {
                reasons.entry(code).or_default().1 += 1;
            }
        }
        by_category
            .entry(case.category.as_deref().unwrap_or(NONE))
            .or_default()
            .add(case);
        by_tier
            .entry(case.customer_tier.as_deref().unwrap_or(NONE))
            .or_default()
            .add(case);

        let mut votes_same = true;
        // The voters whose vote changed in this decision, for
        // `flips_with_change`, which counts decisions, not votes.
        let mut changed: Vec<&str> = Vec::new();
        for pair in case.vote_pairs() {
            let source = pair.source();
            let acc = match source.strip_prefix("plugin:") {
                Some(name) => by_plugin.entry(name.to_owned()).or_default(),
                None => by_trigger.entry(source.to_owned()).or_default(),
            };
            acc.votes += 1;
            repro.votes_total += 1;
            if pair.timing_dependent() {
                acc.timing += 1;
                repro.timing_dependent += 1;
            } else if pair.identical() {
                repro.votes_identical += 1;
            } else {
                acc.changed += 1;
                votes_same = false;
                changed.push(source);
            }
        }
        if flipped {
            changed.sort_unstable();
            changed.dedup();
            for source in changed {
                let acc = match source.strip_prefix("plugin:") {
                    Some(name) => by_plugin.get_mut(name),
                    None => by_trigger.get_mut(source),
                };
                if let Some(acc) = acc {
                    acc.flips += 1;
                }
            }
        }
        if !flipped && b.tier == c.tier && b.priority == c.priority && b.reasons == c.reasons {
            repro.decisions_identical += u64::from(votes_same);
        }
    }
    repro.decision_rate = rate(repro.decisions_identical, n);
    repro.action_rate = rate(n - flips, n);
    repro.vote_rate = rate(
        repro.votes_identical,
        repro.votes_total - repro.timing_dependent,
    );

    let mut transitions: Vec<Transition> = transitions
        .into_iter()
        .map(|((from, to), count)| Transition {
            from: from.to_owned(),
            to: to.to_owned(),
            count,
        })
        .collect();
    transitions.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.from.cmp(&b.from))
            .then_with(|| a.to.cmp(&b.to))
    });

    let mut by_reason: Vec<ReasonShift> = reasons
        .into_iter()
        .map(|(code, (gained, lost))| ReasonShift {
            code: code.to_owned(),
            gained,
            lost,
        })
        .collect();
    by_reason.sort_by_key(|r| Reverse(r.gained + r.lost));

    Report {
        decisions: n,
        conversations: conversations.len() as u64,
        skipped: skipped.clone(),
        actions: actions
            .into_iter()
            .map(|(a, c)| (a.to_owned(), c))
            .collect(),
        transitions,
        flips: Share {
            count: flips,
            rate: rate(flips, n),
        },
        escalation_rate: RateChange::of(esc_b, esc_c, n),
        offer_rate: RateChange::of(off_b, off_c, n),
        escalations_up: up,
        escalations_down: down,
        by_category: groups(by_category),
        by_customer_tier: groups(by_tier),
        by_reason,
        by_plugin: voters(by_plugin),
        by_trigger: voters(by_trigger),
        reproduced: repro,
        timing: timing(cases, conversations),
        review: review(cases),
        sample: sample(cases, options.sample),
    }
}

#[derive(Default)]
struct ShiftAcc {
    count: u64,
    turns: i64,
    millis: i64,
}

impl ShiftAcc {
    fn add(&mut self, first: &Case, second: &Case) {
        self.count += 1;
        self.turns += i64::from(second.turn) - i64::from(first.turn);
        self.millis += (second.at - first.at).num_milliseconds();
    }

    fn done(self) -> Shift {
        let mean = |sum: f64| (self.count > 0).then(|| round(sum / self.count as f64, 2));
        Shift {
            count: self.count,
            mean_turns: mean(self.turns as f64),
            mean_seconds: mean(self.millis as f64 / 1000.0),
        }
    }
}

fn timing(cases: &[Case], conversations: HashMap<&str, Vec<usize>>) -> Timing {
    let mut t = Timing {
        conversations: 0,
        earlier: ShiftAcc::default().done(),
        later: ShiftAcc::default().done(),
        same: 0,
        only_baseline: 0,
        only_candidate: 0,
        neither: 0,
    };
    let (mut earlier, mut later) = (ShiftAcc::default(), ShiftAcc::default());
    for (_, mut idx) in conversations {
        if idx.len() < 2 {
            continue;
        }
        t.conversations += 1;
        idx.sort_by(|&a, &b| {
            (cases[a].at, &cases[a].decision_id).cmp(&(cases[b].at, &cases[b].decision_id))
        });
        let first =
            |side: fn(&Case) -> &Side| idx.iter().position(|&i| side(&cases[i]).escalates());
        let b = first(|c| &c.baseline);
        let c = first(|c| &c.candidate);
        match (b, c) {
            (Some(b), Some(c)) if c < b => earlier.add(&cases[idx[c]], &cases[idx[b]]),
            (Some(b), Some(c)) if c > b => later.add(&cases[idx[b]], &cases[idx[c]]),
            (Some(_), Some(_)) => t.same += 1,
            (Some(_), None) => t.only_baseline += 1,
            (None, Some(_)) => t.only_candidate += 1,
            (None, None) => t.neither += 1,
        }
    }
    t.earlier = earlier.done();
    t.later = later.done();
    t
}

fn review(cases: &[Case]) -> Review {
    // [side][tp, fp, fn, tn]
    let mut m = [[0u64; 4]; 2];
    let (mut reviewed, mut correct_lost, mut unnecessary_dropped, mut missed_caught) =
        (0u64, 0u64, 0u64, 0u64);
    for case in cases {
        let (b, c) = (case.baseline.escalates(), case.candidate.escalates());
        let should = match case.verdict.as_deref() {
            Some("correct") => b,
            Some("unnecessary") => false,
            Some("missed") => true,
            // An unknown verdict says nothing about what was right.
            _ => continue,
        };
        reviewed += 1;
        for (side, did) in [b, c].into_iter().enumerate() {
            let cell = match (did, should) {
                (true, true) => 0,
                (true, false) => 1,
                (false, true) => 2,
                (false, false) => 3,
            };
            m[side][cell] += 1;
        }
        match case.verdict.as_deref() {
            Some("correct") if b && !c => correct_lost += 1,
            Some("unnecessary") if b && !c => unnecessary_dropped += 1,
            Some("missed") if c => missed_caught += 1,
            _ => {}
        }
    }
    let raw = |s: [u64; 4]| (ratio(s[0], s[0] + s[1]), ratio(s[0], s[0] + s[2]));
    let (bp, br) = raw(m[0]);
    let (cp, cr) = raw(m[1]);
    Review {
        reviewed,
        baseline: Confusion::new(m[0][0], m[0][1], m[0][2], m[0][3]),
        candidate: Confusion::new(m[1][0], m[1][1], m[1][2], m[1][3]),
        precision_delta_points: points(bp, cp),
        recall_delta_points: points(br, cr),
        correct_lost,
        unnecessary_dropped,
        missed_caught,
    }
}

fn sample_side(side: &Side, votes: Vec<VoteFact>) -> SampleSide {
    SampleSide {
        action: side.action.clone(),
        priority: side.priority,
        reasons: side.reasons.clone(),
        votes,
        shadow_action: side.shadow_action.clone(),
    }
}

fn sample_case(case: &Case) -> SampleCase {
    let differing: Vec<VotePair<'_>> = case
        .vote_pairs()
        .into_iter()
        .filter(|p| !p.identical())
        .collect();
    let baseline = differing.iter().filter_map(|p| p.baseline).cloned();
    let candidate = differing.iter().filter_map(|p| p.candidate).cloned();
    SampleCase {
        decision_id: case.decision_id.clone(),
        conversation_id: case.conversation_id.clone(),
        at: case.at,
        category: case.category.clone(),
        customer_tier: case.customer_tier.clone(),
        channel: case.channel.clone(),
        turn: case.turn,
        verdict: case.verdict.clone(),
        baseline: sample_side(&case.baseline, baseline.collect()),
        candidate: sample_side(&case.candidate, candidate.collect()),
    }
}

/// Up to `size` flipped cases. A hash of the decision id orders them, so
/// the same replay shows the same sample whatever order the runner
/// produced the cases in, and taking one per category in turn keeps a
/// single busy category from filling the whole sample.
fn sample(cases: &[Case], size: usize) -> Vec<SampleCase> {
    if size == 0 {
        return Vec::new();
    }
    let mut buckets: BTreeMap<&str, Vec<([u8; 32], &Case)>> = BTreeMap::new();
    for case in cases.iter().filter(|c| c.flipped()) {
        let hash: [u8; 32] = Sha256::digest(case.decision_id.as_bytes()).into();
        buckets
            .entry(case.category.as_deref().unwrap_or(NONE))
            .or_default()
            .push((hash, case));
    }
    let mut queues: Vec<_> = buckets
        .into_values()
        .map(|mut b| {
            b.sort_unstable_by(|x, y| (x.0, &x.1.decision_id).cmp(&(y.0, &y.1.decision_id)));
            b.into_iter()
        })
        .collect();
    let mut out = Vec::with_capacity(size);
    while out.len() < size && !queues.is_empty() {
        queues.retain_mut(|q| match q.next() {
            Some((_, case)) if out.len() < size => {
                out.push(sample_case(case));
                true
            }
            _ => false,
        });
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// A vote as both sides serialise it, timings included.
    pub(crate) fn vote(source: &str, verdict: &str) -> Value {
        json!({"source": source, "verdict": verdict, "weight": 1.0, "hard": false,
               "reason": format!("{verdict}_reason"), "detail": "in 12 µs",
               "priority": null, "elapsed_us": 12})
    }

    /// A decision of `action` with one reason code and the given votes;
    /// `turn` customer messages, decided `minute` minutes past 10:00.
    pub(crate) fn record(
        id: &str,
        conversation: &str,
        action: &str,
        reason: &str,
        category: Option<&str>,
        (turn, minute): (usize, u32),
        votes: Value,
    ) -> Value {
        let messages: Vec<Value> = (0..turn)
            .map(|_| json!({"role": "customer", "text": "?", "at": "2025-01-01T09:00:00Z"}))
            .collect();
        json!({
            "decision_id": id, "conversation_id": conversation, "action": action,
            "escalate": action == "escalate", "tier": "ai_led", "score": 1.0,
            "hard": false, "priority": 50,
            "reasons": [{"source": "builtin:x", "code": reason}],
            "votes": votes,
            "request": {
                "conversation_id": conversation,
                "now": format!("2025-01-01T10:{minute:02}:00Z"),
                "customer": {"tier": "standard"},
                "topic": {"category": category},
                "messages": messages
            }
        })
    }

    pub(crate) fn case(base: &Value, cand: &Value, verdict: Option<&str>) -> Case {
        Case::new(base, cand, verdict.map(str::to_owned)).unwrap()
    }

    /// Six decisions over three conversations, two of them reviewed.
    ///
    /// | id | conv | cat     | turn | min | baseline | candidate | verdict     |
    /// |----|------|---------|------|-----|----------|-----------|-------------|
    /// | d1 | a    | billing | 1    | 0   | stay     | stay      |             |
    /// | d2 | a    | billing | 2    | 1   | stay     | escalate  | missed      |
    /// | d3 | a    | billing | 3    | 3   | escalate | escalate  |             |
    /// | d4 | b    | refunds | 1    | 0   | escalate | offer     | unnecessary |
    /// | d5 | b    | refunds | 2    | 2   | escalate | escalate  |             |
    /// | d6 | c    | (none)  | 1    | 0   | stay     | stay      |             |
    ///
    /// The plugin `vip` changes its vote in d2 and d4; all other votes match.
    pub(crate) fn six() -> Vec<Case> {
        let same = || {
            json!([
                vote("builtin:confidence", "stay"),
                vote("plugin:vip", "stay")
            ])
        };
        let esc = || {
            json!([
                vote("builtin:confidence", "stay"),
                vote("plugin:vip", "escalate")
            ])
        };
        let r = |id, conv, action, reason, cat, turn, min, votes| {
            record(id, conv, action, reason, cat, (turn, min), votes)
        };
        let billing = Some("billing");
        let refunds = Some("refunds");
        vec![
            case(
                &r("d1", "a", "stay", "calm", billing, 1, 0, same()),
                &r("d1", "a", "stay", "calm", billing, 1, 0, same()),
                None,
            ),
            case(
                &r("d2", "a", "stay", "calm", billing, 2, 1, same()),
                &r("d2", "a", "escalate", "vip_customer", billing, 2, 1, esc()),
                Some("missed"),
            ),
            case(
                &r("d3", "a", "escalate", "angry", billing, 3, 3, same()),
                &r("d3", "a", "escalate", "angry", billing, 3, 3, same()),
                None,
            ),
            case(
                &r(
                    "d4",
                    "b",
                    "escalate",
                    "low_confidence",
                    refunds,
                    1,
                    0,
                    esc(),
                ),
                &r("d4", "b", "offer", "low_confidence", refunds, 1, 0, same()),
                Some("unnecessary"),
            ),
            case(
                &r("d5", "b", "escalate", "angry", refunds, 2, 2, same()),
                &r("d5", "b", "escalate", "angry", refunds, 2, 2, same()),
                None,
            ),
            case(
                &r("d6", "c", "stay", "calm", None, 1, 0, same()),
                &r("d6", "c", "stay", "calm", None, 1, 0, same()),
                None,
            ),
        ]
    }

    fn run(cases: &[Case]) -> Report {
        compare(cases, &BTreeMap::new(), &Options::default())
    }

    #[test]
    fn the_hand_computed_six() {
        let r = run(&six());
        assert_eq!(r.decisions, 6);
        assert_eq!(r.conversations, 3);
        // Flips: d2 (stay→escalate) and d4 (escalate→offer): 2/6 = 0.3333.
        assert_eq!(r.flips.count, 2);
        assert_eq!(r.flips.rate, Some(0.3333));
        assert_eq!(r.transitions.len(), 2);
        assert_eq!(
            (r.transitions[0].from.as_str(), r.transitions[0].to.as_str()),
            ("escalate", "offer")
        );
        // Escalations: baseline d3 d4 d5 = 3/6 = 0.5; candidate d2 d3 d5 =
        // 3/6 = 0.5; no change in points. Offers: 0 → 1/6 = 0.1667, +16.67.
        assert_eq!(r.escalation_rate.baseline, Some(0.5));
        assert_eq!(r.escalation_rate.candidate, Some(0.5));
        assert_eq!(r.escalation_rate.delta_points, Some(0.0));
        assert_eq!(r.offer_rate.candidate, Some(0.1667));
        assert_eq!(r.offer_rate.delta_points, Some(16.67));
        assert_eq!((r.escalations_up, r.escalations_down), (1, 1));
        assert_eq!(
            r.actions["offer"],
            ActionCount {
                baseline: 0,
                candidate: 1
            }
        );
        assert_eq!(
            r.actions["stay"],
            ActionCount {
                baseline: 3,
                candidate: 2
            }
        );

        // Categories: billing (3 decisions, 1 flip, esc 1/3 → 2/3), refunds
        // (2, 1 flip, 2/2 → 1/2), (none) (1, 0). Ties on flips by name.
        let cats: Vec<_> = r
            .by_category
            .iter()
            .map(|g| (g.value.as_str(), g.flips))
            .collect();
        assert_eq!(cats, vec![("billing", 1), ("refunds", 1), ("(none)", 0)]);
        assert_eq!(r.by_category[0].escalation_rate.baseline, Some(0.3333));
        assert_eq!(r.by_category[0].escalation_rate.candidate, Some(0.6667));
        assert_eq!(r.by_category[0].escalation_rate.delta_points, Some(33.33));
        assert_eq!((r.by_category[1].up, r.by_category[1].down), (0, 1));
        assert_eq!(r.by_customer_tier.len(), 1);

        // Reasons: d2 gains vip_customer; d4 loses low_confidence.
        let reasons: Vec<_> = r
            .by_reason
            .iter()
            .map(|x| (x.code.as_str(), x.gained, x.lost))
            .collect();
        assert_eq!(
            reasons,
            vec![("low_confidence", 0, 1), ("vip_customer", 1, 0)]
        );

        // vip changed in d2 and d4, both flips; confidence never changed.
        assert_eq!(r.by_plugin.len(), 1);
        let vip = &r.by_plugin[0];
        assert_eq!(
            (vip.source.as_str(), vip.votes, vip.votes_changed),
            ("vip", 6, 2)
        );
        assert_eq!(vip.flips_with_change, 2);
        assert_eq!(r.by_trigger[0].source, "builtin:confidence");
        assert_eq!(r.by_trigger[0].votes_changed, 0);

        // Reproduced: 4 of 6 decisions, 10 of 12 votes.
        assert_eq!(r.reproduced.decisions_identical, 4);
        assert_eq!(r.reproduced.decision_rate, Some(0.6667));
        assert_eq!(r.reproduced.action_rate, Some(0.6667));
        assert_eq!(
            (r.reproduced.votes_identical, r.reproduced.votes_total),
            (10, 12)
        );
        assert_eq!(r.reproduced.vote_rate, Some(0.8333));

        // Timing: c has one decision and is left out. In a, the baseline
        // first escalates at d3 (turn 3, 10:03), the candidate at d2 (turn
        // 2, 10:01): earlier by 1 turn, 120 s. In b the baseline escalates
        // at d4 (turn 1, 10:00), the candidate, which only offers there,
        // at d5 (turn 2, 10:02): later by 1 turn, 120 s.
        assert_eq!(r.timing.conversations, 2);
        assert_eq!(r.timing.earlier.count, 1);
        assert_eq!(r.timing.earlier.mean_turns, Some(1.0));
        assert_eq!(r.timing.earlier.mean_seconds, Some(120.0));
        assert_eq!(r.timing.later.count, 1);
        assert_eq!(r.timing.later.mean_turns, Some(1.0));
        assert_eq!(r.timing.later.mean_seconds, Some(120.0));
        assert_eq!(r.timing.same, 0);
        assert_eq!(r.timing.only_baseline + r.timing.only_candidate, 0);

        // Review: d2 missed → should escalate; baseline stay (FN), candidate
        // escalate (TP). d4 unnecessary → should not; baseline escalate
        // (FP), candidate offer (TN).
        // Baseline: TP 0 FP 1 FN 1 TN 0 → precision 0/1 = 0, recall 0/1 = 0.
        // Candidate: TP 1 FP 0 FN 0 TN 1 → precision 1, recall 1.
        let v = &r.review;
        assert_eq!(v.reviewed, 2);
        assert_eq!(
            (v.baseline.tp, v.baseline.fp, v.baseline.fn_, v.baseline.tn),
            (0, 1, 1, 0)
        );
        assert_eq!(
            (
                v.candidate.tp,
                v.candidate.fp,
                v.candidate.fn_,
                v.candidate.tn
            ),
            (1, 0, 0, 1)
        );
        assert_eq!(v.baseline.precision, Some(0.0));
        assert_eq!(v.candidate.recall, Some(1.0));
        assert_eq!(v.precision_delta_points, Some(100.0));
        assert_eq!(v.recall_delta_points, Some(100.0));
        assert_eq!(
            (v.correct_lost, v.unnecessary_dropped, v.missed_caught),
            (0, 1, 1)
        );

        // Sample: both flips, showing only the vote that differs.
        assert_eq!(r.sample.len(), 2);
        let d2 = r.sample.iter().find(|s| s.decision_id == "d2").unwrap();
        assert_eq!(d2.baseline.votes.len(), 1);
        assert_eq!(d2.baseline.votes[0].verdict, "stay");
        assert_eq!(d2.candidate.votes[0].verdict, "escalate");
        assert_eq!(d2.verdict.as_deref(), Some("missed"));
    }

    #[test]
    fn unchanged_rules_reproduce_everything() {
        let cases: Vec<Case> = six()
            .into_iter()
            .map(|mut c| {
                c.candidate = c.baseline.clone();
                c
            })
            .collect();
        let r = run(&cases);
        assert_eq!(r.flips.count, 0);
        assert_eq!(r.flips.rate, Some(0.0));
        assert_eq!(r.reproduced.decision_rate, Some(1.0));
        assert_eq!(r.reproduced.action_rate, Some(1.0));
        assert_eq!(r.reproduced.vote_rate, Some(1.0));
        assert!(r.transitions.is_empty() && r.by_reason.is_empty() && r.sample.is_empty());
        assert_eq!(r.escalation_rate.delta_points, Some(0.0));
        assert_eq!(r.timing.same, 2);
    }

    #[test]
    fn timings_and_details_are_not_differences() {
        let mut cand_vote = vote("plugin:vip", "stay");
        cand_vote["elapsed_us"] = json!(4000);
        cand_vote["fuel_used"] = json!(777);
        cand_vote["detail"] = json!("in 4000 µs");
        let base = record(
            "d",
            "c",
            "stay",
            "calm",
            None,
            (1, 0),
            json!([vote("plugin:vip", "stay")]),
        );
        let cand = record("d", "c", "stay", "calm", None, (1, 0), json!([cand_vote]));
        let r = run(&[case(&base, &cand, None)]);
        assert_eq!(r.reproduced.decisions_identical, 1);
        assert_eq!(r.reproduced.vote_rate, Some(1.0));
        assert_eq!(r.by_plugin[0].votes_changed, 0);
    }

    #[test]
    fn a_deadline_on_the_baseline_is_counted_apart() {
        let mut slow = vote("plugin:slow", "abstain");
        slow["error"] = json!({"kind": "deadline", "message": "over 50 ms"});
        let base = record("d", "c", "stay", "calm", None, (1, 0), json!([slow]));
        let cand = record(
            "d",
            "c",
            "stay",
            "calm",
            None,
            (1, 0),
            json!([vote("plugin:slow", "stay")]),
        );
        let r = run(&[case(&base, &cand, None)]);
        assert_eq!(r.reproduced.timing_dependent, 1);
        assert_eq!(r.reproduced.votes_identical, 0);
        // No comparable vote: the vote rate has no data.
        assert_eq!(r.reproduced.vote_rate, None);
        assert_eq!(r.reproduced.decisions_identical, 1);
        assert_eq!(r.by_plugin[0].votes_changed, 0);
        assert_eq!(r.by_plugin[0].timing_dependent, 1);
    }

    #[test]
    fn empty_input_gives_nulls() {
        let mut skipped = BTreeMap::new();
        skipped.insert("no_request".to_owned(), 3);
        let r = compare(&[], &skipped, &Options::default());
        assert_eq!(r.decisions, 0);
        assert_eq!(r.skipped["no_request"], 3);
        assert_eq!(r.flips.rate, None);
        assert_eq!(r.escalation_rate.delta_points, None);
        assert_eq!(r.reproduced.action_rate, None);
        assert_eq!(r.review.baseline.precision, None);
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains("NaN"));
        assert!(text.contains("\"rate\":null"));
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn the_sample_is_bounded_and_spread() {
        let mut cases = Vec::new();
        for i in 0..20 {
            let cat = if i < 18 { Some("busy") } else { Some("rare") };
            let id = format!("d{i}");
            let base = record(&id, &id, "stay", "calm", cat, (1, 0), json!([]));
            let cand = record(&id, &id, "escalate", "calm", cat, (1, 0), json!([]));
            cases.push(case(&base, &cand, None));
        }
        // One per category in turn: busy, rare, busy, rare, busy.
        let opts = Options { sample: 5 };
        let r = compare(&cases, &BTreeMap::new(), &opts);
        assert_eq!(r.sample.len(), 5);
        let rare = r
            .sample
            .iter()
            .filter(|s| s.category.as_deref() == Some("rare"))
            .count();
        assert_eq!(rare, 2);
        // Same sample whatever the input order.
        cases.reverse();
        assert_eq!(compare(&cases, &BTreeMap::new(), &opts).sample, r.sample);
        assert!(
            compare(&cases, &BTreeMap::new(), &Options { sample: 0 })
                .sample
                .is_empty()
        );
    }
}
