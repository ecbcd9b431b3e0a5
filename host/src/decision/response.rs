//! The decision returned to the caller.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::decision::context::Handoff;
use crate::decision::merge::Action;
use crate::decision::ownership::{Owner, Ownership};
use crate::decision::reasons::Reason;
use crate::decision::route::Route;
use crate::decision::tier::Tier;
use crate::decision::triggers::Report;
use crate::decision::vote::Vote;

/// The merged decision, as serialised in the response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Decision {
    /// Unique per decision (UUID v7, so ids sort by time).
    pub decision_id: String,
    /// The conversation decided on.
    pub conversation_id: String,
    /// `escalate`, `offer` or `stay` while the AI owns the conversation;
    /// `hand_back` or `stay_with_human` while a human does.
    pub action: Action,
    /// True when `action` is `escalate`.
    pub escalate: bool,
    /// `ai_resolved`, `ai_assisted` or `human_led`.
    pub tier: Tier,
    /// Σ escalate weights − Σ stay weights.
    pub score: f64,
    /// True when a hard escalate decided.
    pub hard: bool,
    /// 0-100; see `tier::priority`.
    pub priority: u8,
    /// Routing hints for the human who takes over.
    pub route: Route,
    /// The votes that carried the action, heaviest first.
    pub reasons: Vec<Reason>,
    /// Who owns the conversation.
    pub ownership: OwnershipState,
    /// What the human needs to know.
    pub context: Handoff,
    /// While the time budget is not spent: when to ask again.
    pub re_evaluate_at: Option<DateTime<Utc>>,
    /// Every vote, built-ins first, then plugins by name.
    pub votes: Vec<Vote>,
    /// With `?explain=true`: every built-in trigger with what it observed and
    /// the thresholds it compared against, fired or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<Report>>,
    /// Present when shadow rules are configured (`[plugins.NAME] mode =
    /// "shadow"`, `[shadow.triggers]`): what the action would have been had
    /// their votes counted. They never change the decision itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shadow: Option<Shadow>,
    /// The plugin set generation the decision was made with.
    pub generation: u64,
    /// Time spent deciding, in microseconds.
    pub elapsed_us: u64,
}

/// Who owns the conversation, as the decision reports it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OwnershipState {
    /// `ai` or `human`.
    pub owner: Owner,
    /// The agent, while a human owns it and the help desk named them.
    pub agent: Option<String>,
    /// The queue, while a human owns it.
    pub queue: Option<String>,
    /// Ownership changes so far.
    pub changes: u32,
    /// Handoffs to a human so far.
    pub handoffs: u32,
    /// More changes than `handback.max_ownership_changes`: routed to a
    /// senior agent, never handed back.
    pub flagged: bool,
    /// The index of the first message the built-in triggers judged.
    pub judged_from: usize,
}

impl OwnershipState {
    /// The state of `ownership`; `flagged` as the hand-back rules found.
    pub fn of(ownership: &Ownership, flagged: bool) -> OwnershipState {
        OwnershipState {
            owner: ownership.owner,
            agent: ownership.agent.clone(),
            queue: ownership.queue.clone(),
            changes: ownership.changes,
            handoffs: ownership.handoffs,
            flagged,
            judged_from: ownership.judged_from(),
        }
    }
}

/// What a decision would have been had every shadow rule counted: the
/// shadow plugins' votes merged, and the shadow copy of the built-in
/// triggers voting in place of the enforced one.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Shadow {
    /// The would-be action.
    pub action: Action,
    /// The would-be tier.
    pub tier: Tier,
    /// The would-be priority.
    pub priority: u8,
    /// The would-be merged score.
    pub score: f64,
    /// The would-be reasons, heaviest first.
    pub reasons: Vec<Reason>,
    /// True when `action` differs from the decision's.
    pub flipped: bool,
    /// The shadow copy of the built-in triggers' votes, when
    /// `[shadow.triggers]` is set (the shadow plugins' votes are among the
    /// decision's votes, marked `shadow`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trigger_votes: Vec<Vote>,
}
