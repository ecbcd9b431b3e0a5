//! Built-in triggers. Each is a [`Trigger`] that votes like any plugin, so the
//! merge explains built-in and plugin reasons the same way, and reports what
//! it observed and what it compared it with, for `?explain=true` and for the
//! human's context package.

use std::sync::Arc;

mod account;
mod budget;
mod confidence;
mod handback;
mod human_request;
mod sentiment;
mod topic;

pub use budget::re_evaluate_at;
pub use confidence::{could_not_answer, turn_failed};
pub use handback::Handback;

use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::config::TriggersConfig;
use crate::decision::emotion::EmotionPoint;
use crate::decision::input::Conversation;
use crate::decision::ownership::Owner;
use crate::decision::reading::Reading;
use crate::decision::reasons::Code;
use crate::decision::signals::Signals;
use crate::decision::source::Source;
use crate::decision::vote::{FailureKind, Verdict, Vote};

/// What every trigger may look at.
pub struct Context<'a> {
    /// The conversation.
    pub conversation: &'a Conversation,
    /// Computed signals.
    pub signals: &'a Signals,
    /// The customer's emotional trajectory.
    pub emotions: &'a [EmotionPoint],
    /// Each customer message read for phrases, in order: read once per
    /// decision, matched against every phrase list.
    pub readings: &'a [Arc<Reading>],
    /// For each customer message, whether it says a problem is solved
    /// ("thanks, that worked") with no sign of frustration.
    pub solved: &'a [bool],
    /// For each customer message, whether it acknowledges an answer and
    /// asks something new.
    pub moved_on: &'a [bool],
    /// Whether the caller asked for `?explain=true`.
    pub explain: bool,
    /// Who owns the conversation. While a human does, only the triggers
    /// that can hold it with the human run (sentiment, topic, account).
    pub owner: Owner,
}

/// A trigger's finding: its vote (if it fires) and what it saw.
pub struct Check {
    /// The escalate vote, when the trigger fires.
    pub vote: Option<Vote>,
    /// The values observed.
    pub observed: Value,
    /// The thresholds they were compared with.
    pub thresholds: Value,
}

impl Check {
    /// A trigger's finding. What it observed is built only when someone will
    /// read it (with `explain`, or when the trigger fires: the handoff
    /// context shows what it saw), and the thresholds only with `explain`;
    /// otherwise a decision would build JSON for nobody.
    pub fn new(
        ctx: &Context<'_>,
        vote: Option<Vote>,
        observed: impl FnOnce() -> Value,
        thresholds: impl FnOnce() -> Value,
    ) -> Check {
        let observed = if ctx.explain || vote.is_some() {
            observed()
        } else {
            Value::Null
        };
        let thresholds = if ctx.explain {
            thresholds()
        } else {
            Value::Null
        };
        Check {
            vote,
            observed,
            thresholds,
        }
    }
}

/// A built-in rule.
pub trait Trigger {
    /// The name shown as `builtin:<name>` in votes.
    fn name(&self) -> &'static str;
    /// Looks at the conversation.
    fn check(&self, ctx: &Context<'_>) -> Check;
}

/// One trigger's report, as shown by `?explain=true`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TriggerReport)]
pub struct Report {
    /// The trigger.
    pub trigger: &'static str,
    /// Whether it is enabled (a disabled trigger is not evaluated).
    pub enabled: bool,
    /// Whether it voted to escalate.
    pub fired: bool,
    /// The reason code it fired with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The values observed.
    pub observed: Value,
    /// The thresholds they were compared with.
    pub thresholds: Value,
}

impl Report {
    /// The report of a trigger that did not run: switched off, or reached
    /// after the decision's deadline.
    fn not_run(trigger: &'static str, enabled: bool) -> Report {
        Report {
            trigger,
            enabled,
            fired: false,
            reason: None,
            observed: Value::Null,
            thresholds: Value::Null,
        }
    }

