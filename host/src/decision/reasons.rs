//! The reason taxonomy: every reason code maps to one of the escalation tags
//! of the handoff guide, so the learning loop can group escalations.
//!
//! | Built-in code | Tag |
//! | --- | --- |
//! | `low_confidence`, `low_confidence_streak`, `ai_could_not_answer`, `turn_budget`, `time_budget` | `out_of_scope` |
//! | `negative_sentiment`, `frustration_streak`, `frustrated`, `answer_disputed` | `ai_gave_wrong_answer` |
//! | `customer_requested_human`, `human_maybe` | `customer_demanded_human` |
//! | `always_escalate_topic`, `topic_question`, `priority_account`, `plugin_failed`, `repeat_handoff` | `policy_required_human` |
//! | `routine_request`, `not_routine`, `awaiting_customer` (hand-back) | `other` |
//!
//! Plugin codes are namespaced as `<plugin>/<code>`; operators tag them in
//! the plugin's config section (`reason_tags = { vip_account = "policy_required_human" }`),
//! and untagged ones are `other`.

use serde::Serialize;

pub use crate::config::Tag;
use crate::decision::source::Source;

/// A reason that carried the decision.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reason {
    /// The voter.
    pub source: Source,
    /// The reason code; plugin codes are namespaced as `<plugin>/<code>`.
    pub code: String,
    /// The escalation tag the code maps to, for the learning loop.
    pub tag: Tag,
    /// The explanation for humans.
    pub detail: String,
}

/// A reason code given by Escalator itself: by a built-in trigger, or by a
/// plugin's failure policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The AI's latest confidence is below the threshold.
    LowConfidence,
    /// Several AI confidences in a row are low.
    LowConfidenceStreak,
    /// The AI's latest turn ended with an outcome that means it could not answer.
    AiCouldNotAnswer,
    /// The customer says the AI's latest answer is wrong.
    AnswerDisputed,
    /// The customer has written more messages than the budget allows.
    TurnBudget,
    /// The conversation has lasted longer than the budget allows.
    TimeBudget,
    /// The latest customer message reads as angry.
    NegativeSentiment,
    /// Several customer messages in a row read as frustrated or angry.
    FrustrationStreak,
    /// The customer asked for a human.
    CustomerRequestedHuman,
    /// The topic is one that always goes to a human.
    AlwaysEscalateTopic,
    /// The account is a priority one.
    PriorityAccount,
    /// A plugin failed and its failure policy decided the vote.
    PluginFailed,
    /// The latest customer message reads as frustrated, not angry: offer a human.
    Frustrated,
    /// A guarded topic only asked about hypothetically: offer a human.
    TopicQuestion,
    /// The customer may want a human later: offer one.
    HumanMaybe,
    /// A human owns the conversation and what remains is routine: it can go
    /// back to the AI.
    RoutineRequest,
    /// A human owns the conversation and what remains is not shown routine.
    NotRoutine,
    /// The conversation changed hands too often: it stays with a senior agent.
    RepeatHandoff,
    /// The customer has not written since a human took over.
    AwaitingCustomer,
}

impl Code {
    /// The code as it appears in votes and reasons.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::LowConfidence => "low_confidence",
            Code::LowConfidenceStreak => "low_confidence_streak",
            Code::AiCouldNotAnswer => "ai_could_not_answer",
            Code::AnswerDisputed => "answer_disputed",
            Code::TurnBudget => "turn_budget",
            Code::TimeBudget => "time_budget",
            Code::NegativeSentiment => "negative_sentiment",
            Code::FrustrationStreak => "frustration_streak",
            Code::CustomerRequestedHuman => "customer_requested_human",
            Code::AlwaysEscalateTopic => "always_escalate_topic",
            Code::PriorityAccount => "priority_account",
            Code::PluginFailed => "plugin_failed",
            Code::Frustrated => "frustrated",
            Code::TopicQuestion => "topic_question",
            Code::HumanMaybe => "human_maybe",
            Code::RoutineRequest => "routine_request",
            Code::NotRoutine => "not_routine",
            Code::RepeatHandoff => "repeat_handoff",
            Code::AwaitingCustomer => "awaiting_customer",
        }
    }

    /// The escalation tag of the code.
    pub fn tag(self) -> Tag {
        match self {
            Code::LowConfidence
            | Code::LowConfidenceStreak
            | Code::AiCouldNotAnswer
            | Code::TurnBudget
            | Code::TimeBudget => Tag::OutOfScope,
            Code::NegativeSentiment
            | Code::FrustrationStreak
            | Code::Frustrated
            | Code::AnswerDisputed => Tag::AiGaveWrongAnswer,
            Code::CustomerRequestedHuman | Code::HumanMaybe => Tag::CustomerDemandedHuman,
            Code::AlwaysEscalateTopic
            | Code::TopicQuestion
            | Code::PriorityAccount
            | Code::PluginFailed
            | Code::RepeatHandoff => Tag::PolicyRequiredHuman,
            Code::RoutineRequest | Code::NotRoutine | Code::AwaitingCustomer => Tag::Other,
        }
    }
}
