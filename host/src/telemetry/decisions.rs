//! What one live decision shows: its action, tier and reasons, how long it
//! took, and every vote in it (verdict, failure, time, fuel).

use metrics::{counter, histogram};

use super::reason;
use super::{
    DECISION_REASONS, DECISION_SECONDS, DECISIONS, PLUGIN_FUEL, VOTE_FAILURES, VOTE_SECONDS,
    VOTES,
};
use crate::decision::Decision;
use crate::decision::source::Source;
use crate::decision::tier::Tier;
use crate::decision::vote::{Verdict, Vote};

/// Records a decision answered to a client. Replays and the command line
/// decide without calling this, so only live traffic is counted.
pub fn decided(decision: &Decision) {
    let action = decision.action.as_str();
    let tier = tier(decision.tier);
    let leading = decision
        .reasons
        .first()
        .map_or_else(|| reason::NONE.to_owned(), reason::of_reason);
    counter!(DECISIONS, "action" => action, "tier" => tier, "reason" => leading).increment(1);
    for r in &decision.reasons {
        counter!(DECISION_REASONS, "action" => action, "reason" => reason::of_reason(r))
            .increment(1);
    }
    histogram!(DECISION_SECONDS).record(micros(decision.elapsed_us));
    for vote in &decision.votes {
        voted(vote);
    }
}

/// Records one vote: built-in triggers' and plugins' alike, shadow rules'
/// included (their sources are their own).
fn voted(vote: &Vote) {
    let source = vote.source.to_string();
    counter!(VOTES, "source" => source.clone(), "verdict" => verdict(vote.verdict)).increment(1);
    if let Some(e) = &vote.error {
        counter!(VOTE_FAILURES, "source" => source.clone(), "kind" => e.kind.as_str())
            .increment(1);
    }
    histogram!(VOTE_SECONDS, "source" => source).record(micros(vote.elapsed_us));
    if let (Source::Plugin(name), Some(fuel)) = (&vote.source, vote.fuel_used) {
        histogram!(PLUGIN_FUEL, "plugin" => name.to_string()).record(fuel as f64);
    }
}

fn micros(us: u64) -> f64 {
    us as f64 / 1e6
}

/// The tier as the API names it.
fn tier(tier: Tier) -> &'static str {
    match tier {
        Tier::AiResolved => "ai_resolved",
        Tier::AiAssisted => "ai_assisted",
        Tier::HumanLed => "human_led",
    }
}

/// The verdict as the API names it (the verdict the vote counted as: a
/// failed plugin's is its failure policy's).
fn verdict(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Escalate => "escalate",
        Verdict::Stay => "stay",
        Verdict::Abstain => "abstain",
        Verdict::HandBack => "hand_back",
    }
}
