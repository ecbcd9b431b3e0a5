//! The reason taxonomy: every reason code maps to one of the escalation tags
//! of the handoff guide, so the learning loop can group escalations.
//!
//! | Built-in code | Tag |
//! | --- | --- |
//! | `low_confidence`, `low_confidence_streak`, `ai_could_not_answer`, `turn_budget`, `time_budget` | `out_of_scope` |
//! | `negative_sentiment`, `frustration_streak` | `ai_gave_wrong_answer` |
//! | `customer_requested_human` | `customer_demanded_human` |
//! | `always_escalate_topic`, `priority_account`, `plugin_failed` | `policy_required_human` |
//!
//! Plugin codes are namespaced as `<plugin>/<code>`; operators tag them in
//! the plugin's config section (`reason_tags = { vip_account = "policy_required_human" }`),
//! and untagged ones are `other`.

use serde::{Deserialize, Serialize};

/// An escalation tag of the handoff guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// The tag of a built-in reason code.
pub fn builtin_tag(code: &str) -> Tag {
    match code {
        "low_confidence"
        | "low_confidence_streak"
        | "ai_could_not_answer"
        | "turn_budget"
        | "time_budget" => Tag::OutOfScope,
        "negative_sentiment" | "frustration_streak" => Tag::AiGaveWrongAnswer,
        "customer_requested_human" => Tag::CustomerDemandedHuman,
        "always_escalate_topic" | "priority_account" | "plugin_failed" => Tag::PolicyRequiredHuman,
        _ => Tag::Other,
    }
}
