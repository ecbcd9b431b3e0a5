//! Builders for a rule's [`Input`], so native unit tests stay short.
//!
//! ```
//! use escalator_sdk::testing::InputBuilder;
//! use escalator_sdk::SettingValue;
//!
//! let input = InputBuilder::new()
//!     .customer_says("I want to cancel my plan")
//!     .ai_says("I can help with that", 0.9)
//!     .tier("enterprise")
//!     .setting("keywords", SettingValue::TextList(vec!["cancel".into()]))
//!     .build();
//! assert_eq!(input.latest_customer_text(), Some("I want to cancel my plan"));
//! ```

use crate::{
    AiTurn, Attribute, Conversation, Customer, EventKind, Input, Message, Owner, Ownership,
    OwnershipEvent, Role, Setting, SettingValue, Signals, Topic,
};

/// Builds an [`Input`] message by message; timestamps advance 30 s a message.
#[derive(Debug, Clone)]
pub struct InputBuilder {
    input: Input,
    clock_ms: i64,
}

impl Default for InputBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl InputBuilder {
    /// An empty chat conversation `test-conversation` at 2026-01-01T00:00:00Z.
    pub fn new() -> Self {
        let start = 1_767_225_600_000;
        InputBuilder {
            clock_ms: start,
            input: Input {
                conversation: Conversation {
                    id: "test-conversation".into(),
                    channel: Some("chat".into()),
                    messages: Vec::new(),
                    attributes: Vec::new(),
                },
                customer: Customer {
                    id: None,
                    tier: None,
                    account_rank: None,
                    language: None,
                    timezone: None,
                    attributes: Vec::new(),
                },
                topic: Topic {
                    category: None,
                    subcategory: None,
                },
                settings: Vec::new(),
                signals: Signals {
                    message_sentiment: Vec::new(),
                    latest_ai_confidence: None,
                    lowest_ai_confidence: None,
                    elapsed_ms: 0,
                    customer_turns: 0,
                    now_ms: start,
                },
                ownership: Ownership {
                    owner: Owner::Ai,
                    agent: None,
                    queue: None,
                    changes: 0,
                    handoffs: 0,
                    segment_start: 0,
                },
            },
        }
    }

    fn push(mut self, role: Role, text: &str, ai: Option<AiTurn>) -> Self {
        self.clock_ms += 30_000;
        self.input.conversation.messages.push(Message {
            role,
            text: text.into(),
            at_ms: self.clock_ms,
            ai,
            event: None,
            attachments: Vec::new(),
        });
        self
    }

    fn event(mut self, kind: EventKind, agent: Option<&str>) -> Self {
        self.clock_ms += 30_000;
        self.input.conversation.messages.push(Message {
            role: Role::System,
            text: String::new(),
            at_ms: self.clock_ms,
            ai: None,
            event: Some(OwnershipEvent {
                kind,
                agent: agent.map(Into::into),
                queue: None,
                reason: None,
            }),
            attachments: Vec::new(),
        });
        self
    }

    /// Adds a handoff to a human agent.
    pub fn handoff_to(self, agent: &str) -> Self {
        self.event(EventKind::HandoffToHuman, Some(agent))
    }

    /// Adds a transfer to another agent.
    pub fn transfer_to(self, agent: &str) -> Self {
        self.event(EventKind::Transfer, Some(agent))
    }

    /// Adds a hand-back to the AI.
    pub fn hand_back(self) -> Self {
        self.event(EventKind::HandbackToAi, None)
    }

    /// Adds an agent's message.
    pub fn agent_says(self, text: &str) -> Self {
        self.push(Role::Agent, text, None)
    }
    /// Adds a customer message.
    pub fn customer_says(self, text: &str) -> Self {
        self.push(Role::Customer, text, None)
    }

    /// Adds an AI turn that reported `confidence`.
    pub fn ai_says(self, text: &str, confidence: f64) -> Self {
        self.push(
            Role::Ai,
            text,
            Some(AiTurn {
                confidence: Some(confidence),
                intent: None,
                outcome: None,
            }),
        )
    }

    /// Sets the customer's tier.
    pub fn tier(mut self, tier: &str) -> Self {
        self.input.customer.tier = Some(tier.into());
        self
    }

    /// Sets the customer's account rank.
    pub fn account_rank(mut self, rank: u32) -> Self {
        self.input.customer.account_rank = Some(rank);
        self
    }

    /// Sets the customer's language.
    pub fn language(mut self, language: &str) -> Self {
        self.input.customer.language = Some(language.into());
        self
    }

    /// Adds a customer attribute.
    pub fn customer_attribute(mut self, key: &str, value: &str) -> Self {
        self.input.customer.attributes.push(Attribute {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// Sets the detected topic category.
    pub fn topic(mut self, category: &str) -> Self {
        self.input.topic.category = Some(category.into());
        self
    }

    /// Sets a plugin setting.
    pub fn setting(mut self, name: &str, value: SettingValue) -> Self {
        self.input.settings.retain(|s| s.name != name);
        self.input.settings.push(Setting {
            name: name.into(),
            value,
        });
        self
    }

    /// Finishes the input, filling in the signals and ownership the host
    /// would compute (except sentiment, which is left empty).
    pub fn build(mut self) -> Input {
        let ownership = &mut self.input.ownership;
        for (i, m) in self.input.conversation.messages.iter().enumerate() {
            let Some(e) = &m.event else { continue };
            ownership.changes += 1;
            match e.kind {
                EventKind::HandoffToHuman => {
                    ownership.owner = Owner::Human;
                    ownership.handoffs += 1;
                    ownership.agent = e.agent.clone();
                    ownership.segment_start = i as u32;
                }
                EventKind::Transfer => ownership.agent = e.agent.clone(),
                EventKind::HandbackToAi => {
                    ownership.owner = Owner::Ai;
                    ownership.agent = None;
                    ownership.segment_start = i as u32;
                }
            }
        }
        let messages = &self.input.conversation.messages;
        let confidences: Vec<f64> = messages
            .iter()
            .filter_map(|m| m.ai.as_ref().and_then(|a| a.confidence))
            .collect();
        let first_customer = messages.iter().find(|m| m.role == Role::Customer);
        let signals = &mut self.input.signals;
        signals.message_sentiment = vec![None; messages.len()];
        signals.latest_ai_confidence = confidences.last().copied();
        signals.lowest_ai_confidence = confidences.iter().copied().reduce(f64::min);
        signals.customer_turns =
            messages.iter().filter(|m| m.role == Role::Customer).count() as u32;
        signals.now_ms = self.clock_ms;
        signals.elapsed_ms = first_customer.map_or(0, |m| self.clock_ms - m.at_ms);
        self.input
    }
}
