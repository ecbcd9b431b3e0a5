//! The whole story for the human: the customer's own statement of the
//! problem, the files attached on the way, who owned the conversation when,
//! and a first sentence that says what changed since the last human let go
//! ("Second handoff: …").

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::ConfidenceConfig;
use crate::decision::emotion::{Emotion, EmotionPoint};
use crate::decision::input::{Conversation, EventKind, Role};
use crate::decision::merge::Action;
use crate::decision::ownership::{Owner, Ownership};
use crate::decision::reading::Reading;

/// Longest statement quoted, in characters.
const STATEMENT: usize = 300;

/// The customer's first substantive message, quoted.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Statement {
    /// Its index in the conversation.
    pub message: usize,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// What the customer wrote (shortened).
    pub text: String,
}

/// A file attached to a message, listed for the human.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AttachmentRef {
    /// The index of the message it came with.
    pub message: usize,
    /// Who attached it.
    pub role: Role,
    /// The file name.
    pub name: String,
    /// Its media type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Where it is kept; passed through, never fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The customer's first message that is more than a greeting or thanks,
/// by the confidence trigger's small-talk phrases.
pub fn customer_statement(
    conversation: &Conversation,
    readings: &[Arc<Reading>],
    confidence: &ConfidenceConfig,
) -> Option<Statement> {
    conversation
        .messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.role == Role::Customer)
        .zip(readings)
        .find(|(_, r)| {
            let small_talk = r.len() <= 12 && r.coverage(&confidence.small_talk) >= 0.5;
            !r.is_empty() && !small_talk
        })
        .map(|((i, m), _)| Statement {
            message: i,
            at: m.at,
            text: shorten(&m.text, STATEMENT),
        })
}

/// Every attachment, in message order.
pub fn attachments(conversation: &Conversation) -> Vec<AttachmentRef> {
    conversation
        .messages
        .iter()
        .enumerate()
        .flat_map(|(i, m)| {
            m.attachments.iter().map(move |a| AttachmentRef {
                message: i,
                role: m.role,
                name: a.name.clone(),
                media_type: a.media_type.clone(),
                url: a.url.clone(),
            })
        })
        .collect()
}

/// `text` cut to `max` characters, marked when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

fn hh_mm(at: DateTime<Utc>) -> String {
    at.format("%H:%M").to_string()
}

fn ordinal(n: u32) -> Option<&'static str> {
    ["First", "Second", "Third", "Fourth", "Fifth"]
        .get(n.checked_sub(1)? as usize)
        .copied()
}

/// The first sentence of the summary when the conversation has changed
/// hands: what the last human did and what is different now. `None` for a
/// conversation the AI has always owned. Times are UTC.
pub fn door_line(
    conversation: &Conversation,
    ownership: &Ownership,
    emotions: &[EmotionPoint],
    action: Action,
    category: Option<&str>,
) -> Option<String> {
    if !ownership.has_events() {
        return None;
    }
    let current = ownership.segments.last()?;
    let mut s = String::new();
    match ownership.owner {
        Owner::Ai => {
            let handoff = matches!(action, Action::Escalate | Action::Offer);
            if handoff {
                let n = ownership.handoffs + 1;
                s.push_str(&match ordinal(n) {
                    Some(word) => format!("{word} handoff: "),
                    None => format!("Handoff {n}: "),
                });
            }
            if let Some(back) = ownership
                .segments
                .iter()
                .rev()
                .find(|seg| seg.began_with == Some(EventKind::HandbackToAi))
            {
                let who = conversation.messages[back.first_message]
                    .event
                    .as_ref()
                    .and_then(|e| e.agent.clone())
                    .or_else(|| ownership.previous().and_then(|p| p.agent.clone()))
                    .unwrap_or_else(|| "an agent".into());
                let at = back.from.map(hh_mm).unwrap_or_default();
                let what = back
                    .reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "{who} handed the conversation back to the AI at {at} UTC{what}"
                ));
            }
            let in_segment: Vec<&EmotionPoint> = emotions
                .iter()
                .filter(|p| p.message >= current.first_message)
                .collect();
            let before_worst = emotions
                .iter()
                .filter(|p| p.message < current.first_message)
                .map(|p| p.label)
                .max();
            if let Some(now) = in_segment.last().filter(|p| p.label > Emotion::Neutral) {
                let since = in_segment
                    .iter()
                    .rev()
                    .take_while(|p| p.label > Emotion::Neutral)
                    .last()
                    .map_or(now.at, |p| p.at);
                let again = if before_worst.is_some_and(|b| b >= Emotion::Frustrated) {
                    " again"
                } else {
                    ""
                };
                let about = category.map(|c| format!(" about {c}")).unwrap_or_default();
                s.push_str(&format!(
                    "; now {}{again}{about} ({} since {} UTC)",
                    now.label.as_str(),
                    now.label.as_str(),
                    hh_mm(since)
                ));
            } else if !in_segment.is_empty() {
                s.push_str("; the customer is calm in this stretch");
            }
        }
        Owner::Human => {
            let since = ownership
                .human_since
                .and_then(|i| conversation.messages.get(i))
                .map(|m| hh_mm(m.at));
            let who = ownership.agent.as_deref().unwrap_or("a human");
            s.push_str(&format!("With {who}"));
            if let Some(q) = &ownership.queue {
                s.push_str(&format!(" (queue {q})"));
            }
            if let Some(at) = since {
                s.push_str(&format!(" since {at} UTC"));
            }
            s.push_str(&format!(
                ", handoff {} of this conversation",
                ownership.handoffs.max(1)
            ));
        }
    }
    s.push_str(&format!(
        "; {} ownership change{} so far.",
        ownership.changes,
        if ownership.changes == 1 { "" } else { "s" }
    ));
    Some(s)
}
