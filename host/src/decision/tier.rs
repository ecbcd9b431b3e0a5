//! The conversation's tier, from the merged action and score:
//!
//! - `human_led` (tier 3): the action is `escalate`;
//! - `ai_assisted` (tier 2, a human approves irreversible actions): the
//!   action is `offer`, or the AI keeps the conversation with a score at or
//!   above `tiers.ai_assisted_from` (0.3): something is pulling towards a human;
//! - `ai_resolved` (tier 1): otherwise.
//!
//! While a human owns the conversation, `stay_with_human` is `human_led`,
//! and `hand_back` is `ai_assisted`: the AI leads again, on a conversation a
//! human has just stabilised.
//!
//! The tier is recomputed on every decision, so it moves with the conversation.

use serde::Serialize;

use crate::config::TierConfig;
use crate::decision::merge::{Action, Outcome};

/// Who leads the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Tier 1: the AI resolves it.
    AiResolved,
    /// Tier 2: the AI with a human approving irreversible actions.
    AiAssisted,
    /// Tier 3: a human leads.
    HumanLed,
}

/// The tier of a merged outcome.
pub fn tier(outcome: &Outcome, config: &TierConfig) -> Tier {
    match outcome.action {
        Action::Escalate | Action::StayWithHuman => Tier::HumanLed,
        Action::Offer | Action::HandBack => Tier::AiAssisted,
        Action::Stay if outcome.score >= config.ai_assisted_from => Tier::AiAssisted,
        Action::Stay => Tier::AiResolved,
    }
}

/// The decision's priority, 0-100:
///
/// - 0: the AI keeps the conversation, or gets it back;
/// - while a human keeps it: the highest priority a vote to keep it asked
///   for, or 0;
/// - otherwise the highest priority an escalate vote asked for, or, when none
///   did, 50 for an escalation and 30 for an offer.
///
/// The built-in triggers ask for: 95 security incident, 90 legal complaint or
/// priority account, 80 cancellation, 70 angry customer, 60 frustration
/// streak or explicit request for a human, 50 AI could not answer, 40 low
/// confidence or spent budget. Read it as 80+ drop everything, 60-79 next in
/// line, 30-59 normal queue.
pub fn priority(outcome: &Outcome) -> u8 {
    match outcome.action {
        Action::Stay | Action::HandBack => 0,
        Action::StayWithHuman => outcome.priority.unwrap_or(0),
        Action::Escalate => outcome.priority.unwrap_or(50),
        Action::Offer => outcome.priority.unwrap_or(30),
    }
}
