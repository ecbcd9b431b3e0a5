//! The facts replay compares, read from a decision's JSON.
//!
//! Both sides of a pair arrive as JSON: the baseline is a stored record and
//! the candidate a fresh decision serialised with `serde_json`. Reading both
//! through the same untyped path means a record written by an older version
//! (a field missing, a new one added) still compares, and only the fields
//! that carry meaning are kept: timings and free-text details vary from run
//! to run and would drown every real difference.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Error kinds that depend on the machine's load at the moment of the
/// decision, so a replay cannot be expected to reproduce them.
const TIMING_KINDS: [&str; 2] = ["deadline", "quarantined"];

/// Weights pass through arithmetic (the voter's own times the configured
/// one); a difference below this is rounding, not a change of rules.
const WEIGHT_EPSILON: f64 = 1e-9;

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// A label such as a category: an empty string says no more than a missing
/// one, and grouping them apart would split one bucket in two.
fn label(v: &Value) -> Option<String> {
    v.as_str()
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

fn integer(v: &Value) -> Option<i64> {
    // A priority written by another serialiser may come back as `70.0`.
    v.as_i64().or_else(|| v.as_f64().map(|f| f.round() as i64))
}

/// One vote, reduced to what a rule change can change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VoteFact {
    /// `builtin:NAME` or `plugin:NAME`.
    pub source: String,
    /// `escalate`, `stay`, `abstain` or `hand_back`.
    pub verdict: String,
    /// The effective weight.
    pub weight: f64,
    /// A must-escalate.
    pub hard: bool,
    /// The machine-readable reason code.
    pub reason: String,
    /// The priority asked for.
    pub priority: Option<i64>,
    /// A shadow rule's vote.
    pub shadow: bool,
    /// The failure class, when the voter failed.
    pub error_kind: Option<String>,
}

impl VoteFact {
    /// Reads a vote; `None` when it names no source, since an anonymous vote
    /// cannot be paired with its counterpart.
    pub fn from_json(v: &Value) -> Option<VoteFact> {
        Some(VoteFact {
            source: text(&v["source"])?,
            verdict: text(&v["verdict"]).unwrap_or_default(),
            weight: v["weight"].as_f64().unwrap_or(0.0),
            hard: v["hard"].as_bool().unwrap_or(false),
            reason: text(&v["reason"]).unwrap_or_default(),
            priority: integer(&v["priority"]),
            // Absent means false: the serialiser leaves it out for live votes.
            shadow: v["shadow"].as_bool().unwrap_or(false),
            error_kind: text(&v["error"]["kind"]),
        })
    }

    /// Whether `other` is the same vote for replay's purposes: equal on
    /// every kept field, with weights equal up to rounding.
    pub fn same_as(&self, other: &VoteFact) -> bool {
        self.source == other.source
            && self.verdict == other.verdict
            && (self.weight - other.weight).abs() <= WEIGHT_EPSILON
            && self.hard == other.hard
            && self.reason == other.reason
            && self.priority == other.priority
            && self.shadow == other.shadow
            && self.error_kind == other.error_kind
    }

    /// The vote failed for want of time or because its plugin sat in
    /// quarantine: both depend on load at the time, not on the rules.
    pub fn timing_dependent(&self) -> bool {
        self.error_kind
            .as_deref()
            .is_some_and(|k| TIMING_KINDS.contains(&k))
    }

    /// The plugin's name, for a plugin's vote.
    pub fn plugin(&self) -> Option<&str> {
        self.source.strip_prefix("plugin:")
    }
}

/// One voter's votes on both sides of a pair; either may be missing when
/// the voter was added, removed, or abstained from voting at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VotePair<'a> {
    /// The baseline's vote.
    pub baseline: Option<&'a VoteFact>,
    /// The candidate's vote.
    pub candidate: Option<&'a VoteFact>,
}

impl<'a> VotePair<'a> {
    /// The voter's source, from whichever side has the vote.
    pub fn source(&self) -> &'a str {
        self.baseline
            .or(self.candidate)
            .map_or("", |v| v.source.as_str())
    }

    /// The baseline's vote failed for timing reasons, so no verdict can be
    /// drawn from comparing the two.
    pub fn timing_dependent(&self) -> bool {
        self.baseline.is_some_and(VoteFact::timing_dependent)
    }

    /// Both sides hold the same vote.
    pub fn identical(&self) -> bool {
        match (self.baseline, self.candidate) {
            (Some(b), Some(c)) => b.same_as(c),
            _ => false,
        }
    }
}

/// One side of a pair: the decision, reduced to what replay compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Side {
    /// `escalate`, `offer`, `stay`, `hand_back` or `stay_with_human`.
    pub action: String,
    /// The tier.
    pub tier: String,
    /// 0–100.
    pub priority: i64,
    /// The merged score.
    pub score: f64,
    /// The reason codes, in the decision's order.
    pub reasons: Vec<String>,
    /// The votes, in the decision's order.
    pub votes: Vec<VoteFact>,
    /// The shadow rules' would-be action, when shadow rules ran.
    pub shadow_action: Option<String>,
}

