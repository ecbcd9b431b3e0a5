//! The escalation policy operators edit: every built-in trigger's switches,
//! weights, thresholds and phrase lists, the tier mapping and the routing
//! attributes. Each section deserialises straight from the config file with
//! its defaults filled in, then each section's `validate` checks the ranges.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{ConfigError, in_range, invalid, priority, weight, within};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// All built-in triggers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TriggersConfig {
    /// Low or failing AI answers.
    pub confidence: ConfidenceConfig,
    /// Negative sentiment and frustration.
    pub sentiment: SentimentConfig,
    /// Always-escalate topics.
    pub topic: TopicConfig,
    /// Priority accounts.
    pub account: AccountConfig,
    /// Turn and time budgets.
    pub budget: BudgetConfig,
    /// Explicit requests for a human.
    pub human_request: HumanRequestConfig,
}

/// The confidence trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfidenceConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its escalate vote.
    pub weight: f64,
    /// The latest AI confidence below this escalates.
    pub threshold: f64,
    /// This many AI turns in a row below `streak_threshold` escalate.
    pub streak: u32,
    /// The bar for the streak: lower confidence, repeated, is a pattern even
    /// when no single turn is below `threshold`.
    pub streak_threshold: f64,
    /// AI turn outcomes meaning the AI could not answer.
    pub could_not_answer: Vec<String>,
}

impl Default for ConfidenceConfig {
    fn default() -> Self {
        ConfidenceConfig {
            enabled: true,
            weight: 1.0,
            threshold: 0.55,
            streak: 2,
            streak_threshold: 0.7,
            could_not_answer: strings(&[
                "fallback",
                "not_understood",
                "not-understood",
                "no_answer",
                "tool_error",
                "tool-error",
                "error",
            ]),
        }
    }
}

/// The sentiment and frustration trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SentimentConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its escalate vote.
    pub weight: f64,
    /// A message whose VADER compound score is at or below this is angry.
    pub angry_at: f64,
    /// A message at or below this (and above `angry_at`) is frustrated.
    pub frustrated_at: f64,
    /// This many frustrated-or-angry customer messages in a row escalate.
    pub streak: u32,
    /// Phrases of support frustration that VADER scores as neutral.
    pub frustration_phrases: Vec<String>,
    /// Threats that make a message angry whatever its score.
    pub anger_phrases: Vec<String>,
    /// A message with at least this many letters, nearly all capitals, is shouting.
    pub shouting_min_letters: u32,
    /// A run of this many `!` or `?` is a frustration cue.
    pub punctuation_run: u32,
    /// A customer message this similar (word overlap, 0-1) to an earlier one
    /// is a repetition, a frustration cue.
    pub repetition_similarity: f64,
    /// How many earlier customer messages a message is compared with for
    /// near repetitions; exact repetitions are found however far back.
    pub repetition_window: u32,
}

impl Default for SentimentConfig {
    fn default() -> Self {
        SentimentConfig {
            enabled: true,
            weight: 1.0,
            angry_at: -0.6,
            frustrated_at: -0.3,
            streak: 2,
            frustration_phrases: strings(&[
                "still not working",
                "still doesn't work",
                "still does not work",
                "still broken",
                "still waiting",
                "still no",
                "third time",
                "second time",
                "again and again",
                "how many times",
                "i already told you",
                "i already said",
                "already explained",
                "not helpful",
                "useless",
                "waste of time",
                "ridiculous",
                "unacceptable",
                "fed up",
                "sick of",
                "ainda não funciona",
                "de novo",
                "todavía no funciona",
                "otra vez",
            ]),
            anger_phrases: strings(&[
                "chargeback",
                "i will sue",
                "i'll sue",
                "sue you",
                "my lawyer",
                "report you",
                "cancel everything",
                "worst service",
                "scam",
            ]),
            shouting_min_letters: 8,
            punctuation_run: 3,
            repetition_similarity: 0.8,
            repetition_window: 20,
        }
    }
}

/// One always-escalate topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardedTopic {
    /// Upstream topic categories (or subcategories) that mean this topic.
    pub categories: Vec<String>,
    /// Customer phrases that mean this topic.
    pub phrases: Vec<String>,
    /// The queue it routes to.
    pub queue: String,
    /// The priority it asks for.
    pub priority: u8,
}

impl Default for GuardedTopic {
    fn default() -> Self {
        GuardedTopic {
            categories: Vec::new(),
            phrases: Vec::new(),
            queue: "general".into(),
            priority: 80,
        }
    }
}

