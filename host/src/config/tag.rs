//! The escalation tags of the handoff guide. Operators assign them to plugin
//! reason codes in the configuration (`reason_tags`), and every reason in a
//! decision carries one, so the learning loop can group escalations.

use serde::{Deserialize, Serialize};

/// An escalation tag of the handoff guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// "AI gave wrong answer": the customer is unhappy with what they got.
    AiGaveWrongAnswer,
    /// "Out of scope": the AI cannot handle it.
    OutOfScope,
    /// "Customer demanded human".
    CustomerDemandedHuman,
    /// "Policy required human": the rules say so, whatever the AI could do.
    PolicyRequiredHuman,
    /// Not tagged.
    Other,
}
