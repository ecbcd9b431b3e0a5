//! The handoff context: what the human sees first, so their first line is
//! never "can you tell me what happened?". Assembled from facts only: the
//! topic, the emotional trajectory, what the AI tried and what failed, the
//! customer record, the triggers that fired with the values they saw, the
//! customer's own statement of the problem, the files attached, who owned
//! the conversation when, the customer's prior contacts when the decision
//! log holds them, and a one-line summary built from those.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::decision::clock::clock;
use crate::decision::emotion::{EmotionPoint, summary_line};
use crate::decision::input::{Conversation, Customer, Role};
use crate::decision::merge::Action;
use crate::decision::ownership::Segment;
use crate::decision::reasons::Reason;
use crate::decision::signals::Signals;
use crate::decision::story::{AttachmentRef, Statement, attachments, door_line, shorten};
use crate::decision::triggers::{Report, turn_failed};

/// Longest AI text quoted in an attempt.
const QUOTE: usize = 160;

/// One earlier conversation of the same customer, from the decision log.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PriorContact {
    /// The conversation.
    pub conversation_id: String,
    /// Its first decision's time.
    pub first_at: DateTime<Utc>,
    /// The category of its latest decision.
    pub category: Option<String>,
    /// Whether any of its decisions escalated.
    pub escalated: bool,
    /// Whether an outcome event said it was resolved.
    pub resolved: bool,
    /// Whether an outcome event said it came back after that.
    pub reopened: bool,
    /// The customer's latest CSAT score for it, 1-5.
    pub csat: Option<u8>,
}

/// The customer's earlier conversations, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PriorContacts {
    /// How far back the log was searched, in days.
    pub days: u32,
    /// How many conversations it found (more than are listed, at most
    /// `context.prior_contacts_max` are).
    pub count: u32,
    /// How many of those `count` escalated.
    pub escalated: u32,
    /// The newest of them.
    pub contacts: Vec<PriorContact>,
}

/// One AI turn, as the human should see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AiAttempt {
    /// Time since the customer's first message, `m:ss`.
    pub offset: String,
    /// What the AI said (shortened).
    pub text: String,
    /// The intent it recognised.
    pub intent: Option<String>,
    /// How the turn ended.
    pub outcome: Option<String>,
    /// Its confidence.
    pub confidence: Option<f64>,
    /// True when the turn could not answer or was below the confidence threshold.
    pub failed: bool,
}

/// A trigger that fired, with what it saw.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Fired {
    /// The trigger.
    pub trigger: &'static str,
    /// Its reason code.
    pub reason: String,
    /// The values it observed.
    pub observed: Value,
}

/// The context package.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Handoff {
    /// One line that says it all.
    pub summary: String,
    /// `category/subcategory` as the upstream AI detected it.
    pub category: Option<String>,
    /// The emotional trajectory in one line.
    pub trajectory: String,
    /// The trajectory, message by message.
    pub emotions: Vec<EmotionPoint>,
    /// What the AI tried.
    pub ai_attempts: Vec<AiAttempt>,
    /// The customer record.
    pub customer: Customer,
    /// Built-in triggers that fired.
    pub fired: Vec<Fired>,
    /// Customer messages so far.
    pub customer_turns: u32,
    /// Time since the customer's first message, `m:ss`.
    pub elapsed: String,
    /// The customer's first substantive message, quoted.
    pub customer_statement: Option<Statement>,
    /// Files attached along the way, never fetched.
    pub attachments: Vec<AttachmentRef>,
    /// Who owned the conversation when, oldest first.
    pub segments: Vec<Segment>,
    /// The customer's earlier conversations, when the decision log holds
    /// them (absent when there is no log, no customer id, or the lookup
    /// failed or was slow).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prior_contacts: Option<PriorContacts>,
}

impl Handoff {
    /// Adds the customer's prior contacts, and a sentence about them to the
    /// summary.
    pub fn add_prior_contacts(&mut self, prior: PriorContacts) {
        if prior.count > 0 {
            let escalated = prior.contacts.iter().filter(|c| c.escalated).count();
            let reopened = prior.contacts.iter().filter(|c| c.reopened).count();
            let mut s = format!(" Prior contacts: {} in {} days", prior.count, prior.days);
            if escalated > 0 {
                s.push_str(&format!(", {escalated} escalated"));
            }
            if reopened > 0 {
                s.push_str(&format!(", {reopened} reopened"));
            }
            let scores: Vec<u8> = prior.contacts.iter().filter_map(|c| c.csat).collect();
            if let Some(low) = scores.iter().min() {
                s.push_str(&format!(", lowest CSAT {low}"));
            }
            s.push('.');
            self.summary.push_str(&s);
        }
        self.prior_contacts = Some(prior);
    }
}

