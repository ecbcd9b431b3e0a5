//! The review loop: which escalations a reviewer sees, and reviewed
//! decisions turned into fixtures for `escalator test`, so that a case a
//! reviewer corrected becomes a regression test for the rules.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::store::review::{Candidate, Verdict};

/// Picks `limit` of `candidates` so reviewers see a fair mix: the
/// candidates are grouped by category, each group shuffled by a hash of
/// `seed` and the decision id, and the groups taken in turn. A small
/// category is not drowned by a large one, the same seed gives the same
/// sample, and a new seed a new one.
pub fn sample(candidates: Vec<Candidate>, limit: usize, seed: &str) -> Vec<Candidate> {
    let mut groups: BTreeMap<String, Vec<([u8; 32], Candidate)>> = BTreeMap::new();
    for c in candidates {
        let key: [u8; 32] = Sha256::new()
            .chain_update(seed.as_bytes())
            .chain_update([0])
            .chain_update(c.decision_id.as_bytes())
            .finalize()
            .into();
        groups.entry(c.category.clone()).or_default().push((key, c));
    }
    let mut queues: Vec<std::vec::IntoIter<([u8; 32], Candidate)>> = groups
        .into_values()
        .map(|mut g| {
            g.sort_by_key(|(key, _)| *key);
            g.into_iter()
        })
        .collect();
    let mut out = Vec::with_capacity(limit);
    while out.len() < limit {
        let mut took = false;
        for q in &mut queues {
            if out.len() == limit {
                break;
            }
            if let Some((_, c)) = q.next() {
                out.push(c);
                took = true;
            }
        }
        if !took {
            break;
        }
    }
    out
}

/// The actions a reviewed decision should have had: what it got when the
/// verdict is `correct`, an escalation when `missed`, and anything short
/// of the handoff it made when `unnecessary`.
///
/// While a human owns the conversation the handoff is keeping the human:
/// a `missed` hand-back should have stayed with the human, an
/// `unnecessary` hold should have handed back. A verdict that contradicts
/// itself (an escalation `missed`, a `stay` `unnecessary`) expects nothing:
/// it cannot become a test.
pub fn expected_actions(verdict: &str, action: &str) -> Vec<&'static str> {
    match (verdict, action) {
        ("missed", "stay" | "offer") => vec!["escalate"],
        ("missed", "hand_back") => vec!["stay_with_human"],
        ("unnecessary", "escalate") => vec!["stay", "offer"],
        ("unnecessary", "offer") => vec!["stay"],
        ("unnecessary", "stay_with_human") => vec!["hand_back"],
        ("correct", got) => crate::decision::merge::Action::NAMES
            .iter()
            .copied()
            .filter(|a| *a == got)
            .collect(),
        _ => Vec::new(),
    }
}

/// Why a reviewed decision cannot become a fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// A field of its request was masked when stored: deciding it again
    /// would not be deciding the same conversation (a hashed tier or rank,
    /// an erased message).
    Masked,
    /// The record holds no request, or an action this build does not know,
    /// or the verdict contradicts the action (an escalation `missed`).
    Malformed,
}

/// The fixture case of a reviewed decision.
pub fn case(verdict: &Verdict, record: &Value) -> Result<Value, Unusable> {
    if crate::store::mask::request_masked(record) {
        return Err(Unusable::Masked);
    }
    let request = record.get("request").filter(|r| r.is_object());
    let action = record["action"].as_str().unwrap_or_default();
    let expected = expected_actions(&verdict.verdict, action);
    let (Some(request), false) = (request, expected.is_empty()) else {
        return Err(Unusable::Malformed);
    };
    let event: Value = serde_json::from_str(&verdict.event).unwrap_or(Value::Null);
    let mut name = format!(
        "{} {}: {} {} in {}",
        verdict.verdict,
        action,
        record["decision_id"].as_str().unwrap_or_default(),
        record["request"]["topic"]["category"]
            .as_str()
            .unwrap_or("(no category)"),
        record["request"]["conversation_id"]
            .as_str()
            .unwrap_or_default(),
    );
    if let Some(note) = event["note"].as_str() {
        name.push_str(" — ");
        name.push_str(note);
    }
    let expect = if expected.len() == 1 {
        json!({ "action": expected[0] })
    } else {
        json!({ "action": expected })
    };
    Ok(json!({ "name": name, "conversation": request, "expect": expect }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates() -> Vec<Candidate> {
        let mut out = Vec::new();
        for i in 0..40 {
            out.push(Candidate {
                decision_id: format!("b{i}"),
                category: "billing".into(),
            });
        }
        for i in 0..3 {
            out.push(Candidate {
                decision_id: format!("s{i}"),
                category: "shipping".into(),
            });
        }
        out.push(Candidate {
            decision_id: "f0".into(),
            category: "fraud".into(),
        });
        out
    }

    #[test]
    fn a_sample_mixes_categories_and_is_stable_for_a_seed() {
        let a = sample(candidates(), 6, "week-48");
        let cats: Vec<&str> = a.iter().map(|c| c.category.as_str()).collect();
        assert_eq!(cats.iter().filter(|c| **c == "fraud").count(), 1);
        assert_eq!(cats.iter().filter(|c| **c == "shipping").count(), 2);
        assert_eq!(cats.iter().filter(|c| **c == "billing").count(), 3);
        assert_eq!(a, sample(candidates(), 6, "week-48"));
        assert_ne!(a, sample(candidates(), 6, "week-49"));
        assert_eq!(sample(candidates(), 100, "x").len(), 44);
    }

    #[test]
    fn a_verdict_says_what_the_rules_should_have_done() {
        assert_eq!(expected_actions("correct", "escalate"), ["escalate"]);
        assert_eq!(
            expected_actions("unnecessary", "escalate"),
            ["stay", "offer"]
        );
        assert_eq!(expected_actions("missed", "stay"), ["escalate"]);
        assert!(expected_actions("correct", "teleport").is_empty());
        assert!(expected_actions("missed", "escalate").is_empty());
        assert_eq!(expected_actions("missed", "hand_back"), ["stay_with_human"]);
    }

    #[test]
    fn a_masked_request_is_not_exported() {
        let v = Verdict {
            decision_id: "d".into(),
            verdict: "correct".into(),
            event: "{}".into(),
        };
        let record = json!({"action": "escalate", "request": {"messages": []},
                            "masked": {"erased": ["request.messages.text"]}});
        assert_eq!(case(&v, &record), Err(Unusable::Masked));
        let record = json!({"action": "escalate", "decision_id": "d",
                            "request": {"conversation_id": "c", "messages": []}});
        let c = case(&v, &record).unwrap();
        assert_eq!(c["expect"]["action"], "escalate");
        assert_eq!(c["conversation"]["conversation_id"], "c");
    }
}
