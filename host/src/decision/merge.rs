//! The merge: many votes in, one action out.
//!
//! The rules, in order:
//! 1. Abstains are ignored (a failed plugin votes what its failure policy
//!    says, abstain by default).
//! 2. Any hard escalate wins: the action is `escalate` whatever the score.
//! 3. Otherwise score = Σ escalate weights − Σ stay weights;
//!    score ≥ escalate threshold → `escalate`, ≥ offer threshold → `offer`,
//!    else `stay`.
//! 4. Priority is the highest any escalate vote asked for; routing is the
//!    union of the escalate votes' hints (skills sorted, `senior` if any asked,
//!    the queue of the most urgent vote asking for one).
//!
//! The result does not depend on the order of the votes: weights are summed
//! in sorted order (float addition is not associative) and ties are broken
//! by source name. A `hand_back` vote counts as `stay` here.
//!
//! While a human owns the conversation, [`merge_handback`] asks the other
//! question — may it go back to the AI? — by rules of its own:
//! 1. Abstain and `stay` votes are ignored (a plugin written before
//!    ownership existed says `stay` to mean "the AI keeps it", which says
//!    nothing about taking it back).
//! 2. An `escalate` vote is a vote to keep the conversation with the human.
//!    It holds the conversation outright — `stay_with_human` whatever the
//!    score — when it is hard, or when a built-in trigger cast it (the
//!    customer is still upset, a guarded topic or a priority account, a
//!    bounce, a customer not heard since the handoff).
//! 3. Otherwise score = Σ `hand_back` weights − Σ keep weights;
//!    score ≥ `handback.threshold` → `hand_back`, else `stay_with_human`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::config::MergeConfig;
use crate::decision::source::Source;
use crate::decision::vote::{Routing, Verdict, Vote};

/// What the merged decision tells the caller to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Hand the conversation to a human now.
    Escalate,
    /// Offer the customer a human; the AI may carry on if they decline.
    Offer,
    /// Keep the conversation with the AI.
    Stay,
    /// A human owns the conversation and may give it back to the AI: the
    /// customer is calm and what remains is routine.
    HandBack,
    /// A human owns the conversation and should keep it.
    StayWithHuman,
}

impl Action {
    /// The name used in responses and in the decision log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Escalate => "escalate",
            Action::Offer => "offer",
            Action::Stay => "stay",
            Action::HandBack => "hand_back",
            Action::StayWithHuman => "stay_with_human",
        }
    }

    /// Every action, as named.
    pub const NAMES: [&'static str; 5] =
        ["escalate", "offer", "stay", "hand_back", "stay_with_human"];
}

/// The merge's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The action.
    pub action: Action,
    /// Σ escalate weights − Σ stay weights.
    pub score: f64,
    /// True when a hard escalate decided.
    pub hard: bool,
    /// The highest priority asked for by an escalate vote.
    pub priority: Option<u8>,
    /// The union of the escalate votes' routing hints.
    pub routing: Routing,
    /// Indices (into the merged votes) of the votes that carried the action,
    /// heaviest first.
    pub carried_by: Vec<usize>,
}

/// Sums in ascending order so that the result is the same whatever order the
/// votes arrived in.
fn stable_sum(mut weights: Vec<f64>) -> f64 {
    weights.sort_by(f64::total_cmp);
    weights.into_iter().sum()
}

