//! The two-way door: when a conversation a human owns may go back to the
//! AI (`[handback]`), and what the human is told of the customer's earlier
//! contacts (`[context]`).

use serde::{Deserialize, Serialize};

use super::error::{ConfigError, in_range, invalid, positive, within};

/// How Escalator tells that what the customer still wants is routine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutineTest {
    /// The AI, drafting in the background, answered the customer's latest
    /// message with confidence at or above `min_confidence` (by default the
    /// confidence trigger's threshold) and did not fall back.
    #[default]
    AiConfidence,
    /// The intent of that AI turn is one of `routine_intents`.
    Intents,
    /// Only a plugin's `hand-back` vote says so.
    Plugin,
}

/// When a conversation a human owns may go back to the AI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HandbackConfig {
    /// Off: a conversation a human owns always stays with the human.
    pub enabled: bool,
    /// How the remaining request is judged routine.
    pub routine: RoutineTest,
    /// With `routine = "intents"`: the AI intents that are routine, compared
    /// without regard to case.
    pub routine_intents: Vec<String>,
    /// With `routine = "ai_confidence"`: the confidence needed; unset, the
    /// confidence trigger's `threshold`.
    pub min_confidence: Option<f64>,
    /// Σ hand-back weights − Σ keep weights needed to hand back.
    pub threshold: f64,
    /// More ownership changes than this flag the conversation: it is routed
    /// to a senior agent and never handed back. The guide's 1.3 is a fleet
    /// average; for one conversation, two changes (there and back) is
    /// normal, a third is a bounce.
    pub max_ownership_changes: u32,
}

impl Default for HandbackConfig {
    fn default() -> Self {
        HandbackConfig {
            enabled: true,
            routine: RoutineTest::AiConfidence,
            routine_intents: Vec::new(),
            min_confidence: None,
            threshold: 1.0,
            max_ownership_changes: 2,
        }
    }
}

impl HandbackConfig {
    /// Checks every range, naming the key of the first bad value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(c) = self.min_confidence {
            within("handback.min_confidence", c, 0.0, 1.0)?;
        }
        positive("handback.threshold", self.threshold)?;
        within("handback.threshold", self.threshold, 0.0, 1000.0)?;
        in_range(
            "handback.max_ownership_changes",
            self.max_ownership_changes.into(),
            0,
            10_000,
        )?;
        if self.routine == RoutineTest::Intents && self.routine_intents.is_empty() {
            return Err(invalid(
                "handback.routine_intents",
                "routine = \"intents\" needs at least one intent",
            ));
        }
        Ok(())
    }
}

/// What the handoff context adds from the decision log.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContextConfig {
    /// How far back the customer's prior contacts are looked up, in days;
    /// 0 turns the lookup off.
    pub prior_contacts_days: u32,
    /// The most prior contacts listed (the newest).
    pub prior_contacts_max: u32,
    /// How long the lookup may take before the decision goes without it.
    pub prior_contacts_timeout_ms: u64,
}

impl Default for ContextConfig {
    fn default() -> Self {
        ContextConfig {
            prior_contacts_days: 30,
            prior_contacts_max: 10,
            prior_contacts_timeout_ms: 100,
        }
    }
}

impl ContextConfig {
    /// Checks every range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        in_range(
            "context.prior_contacts_days",
            self.prior_contacts_days.into(),
            0,
            3650,
        )?;
        in_range(
            "context.prior_contacts_max",
            self.prior_contacts_max.into(),
            1,
            100,
        )?;
        in_range(
            "context.prior_contacts_timeout_ms",
            self.prior_contacts_timeout_ms,
            1,
            10_000,
        )
    }
}