impl Side {
    /// Reads a decision (a stored record or a serialised fresh one); `None`
    /// when it has no `action`, since without one there is nothing to
    /// compare.
    pub fn from_json(v: &Value) -> Option<Side> {
        let reasons = v["reasons"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    // A bare string is accepted so that hand-written fixtures
                    // and older exports read the same way.
                    .filter_map(|r| text(&r["code"]).or_else(|| text(r)))
                    .collect()
            })
            .unwrap_or_default();
        let votes = v["votes"]
            .as_array()
            .map(|vs| vs.iter().filter_map(VoteFact::from_json).collect())
            .unwrap_or_default();
        Some(Side {
            action: text(&v["action"])?,
            tier: text(&v["tier"]).unwrap_or_default(),
            priority: integer(&v["priority"]).unwrap_or(0),
            score: v["score"].as_f64().unwrap_or(0.0),
            reasons,
            votes,
            shadow_action: text(&v["shadow"]["action"]),
        })
    }

    /// The decision hands the conversation to a human.
    pub fn escalates(&self) -> bool {
        self.action == "escalate"
    }
}

/// A logged decision and its re-decision under the candidate rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Case {
    /// The logged decision's id.
    pub decision_id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// The request's `now`: when the decision was made for.
    pub at: DateTime<Utc>,
    /// Customer messages in the request: how far into the conversation.
    pub turn: u32,
    /// The topic's category.
    pub category: Option<String>,
    /// The customer's tier.
    pub customer_tier: Option<String>,
    /// The request's channel.
    pub channel: Option<String>,
    /// The latest reviewer verdict: `correct`, `unnecessary` or `missed`.
    pub verdict: Option<String>,
    /// The logged decision.
    pub baseline: Side,
    /// The candidate rules' decision.
    pub candidate: Side,
}