/// Merges `votes` under `config`.
pub fn merge(votes: &[Vote], config: &MergeConfig) -> Outcome {
    let counted = |v: &Vote| v.verdict != Verdict::Abstain;
    let escalate: Vec<usize> = (0..votes.len())
        .filter(|&i| counted(&votes[i]) && votes[i].verdict == Verdict::Escalate)
        .collect();
    let stay: Vec<usize> = (0..votes.len())
        .filter(|&i| matches!(votes[i].verdict, Verdict::Stay | Verdict::HandBack))
        .collect();

    let score = stable_sum(escalate.iter().map(|&i| votes[i].weight).collect())
        - stable_sum(stay.iter().map(|&i| votes[i].weight).collect());
    let hard_votes: Vec<usize> = escalate
        .iter()
        .copied()
        .filter(|&i| votes[i].hard)
        .collect();
    let hard = !hard_votes.is_empty();

    let action = if hard || score >= config.escalate_threshold {
        Action::Escalate
    } else if score >= config.offer_threshold {
        Action::Offer
    } else {
        Action::Stay
    };

    let mut carried_by = match action {
        _ if hard => hard_votes,
        Action::Stay => stay,
        _ => escalate.clone(),
    };
    heaviest_first(&mut carried_by, votes);

    Outcome {
        action,
        score,
        hard,
        priority: escalate.iter().filter_map(|&i| votes[i].priority).max(),
        routing: union_routing(escalate.iter().map(|&i| &votes[i])),
        carried_by,
    }
}

/// Orders vote indices heaviest first, ties by source.
fn heaviest_first(indices: &mut [usize], votes: &[Vote]) {
    indices.sort_by(|&a, &b| {
        votes[b]
            .weight
            .total_cmp(&votes[a].weight)
            .then_with(|| votes[a].source.cmp(&votes[b].source))
    });
}

/// Merges `votes` while a human owns the conversation: `hand_back` or
/// `stay_with_human`, by the rules in the module's documentation.
/// `threshold` is `handback.threshold`.
pub fn merge_handback(votes: &[Vote], threshold: f64) -> Outcome {
    let keep: Vec<usize> = (0..votes.len())
        .filter(|&i| votes[i].verdict == Verdict::Escalate)
        .collect();
    let back: Vec<usize> = (0..votes.len())
        .filter(|&i| votes[i].verdict == Verdict::HandBack)
        .collect();
    let holds: Vec<usize> = keep
        .iter()
        .copied()
        .filter(|&i| {
            let v = &votes[i];
            v.hard || (matches!(v.source, Source::Builtin(_)) && v.weight > 0.0)
        })
        .collect();
    let score = stable_sum(back.iter().map(|&i| votes[i].weight).collect())
        - stable_sum(keep.iter().map(|&i| votes[i].weight).collect());
    let held = !holds.is_empty();
    let action = if !held && score >= threshold {
        Action::HandBack
    } else {
        Action::StayWithHuman
    };
    let mut carried_by = match action {
        _ if held => holds,
        Action::HandBack => back,
        _ => keep.clone(),
    };
    heaviest_first(&mut carried_by, votes);
    Outcome {
        action,
        score,
        hard: held,
        priority: keep.iter().filter_map(|&i| votes[i].priority).max(),
        routing: union_routing(keep.iter().map(|&i| &votes[i])),
        carried_by,
    }
}