    /// The report of a trigger that has nothing to say while a human owns
    /// the conversation: a budget, a shaky AI turn or a request for a human
    /// is no reason to keep a human who is already there.
    fn not_for_human(trigger: &'static str) -> Report {
        Report {
            observed: serde_json::json!({ "skipped": "a human owns the conversation" }),
            ..Report::not_run(trigger, true)
        }
    }
}

/// Runs every enabled trigger. Each enabled trigger casts exactly one vote
/// (abstain when it has nothing to say), so the decision shows what was
/// checked; every trigger, enabled or not, gets a report. A trigger reached
/// after `deadline` (the decision's) is not run: its vote fails as
/// `deadline`, and counts for nothing.
pub fn evaluate(
    config: &TriggersConfig,
    ctx: &Context<'_>,
    deadline: Instant,
) -> (Vec<Vote>, Vec<Report>) {
    let c = config;
    // Every trigger with the operator's switch and weight for it, and
    // whether it holds a conversation a human owns, on the stack: a
    // decision allocates nothing to list them.
    let all: [(&dyn Trigger, bool, f64, bool); 6] = [
        (
            &confidence::Confidence(&c.confidence),
            c.confidence.enabled,
            c.confidence.weight,
            false,
        ),
        (
            &sentiment::Sentiment(&c.sentiment),
            c.sentiment.enabled,
            c.sentiment.weight,
            true,
        ),
        (
            &topic::Topic(&c.topic),
            c.topic.enabled,
            c.topic.weight,
            true,
        ),
        (
            &account::Account(&c.account),
            c.account.enabled,
            c.account.weight,
            true,
        ),
        (
            &budget::Budget(&c.budget),
            c.budget.enabled,
            c.budget.weight,
            false,
        ),
        (
            &human_request::HumanRequest(&c.human_request),
            c.human_request.enabled,
            c.human_request.weight,
            false,
        ),
    ];
    let mut votes = Vec::with_capacity(all.len());
    let mut reports = Vec::with_capacity(all.len());
    for (t, enabled, weight, holds_for_human) in all {
        if !enabled {
            reports.push(Report::not_run(t.name(), false));
            continue;
        }
        if ctx.owner == Owner::Human && !holds_for_human {
            reports.push(Report::not_for_human(t.name()));
            continue;
        }
        let (vote, report) = run(t, weight, ctx, deadline);
        reports.push(report);
        votes.push(vote);
    }
    (votes, reports)
}

/// Runs one enabled trigger, its vote weighted by `weight`. A trigger
/// reached after `deadline` is not run: its vote fails as `deadline`, and
/// counts for nothing.
pub fn run(t: &dyn Trigger, weight: f64, ctx: &Context<'_>, deadline: Instant) -> (Vote, Report) {
    let start = Instant::now();
    if start >= deadline {
        let vote = Vote::failed(
            Source::Builtin(t.name()),
            FailureKind::Deadline,
            "not run: the decision's deadline (decision.deadline_ms) had passed".into(),
        );
        return (vote, Report::not_run(t.name(), true));
    }
    let check = t.check(ctx);
    let source = Source::Builtin(t.name());
    let mut vote = match check.vote {
        Some(mut vote) => {
            vote.source = source;
            vote
        }
        None => Vote::new(source, Verdict::Abstain),
    };
    vote.weight *= weight;
    vote.elapsed_us = start.elapsed().as_micros() as u64;
    let fired = matches!(vote.verdict, Verdict::Escalate | Verdict::HandBack);
    let report = Report {
        trigger: t.name(),
        enabled: true,
        fired,
        reason: fired.then(|| vote.reason.clone()),
        observed: check.observed,
        thresholds: check.thresholds,
    };
    (vote, report)
}

/// An escalate vote with a reason, a detail and a priority; `evaluate`
/// names the trigger that cast it.
fn escalate(code: Code, detail: String, priority: u8) -> Vote {
    let mut v = Vote::new(Source::Builtin(""), Verdict::Escalate).because_of(code, detail);
    v.priority = Some(priority);
    v
}
