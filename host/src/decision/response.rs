//! The decision returned to the caller.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::decision::context::Handoff;
use crate::decision::merge::Action;
use crate::decision::reasons::Reason;
use crate::decision::route::Route;
use crate::decision::tier::Tier;
use crate::decision::triggers::Report;
use crate::decision::vote::Vote;

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
    /// The plugin set generation the decision was made with.
    pub generation: u64,
    /// Time spent deciding, in microseconds.
    pub elapsed_us: u64,
}