/// The always-escalate topic trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopicConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its (hard) escalate vote.
    pub weight: f64,
    /// The guarded topics by name.
    pub topics: BTreeMap<String, GuardedTopic>,
}

impl Default for TopicConfig {
    fn default() -> Self {
        let mut topics = BTreeMap::new();
        topics.insert(
            "security".to_owned(),
            GuardedTopic {
                categories: strings(&[
                    "security",
                    "account_compromise",
                    "account-compromise",
                    "fraud",
                ]),
                phrases: strings(&[
                    "hacked",
                    "someone logged into my account",
                    "unauthorized",
                    "unauthorised",
                    "account was compromised",
                    "account has been compromised",
                    "password was changed",
                    "fraudulent",
                    "identity theft",
                    "fui hackeado",
                    "minha conta foi invadida",
                    "me hackearon",
                ]),
                queue: "security".into(),
                priority: 95,
            },
        );
        topics.insert(
            "legal".to_owned(),
            GuardedTopic {
                categories: strings(&["legal", "regulatory", "compliance", "complaint_regulatory"]),
                phrases: strings(&[
                    "lawyer",
                    "attorney",
                    "lawsuit",
                    "legal action",
                    "ombudsman",
                    "regulator",
                    "gdpr",
                    "data protection",
                    "consumer protection",
                    "procon",
                    "advogado",
                    "abogado",
                ]),
                queue: "legal".into(),
                priority: 90,
            },
        );
        topics.insert(
            "cancellation".to_owned(),
            GuardedTopic {
                categories: strings(&["cancellation", "cancel", "churn"]),
                phrases: strings(&[
                    "cancel my subscription",
                    "cancel my account",
                    "cancel my plan",
                    "close my account",
                    "terminate my contract",
                    "i want to cancel",
                    "cancelar minha assinatura",
                    "cancelar meu plano",
                    "quero cancelar",
                    "cancelar mi suscripción",
                    "quiero cancelar",
                ]),
                queue: "retention".into(),
                priority: 80,
            },
        );
        TopicConfig {
            enabled: true,
            weight: 1.0,
            topics,
        }
    }
}

/// The priority-account trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its (hard) escalate vote.
    pub weight: f64,
    /// Customer tiers that never stay with the AI (case-insensitive).
    pub tiers: Vec<String>,
    /// Accounts ranked 1..=top_n never stay with the AI; 0 turns this off.
    pub top_n: u32,
    /// The priority asked for.
    pub priority: u8,
    /// The queue it routes to.
    pub queue: String,
}

impl Default for AccountConfig {
    fn default() -> Self {
        AccountConfig {
            enabled: true,
            weight: 1.0,
            tiers: strings(&["enterprise"]),
            top_n: 100,
            priority: 90,
            queue: "enterprise".into(),
        }
    }
}

/// The turn and time budget trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its escalate vote.
    pub weight: f64,
    /// The customer's Nth message without resolution escalates; 0 turns the
    /// turn budget off.
    pub max_customer_turns: u32,
    /// Seconds from the first customer message after which an unresolved
    /// conversation escalates; 0 turns the time budget off.
    pub max_seconds: u64,
    /// AI outcomes that mean the conversation is resolved (no budget applies).
    pub resolved_outcomes: Vec<String>,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            enabled: true,
            weight: 1.0,
            max_customer_turns: 4,
            max_seconds: 360,
            resolved_outcomes: strings(&["resolved"]),
        }
    }
}

/// The asked-for-a-human trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HumanRequestConfig {
    /// Whether it votes.
    pub enabled: bool,
    /// Weight of its escalate vote.
    pub weight: f64,
    /// Phrases by language; all lists are matched whatever the customer's language.
    pub phrases: BTreeMap<String, Vec<String>>,
}

impl Default for HumanRequestConfig {
    fn default() -> Self {
        let mut phrases = BTreeMap::new();
        phrases.insert(
            "en".to_owned(),
            strings(&[
                "talk to a human",
                "speak to a human",
                "speak with a human",
                "talk to a person",
                "speak to a person",
                "real person",
                "real human",
                "talk to an agent",
                "speak to an agent",
                "human agent",
                "live agent",
                "live person",
                "representative",
                "supervisor",
                "talk to someone",
                "speak to someone",
                "speak to a manager",
                "talk to a manager",
            ]),
        );
        phrases.insert(
            "pt".to_owned(),
            strings(&[
                "falar com um humano",
                "falar com uma pessoa",
                "falar com alguém",
                "falar com um atendente",
                "falar com atendente",
                "atendente humano",
                "pessoa de verdade",
                "pessoa real",
                "falar com um agente",
                "quero um atendente",
                "falar com o supervisor",
                "falar com o gerente",
            ]),
        );
        phrases.insert(
            "es".to_owned(),
            strings(&[
                "hablar con un humano",
                "hablar con una persona",
                "hablar con alguien",
                "persona real",
                "hablar con un agente",
                "agente humano",
                "hablar con un representante",
                "representante",
                "hablar con el supervisor",
                "hablar con el gerente",
                "quiero un agente",
            ]),
        );
        HumanRequestConfig {
            enabled: true,
            weight: 1.0,
            phrases,
        }
    }
}

