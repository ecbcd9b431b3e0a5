//! The decision returned to the caller.

use serde::Serialize;

use crate::merge::{Action, Outcome};
use crate::vote::{Routing, Vote};

/// A reason that carried the decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The voter, `builtin:<name>` or `plugin:<name>`.
    pub source: String,
    /// The machine-readable reason code.
    pub code: String,
    /// The explanation for humans.
    pub detail: String,
}

/// The merged decision, as serialised in the response.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// Unique per decision (UUID v7, so ids sort by time).
    pub decision_id: String,
    /// The conversation decided on.
    pub conversation_id: String,
    /// `escalate`, `offer` or `stay`.
    pub action: Action,
    /// True when `action` is `escalate`.
    pub escalate: bool,
    /// Σ escalate weights − Σ stay weights.
    pub score: f64,
    /// True when a hard escalate decided.
    pub hard: bool,
    /// The highest priority asked for by an escalate vote, 0-100.
    pub priority: Option<u8>,
    /// Routing hints for the human who takes over.
    pub route: Routing,
    /// The votes that carried the action.
    pub reasons: Vec<Reason>,
    /// Every vote, built-ins first, then plugins by name.
    pub votes: Vec<Vote>,
    /// The plugin set generation the decision was made with.
    pub generation: u64,
    /// Time spent deciding, in microseconds.
    pub elapsed_us: u64,
}

impl Decision {
    /// Assembles the decision from the votes and their merge.
    pub fn new(
        conversation_id: String,
        votes: Vec<Vote>,
        outcome: Outcome,
        generation: u64,
        elapsed_us: u64,
    ) -> Decision {
        let reasons = outcome
            .carried_by
            .iter()
            .map(|&i| Reason {
                source: votes[i].source.clone(),
                code: votes[i].reason.clone(),
                detail: votes[i].detail.clone(),
            })
            .collect();
        Decision {
            decision_id: uuid::Uuid::now_v7().to_string(),
            conversation_id,
            action: outcome.action,
            escalate: outcome.action == Action::Escalate,
            score: outcome.score,
            hard: outcome.hard,
            priority: outcome.priority,
            route: outcome.routing,
            reasons,
            votes,
            generation,
            elapsed_us,
        }
    }
}