impl Case {
    /// Builds a case from a stored record (with its `request`) and the
    /// candidate's decision. `None` when either side has no action or the
    /// record lacks an id or a time, since such a case could be neither
    /// counted nor placed in its conversation.
    pub fn new(record: &Value, candidate: &Value, verdict: Option<String>) -> Option<Case> {
        let request = &record["request"];
        let at = text(&request["now"])
            .or_else(|| text(&record["decided_at"]))
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())?
            .with_timezone(&Utc);
        let turn = request["messages"].as_array().map_or(0, |ms| {
            ms.iter().filter(|m| m["role"] == "customer").count() as u32
        });
        Some(Case {
            decision_id: text(&record["decision_id"])?,
            conversation_id: label(&record["conversation_id"])
                .or_else(|| label(&request["conversation_id"]))?,
            at,
            turn,
            category: label(&request["topic"]["category"]),
            customer_tier: label(&request["customer"]["tier"]),
            channel: label(&request["channel"]),
            verdict,
            baseline: Side::from_json(record)?,
            candidate: Side::from_json(candidate)?,
        })
    }

    /// The action differs between the sides.
    pub fn flipped(&self) -> bool {
        self.baseline.action != self.candidate.action
    }

    /// The votes of both sides paired by voter. A voter that cast several
    /// votes is paired occurrence by occurrence, and a live vote is never
    /// paired with a shadow one, so that turning a rule into shadow shows
    /// as a change.
    pub fn vote_pairs(&self) -> Vec<VotePair<'_>> {
        fn keyed(votes: &[VoteFact]) -> Vec<((&str, bool, usize), &VoteFact)> {
            let mut out: Vec<_> = votes
                .iter()
                .enumerate()
                .map(|(i, v)| ((v.source.as_str(), v.shadow, i), v))
                .collect();
            // Sort by voter then original position, then renumber the
            // position as the occurrence within the voter.
            out.sort_by(|a, b| a.0.cmp(&b.0));
            let mut prev: Option<(&str, bool)> = None;
            let mut n = 0;
            for ((source, shadow, nth), _) in &mut out {
                n = if prev == Some((*source, *shadow)) {
                    n + 1
                } else {
                    0
                };
                prev = Some((*source, *shadow));
                *nth = n;
            }
            out
        }
        let b = keyed(&self.baseline.votes);
        let c = keyed(&self.candidate.votes);
        let mut pairs = Vec::with_capacity(b.len().max(c.len()));
        let (mut i, mut j) = (0, 0);
        while i < b.len() || j < c.len() {
            let order = match (b.get(i), c.get(j)) {
                (Some(x), Some(y)) => x.0.cmp(&y.0),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            let pair = match order {
                std::cmp::Ordering::Less => VotePair {
                    baseline: Some(b[i].1),
                    candidate: None,
                },
                std::cmp::Ordering::Greater => VotePair {
                    baseline: None,
                    candidate: Some(c[j].1),
                },
                std::cmp::Ordering::Equal => VotePair {
                    baseline: Some(b[i].1),
                    candidate: Some(c[j].1),
                },
            };
            if order != std::cmp::Ordering::Greater {
                i += 1;
            }
            if order != std::cmp::Ordering::Less {
                j += 1;
            }
            pairs.push(pair);
        }
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vote(source: &str, verdict: &str) -> Value {
        json!({"source": source, "verdict": verdict, "weight": 1.0, "hard": false,
               "reason": "r", "detail": "took 12 µs", "priority": null, "elapsed_us": 12})
    }

    fn record(votes: Value) -> Value {
        json!({
            "decision_id": "d1", "conversation_id": "c1", "action": "escalate",
            "tier": "human_led", "score": 2.5, "priority": 70,
            "reasons": [{"source": "builtin:confidence", "code": "low_confidence"}],
            "votes": votes,
            "shadow": {"action": "offer"},
            "decided_at": "2025-01-01T00:00:00Z",
            "request": {
                "conversation_id": "c1", "channel": "chat", "now": "2025-01-02T10:00:00Z",
                "customer": {"tier": "vip"}, "topic": {"category": ""},
                "messages": [
                    {"role": "customer", "text": "hi", "at": "2025-01-02T09:59:00Z"},
                    {"role": "ai", "text": "hello", "at": "2025-01-02T09:59:10Z"},
                    {"role": "customer", "text": "human please", "at": "2025-01-02T09:59:50Z"}
                ]
            }
        })
    }

    #[test]
    fn reads_the_facts_of_a_record() {
        let r = record(json!([vote("builtin:confidence", "escalate")]));
        let case = Case::new(&r, &r, Some("correct".into())).unwrap();
        assert_eq!(case.turn, 2);
        assert_eq!(case.at.to_rfc3339(), "2025-01-02T10:00:00+00:00");
        assert_eq!(case.customer_tier.as_deref(), Some("vip"));
        assert_eq!(case.channel.as_deref(), Some("chat"));
        // An empty category is no category.
        assert_eq!(case.category, None);
        assert_eq!(case.baseline.reasons, vec!["low_confidence"]);
        assert_eq!(case.baseline.shadow_action.as_deref(), Some("offer"));
        assert_eq!(case.baseline.priority, 70);
        assert!(!case.flipped());
    }

    #[test]
    fn a_side_without_action_is_no_side() {
        assert_eq!(Side::from_json(&json!({"tier": "x"})), None);
        let r = record(json!([]));
        assert!(Case::new(&r, &json!({}), None).is_none());
    }

    #[test]
    fn timings_and_details_do_not_make_votes_differ() {
        let a = VoteFact::from_json(&vote("plugin:vip", "escalate")).unwrap();
        let mut other = vote("plugin:vip", "escalate");
        other["elapsed_us"] = json!(99999);
        other["fuel_used"] = json!(123);
        other["memory_peak_bytes"] = json!(65536);
        other["detail"] = json!("took 99999 µs");
        let b = VoteFact::from_json(&other).unwrap();
        assert!(a.same_as(&b));
        other["verdict"] = json!("stay");
        assert!(!a.same_as(&VoteFact::from_json(&other).unwrap()));
    }

    #[test]
    fn pairs_votes_by_voter_and_occurrence() {
        let mut shadow = vote("plugin:b", "escalate");
        shadow["shadow"] = json!(true);
        let base = record(json!([
            vote("plugin:b", "stay"),
            vote("builtin:x", "escalate"),
            vote("builtin:x", "stay"),
        ]));
        let cand = record(json!([
            vote("builtin:x", "escalate"),
            shadow,
            vote("plugin:c", "escalate"),
        ]));
        let case = Case::new(&base, &cand, None).unwrap();
        let pairs = case.vote_pairs();
        let shape: Vec<_> = pairs
            .iter()
            .map(|p| {
                (
                    p.source().to_owned(),
                    p.baseline.is_some(),
                    p.candidate.is_some(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("builtin:x".to_owned(), true, true),
                ("builtin:x".to_owned(), true, false),
                ("plugin:b".to_owned(), true, false),
                ("plugin:b".to_owned(), false, true),
                ("plugin:c".to_owned(), false, true),
            ]
        );
        assert!(pairs[0].identical());
        assert!(!pairs[1].identical());
    }

    #[test]
    fn deadline_on_the_baseline_is_timing_dependent() {
        let mut v = vote("plugin:slow", "abstain");
        v["error"] = json!({"kind": "deadline", "message": "over 50 ms"});
        let f = VoteFact::from_json(&v).unwrap();
        assert!(f.timing_dependent());
        v["error"]["kind"] = json!("trap");
        assert!(!VoteFact::from_json(&v).unwrap().timing_dependent());
    }
}