fn union_routing<'a>(votes: impl Iterator<Item = &'a Vote>) -> Routing {
    let mut skills = BTreeSet::new();
    let mut senior = false;
    // (priority, source, queue): the most urgent vote names the queue; among
    // equals the alphabetically first source does, for order independence.
    let mut queue: Option<(u8, &Source, &str)> = None;
    for v in votes {
        let Some(r) = &v.routing else { continue };
        skills.extend(r.skills.iter().cloned());
        senior |= r.senior;
        if let Some(q) = &r.queue {
            let candidate = (v.priority.unwrap_or(0), &v.source, q.as_str());
            let better = match queue {
                None => true,
                Some((p, s, _)) => candidate.0 > p || (candidate.0 == p && candidate.1 < s),
            };
            if better {
                queue = Some(candidate);
            }
        }
    }
    Routing {
        queue: queue.map(|(_, _, q)| q.to_owned()),
        skills: skills.into_iter().collect(),
        senior,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(source: &str, verdict: Verdict, weight: f64) -> Vote {
        Vote {
            weight,
            ..Vote::new(Source::Plugin(source.into()), verdict)
        }
    }

    fn hard(source: &str) -> Vote {
        Vote {
            hard: true,
            ..vote(source, Verdict::Escalate, 1.0)
        }
    }

    #[test]
    fn merge_rules_table() {
        use Verdict::*;
        let cfg = MergeConfig::default();
        let cases: Vec<(&str, Vec<Vote>, Action)> = vec![
            ("no votes stay", vec![], Action::Stay),
            (
                "abstains are ignored",
                vec![vote("a", Abstain, 5.0)],
                Action::Stay,
            ),
            (
                "one full escalate",
                vec![vote("a", Escalate, 1.0)],
                Action::Escalate,
            ),
            ("offer band", vec![vote("a", Escalate, 0.5)], Action::Offer),
            ("below offer", vec![vote("a", Escalate, 0.49)], Action::Stay),
            (
                "weights add up",
                vec![vote("a", Escalate, 0.5), vote("b", Escalate, 0.5)],
                Action::Escalate,
            ),
            (
                "stay cancels escalate",
                vec![vote("a", Escalate, 1.0), vote("b", Stay, 1.0)],
                Action::Stay,
            ),
            (
                "hard beats any stay",
                vec![hard("a"), vote("b", Stay, 100.0)],
                Action::Escalate,
            ),
            (
                "a failed plugin's policy vote counts",
                vec![Vote {
                    error: Some(crate::decision::vote::VoteError {
                        kind: crate::decision::vote::FailureKind::Trap,
                        message: String::new(),
                    }),
                    hard: true,
                    ..vote("a", Escalate, 1.0)
                }],
                Action::Escalate,
            ),
        ];
        for (name, votes, expected) in cases {
            assert_eq!(merge(&votes, &cfg).action, expected, "{name}");
        }
    }

    #[test]
    fn outcome_is_independent_of_vote_order() {
        let mut votes = vec![
            vote("a", Verdict::Escalate, 0.1),
            vote("b", Verdict::Escalate, 0.2),
            vote("c", Verdict::Escalate, 0.3),
            vote("d", Verdict::Stay, 0.7),
            Vote {
                priority: Some(40),
                routing: Some(Routing {
                    queue: Some("q1".into()),
                    skills: vec!["x".into()],
                    senior: false,
                }),
                ..vote("e", Verdict::Escalate, 0.6)
            },
            Vote {
                priority: Some(40),
                routing: Some(Routing {
                    queue: Some("q2".into()),
                    skills: vec!["y".into()],
                    senior: true,
                }),
                ..vote("f", Verdict::Escalate, 0.6)
            },
        ];
        let reference = merge(&votes, &MergeConfig::default());
        let sources = |o: &Outcome, v: &[Vote]| -> Vec<String> {
            o.carried_by
                .iter()
                .map(|&i| v[i].source.to_string())
                .collect()
        };
        let ref_sources = sources(&reference, &votes);
        for _ in 0..votes.len() {
            votes.rotate_left(1);
            let o = merge(&votes, &MergeConfig::default());
            assert_eq!(o.score.to_bits(), reference.score.to_bits());
            assert_eq!(o.action, reference.action);
            assert_eq!(o.routing, reference.routing);
            assert_eq!(sources(&o, &votes), ref_sources);
        }
        votes.reverse();
        assert_eq!(
            merge(&votes, &MergeConfig::default()).routing,
            reference.routing
        );
        assert_eq!(reference.routing.queue.as_deref(), Some("q1"));
        assert_eq!(
            reference.routing.skills,
            vec!["x".to_string(), "y".to_string()]
        );
        assert!(reference.routing.senior);
    }

    #[test]
    fn priority_is_the_highest_escalate_asked_for() {
        let votes = vec![
            Vote {
                priority: Some(30),
                ..vote("a", Verdict::Escalate, 1.0)
            },
            Vote {
                priority: Some(90),
                ..vote("b", Verdict::Escalate, 1.0)
            },
            Vote {
                priority: Some(100),
                ..vote("c", Verdict::Stay, 0.1)
            },
        ];
        assert_eq!(merge(&votes, &MergeConfig::default()).priority, Some(90));
    }
}