/// How action and score map to the conversation's tier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierConfig {
    /// A conversation the AI keeps is `ai_assisted` (a human approves
    /// irreversible actions) from this score up, `ai_resolved` below it.
    pub ai_assisted_from: f64,
}

impl Default for TierConfig {
    fn default() -> Self {
        TierConfig {
            ai_assisted_from: 0.3,
        }
    }
}

/// Where routing hints come from in the customer record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingConfig {
    /// Customer attribute naming the account manager, the preferred agent.
    pub account_manager_attribute: String,
    /// Customer attribute naming the agent who last spoke to the customer.
    pub recent_agent_attribute: String,
    /// Customer attribute with the RFC 3339 time of that contact.
    pub recent_agent_at_attribute: String,
    /// How recent that contact must be to prefer the agent, in days.
    pub recent_agent_days: u32,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            account_manager_attribute: "account_manager".into(),
            recent_agent_attribute: "last_agent".into(),
            recent_agent_at_attribute: "last_agent_contact_at".into(),
            recent_agent_days: 30,
        }
    }
}

impl TriggersConfig {
    /// Checks every range, naming the key of the first bad value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let c = &self.confidence;
        weight("triggers.confidence.weight", c.weight)?;
        within("triggers.confidence.threshold", c.threshold, 0.0, 1.0)?;
        within(
            "triggers.confidence.streak_threshold",
            c.streak_threshold,
            0.0,
            1.0,
        )?;
        in_range("triggers.confidence.streak", c.streak.into(), 2, 1000)?;

        let s = &self.sentiment;
        weight("triggers.sentiment.weight", s.weight)?;
        within("triggers.sentiment.angry_at", s.angry_at, -1.0, 1.0)?;
        within(
            "triggers.sentiment.frustrated_at",
            s.frustrated_at,
            -1.0,
            1.0,
        )?;
        if s.angry_at > s.frustrated_at {
            return Err(invalid(
                "triggers.sentiment.angry_at",
                format!("must not be above frustrated_at ({})", s.frustrated_at),
            ));
        }
        in_range("triggers.sentiment.streak", s.streak.into(), 1, 1000)?;
        in_range(
            "triggers.sentiment.punctuation_run",
            s.punctuation_run.into(),
            2,
            1000,
        )?;
        in_range(
            "triggers.sentiment.shouting_min_letters",
            s.shouting_min_letters.into(),
            1,
            100_000,
        )?;
        within(
            "triggers.sentiment.repetition_similarity",
            s.repetition_similarity,
            0.01,
            1.0,
        )?;

        in_range(
            "triggers.sentiment.repetition_window",
            s.repetition_window.into(),
            1,
            1000,
        )?;

        weight("triggers.topic.weight", self.topic.weight)?;
        for (name, t) in &self.topic.topics {
            priority(
                &format!("triggers.topic.topics.{name}.priority"),
                t.priority,
            )?;
        }

        let a = &self.account;
        weight("triggers.account.weight", a.weight)?;
        priority("triggers.account.priority", a.priority)?;
        in_range("triggers.account.top_n", a.top_n.into(), 0, 100_000_000)?;

        let b = &self.budget;
        weight("triggers.budget.weight", b.weight)?;
        in_range(
            "triggers.budget.max_customer_turns",
            b.max_customer_turns.into(),
            0,
            100_000,
        )?;
        // Thirty days: long enough for the slowest e-mail thread, and far
        // from the range where a timestamp plus it could overflow.
        in_range("triggers.budget.max_seconds", b.max_seconds, 0, 30 * 86_400)?;
        weight("triggers.human_request.weight", self.human_request.weight)?;
        Ok(())
    }
}

impl TierConfig {
    /// Checks the range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        within("tiers.ai_assisted_from", self.ai_assisted_from, 0.0, 1000.0)
    }
}

impl RoutingConfig {
    /// Checks the range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        in_range(
            "routing.recent_agent_days",
            self.recent_agent_days.into(),
            0,
            3650,
        )
    }
}
