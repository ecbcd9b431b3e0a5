//! What one live decision shows: its action, tier and reasons, how long it
//! took, and every vote in it (verdict, failure, time, fuel).

use std::collections::BTreeMap;
use std::sync::{LazyLock, RwLock};

use metrics::{Counter, Histogram, counter, histogram};

use super::reason;
use super::{
    DECISION_REASONS, DECISION_SECONDS, DECISIONS, PLUGIN_FUEL, VOTE_FAILURES, VOTE_SECONDS, VOTES,
};
use crate::decision::Decision;
use crate::decision::source::Source;
use crate::decision::tier::Tier;
use crate::decision::vote::{Verdict, Vote};

/// Every verdict, in the order of [`Voter::votes`].
const VERDICTS: [Verdict; 4] = [
    Verdict::Escalate,
    Verdict::Stay,
    Verdict::Abstain,
    Verdict::HandBack,
];

/// One voter's series, looked up once: finding a series by its labels
/// costs several times recording into it, and a decision has a vote per
/// built-in trigger and per plugin.
struct Voter {
    /// By verdict, as [`VERDICTS`] orders them.
    votes: [Counter; 4],
    seconds: Histogram,
    /// For plugins.
    fuel: Option<Histogram>,
}

impl Voter {
    fn new(source: &Source) -> Voter {
        let label = source.to_string();
        Voter {
            votes: VERDICTS
                .map(|v| counter!(VOTES, "source" => label.clone(), "verdict" => verdict(v))),
            seconds: histogram!(VOTE_SECONDS, "source" => label),
            fuel: source
                .plugin()
                .map(|name| histogram!(PLUGIN_FUEL, "plugin" => name.to_owned())),
        }
    }

    fn record(&self, vote: &Vote) {
        let i = VERDICTS
            .iter()
            .position(|v| *v == vote.verdict)
            .expect("every verdict is listed");
        self.votes[i].increment(1);
        self.seconds.record(micros(vote.elapsed_us));
        if let (Some(fuel), Some(used)) = (&self.fuel, vote.fuel_used) {
            fuel.record(used as f64);
        }
        // Failures are rare: looked up when they happen.
        if let Some(e) = &vote.error {
            let source = vote.source.to_string();
            counter!(VOTE_FAILURES, "source" => source, "kind" => e.kind.as_str()).increment(1);
        }
    }
}

/// The voters seen so far: the built-in triggers and the plugin files, so
/// bounded by the plugins directory.
static VOTERS: LazyLock<RwLock<BTreeMap<Source, Voter>>> = LazyLock::new(Default::default);

/// Records a decision answered to a client. Replays and the command line
/// decide without calling this, so only live traffic is counted.
pub fn decided(decision: &Decision) {
    if !super::installed() {
        return;
    }
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

    let mut new = Vec::new();
    {
        let voters = VOTERS.read().unwrap_or_else(|e| e.into_inner());
        for vote in &decision.votes {
            match voters.get(&vote.source) {
                Some(voter) => voter.record(vote),
                None => new.push(vote),
            }
        }
    }
    if !new.is_empty() {
        let mut voters = VOTERS.write().unwrap_or_else(|e| e.into_inner());
        for vote in new {
            voters
                .entry(vote.source.clone())
                .or_insert_with(|| Voter::new(&vote.source))
                .record(vote);
        }
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

/// The verdict as the API names it (the one the vote counted as: a failed
/// plugin's is its failure policy's).
fn verdict(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Escalate => "escalate",
        Verdict::Stay => "stay",
        Verdict::Abstain => "abstain",
        Verdict::HandBack => "hand_back",
    }
}