/// Assembles the package. `reasons` are those that carried the action.
#[allow(clippy::too_many_arguments)]
pub fn handoff(
    conversation: &Conversation,
    signals: &Signals,
    emotions: Vec<EmotionPoint>,
    reports: &[Report],
    config: &Config,
    action: Action,
    reasons: &[Reason],
    statement: Option<Statement>,
) -> Handoff {
    let first = conversation.customer_messages().next().map(|m| m.at);
    let offset =
        |at: chrono::DateTime<chrono::Utc>| clock(first.map_or(0, |f| (at - f).num_milliseconds()));
    let c = &config.triggers.confidence;
    let ai_attempts: Vec<AiAttempt> = conversation
        .messages
        .iter()
        .filter(|m| m.role == Role::Ai)
        .map(|m| {
            let ai = m.ai.clone().unwrap_or_default();
            AiAttempt {
                offset: offset(m.at),
                text: shorten(&m.text, QUOTE),
                failed: turn_failed(c, &ai),
                intent: ai.intent,
                outcome: ai.outcome,
                confidence: ai.confidence,
            }
        })
        .collect();
    let topic = &conversation.topic;
    let category = match (&topic.category, &topic.subcategory) {
        (Some(c), Some(s)) => Some(format!("{c}/{s}")),
        (Some(c), None) => Some(c.clone()),
        (None, Some(s)) => Some(s.clone()),
        (None, None) => None,
    };
    let trajectory = summary_line(&emotions);
    let elapsed = clock(signals.elapsed_ms);

    let summary = {
        let cust = &conversation.customer;
        let mut who = match &cust.tier {
            Some(t) => {
                let mut chars = t.chars();
                let first: String = chars
                    .next()
                    .map(|c| c.to_uppercase().collect())
                    .unwrap_or_default();
                format!("{first}{} customer", chars.as_str())
            }
            None => "Customer".to_owned(),
        };
        if let Some(id) = &cust.id {
            who.push_str(&format!(" {id}"));
        }
        if let Some(lang) = &cust.language {
            who.push_str(&format!(" ({lang})"));
        }
        let what = match action {
            Action::Escalate => "needs a human",
            Action::Offer => "should be offered a human",
            Action::Stay => "stays with the AI",
            Action::HandBack => "can go back to the AI",
            Action::StayWithHuman => "stays with the human",
        };
        let turns = signals.customer_turns;
        let door = door_line(
            conversation,
            &conversation.ownership,
            &emotions,
            action,
            category.as_deref(),
        );
        let mut s = door.map(|d| d + " ").unwrap_or_default();
        s += &format!(
            "{who} {what} after {turns} message{} over {elapsed}",
            if turns == 1 { "" } else { "s" }
        );
        for (i, reason) in reasons.iter().enumerate() {
            s.push_str(if i == 0 { ": " } else { ", " });
            s.push_str(&reason.code);
        }
        s.push('.');
        if let Some(cat) = &category {
            s.push_str(&format!(" Topic {cat}."));
        }
        if !trajectory.is_empty() {
            s.push_str(&format!(" Mood: {trajectory}."));
        }
        let failed = ai_attempts.iter().filter(|a| a.failed).count();
        if !ai_attempts.is_empty() {
            s.push_str(&format!(
                " AI: {} turn{}",
                ai_attempts.len(),
                if ai_attempts.len() == 1 { "" } else { "s" }
            ));
            if failed > 0 {
                s.push_str(&format!(", {failed} failed"));
            }
            if let Some(low) = signals.lowest_ai_confidence {
                s.push_str(&format!(", lowest confidence {low:.2}"));
            }
            s.push('.');
        }
        s
    };

    Handoff {
        summary,
        category,
        trajectory,
        emotions,
        ai_attempts,
        customer: conversation.customer.clone(),
        fired: reports
            .iter()
            .filter(|r| r.fired)
            .map(|r| Fired {
                trigger: r.trigger,
                reason: r.reason.clone().unwrap_or_default(),
                observed: r.observed.clone(),
            })
            .collect(),
        customer_turns: signals.customer_turns,
        elapsed,
        customer_statement: statement,
        attachments: attachments(conversation),
        segments: conversation.ownership.segments.clone(),
        prior_contacts: None,
    }
}
