//! Who owns the conversation: the AI, or a human since a handoff. Read from
//! the ownership events on `system` messages (`handoff_to_human`,
//! `transfer`, `handback_to_ai`), in message order.
//!
//! The conversation falls into **segments**, one per owner in turn. While
//! the AI owns it, the built-in triggers judge only the current segment —
//! the messages since the AI took it or got it back — so a request for a
//! human made before an earlier handoff, or a budget spent before it, does
//! not send a calm customer straight back to a queue. While a human owns
//! it, the question is whether it can go back to the AI (`handback`).
//!
//! A request may carry only the latest messages of a long conversation: a
//! first event that only a human could send (`transfer`, `handback_to_ai`)
//! means a human owned the conversation from its first message shown.
//! Any later contradiction (a hand-back while the AI owns it, a handoff
//! while a human does) is refused, naming the event.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::decision::input::{Conversation, EventKind, InputError, Message, Role};

/// Who owns the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Owner {
    /// The AI answers the customer.
    Ai,
    /// A human agent does.
    Human,
}

/// One stretch of the conversation under one owner.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Segment {
    /// Who owned it.
    pub owner: Owner,
    /// The agent, when a human owned it and the help desk named them.
    pub agent: Option<String>,
    /// The queue it sat in.
    pub queue: Option<String>,
    /// When it began: the event's time, or the first message's.
    pub from: Option<DateTime<Utc>>,
    /// When the next event ended it; none for the current segment.
    pub to: Option<DateTime<Utc>>,
    /// The event that began it; none for the conversation's start.
    pub began_with: Option<EventKind>,
    /// Why it began, as the event said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The index of its first message (the event's own message).
    pub first_message: usize,
    /// How many messages it holds.
    pub messages: usize,
    /// How many of them the customer wrote.
    pub customer_messages: usize,
}

/// The ownership of a conversation, as its events tell it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ownership {
    /// The current owner.
    pub owner: Owner,
    /// The current agent, while a human owns it.
    pub agent: Option<String>,
    /// The current queue, while a human owns it.
    pub queue: Option<String>,
    /// Ownership changes so far: every handoff, transfer and hand-back,
    /// and the handoff implied when the history shown starts with a human.
    pub changes: u32,
    /// Handoffs to a human so far.
    pub handoffs: u32,
    /// The segments, oldest first; the last is the current one.
    pub segments: Vec<Segment>,
    /// While a human owns it: the index of the message where the human
    /// stretch began (its handoff, or 0 when a human owned it from the
    /// first message shown). Transfers between humans do not restart it.
    #[serde(skip)]
    pub human_since: Option<usize>,
}

impl Ownership {
    /// Reads the events of `messages`; a contradiction is an error naming
    /// the event's field.
    pub fn read(messages: &[Message]) -> Result<Ownership, InputError> {
        let mut o = Ownership {
            owner: Owner::Ai,
            agent: None,
            queue: None,
            changes: 0,
            handoffs: 0,
            segments: vec![Segment {
                owner: Owner::Ai,
                agent: None,
                queue: None,
                from: messages.first().map(|m| m.at),
                to: None,
                began_with: None,
                reason: None,
                first_message: 0,
                messages: 0,
                customer_messages: 0,
            }],
            human_since: None,
        };
        let mut seen_event = false;
        for (i, m) in messages.iter().enumerate() {
            if let Some(e) = &m.event {
                let refuse = |why: String| InputError::Field {
                    field: format!("messages[{i}].event.type"),
                    message: why,
                };
                let needs_human = matches!(e.kind, EventKind::Transfer | EventKind::HandbackToAi);
                if needs_human && o.owner == Owner::Ai {
                    if seen_event {
                        return Err(refuse(format!(
                            "`{}` while the AI owns the conversation (it got it back at \
                             messages[{}])",
                            e.kind.as_str(),
                            o.segments.last().map_or(0, |s| s.first_message)
                        )));
                    }
                    // Only the latest messages were sent: a human owned it
                    // from the first one shown, so a handoff happened before
                    // them, and counts.
                    o.owner = Owner::Human;
                    o.segments[0].owner = Owner::Human;
                    o.human_since = Some(0);
                    o.changes += 1;
                    o.handoffs += 1;
                }
                if e.kind == EventKind::HandoffToHuman && o.owner == Owner::Human {
                    return Err(refuse(format!(
                        "`handoff_to_human` while a human owns the conversation (since \
                         messages[{}]); a move between agents or queues is a `transfer`",
                        o.human_since.unwrap_or(0)
                    )));
                }
                seen_event = true;
                o.changes += 1;
                match e.kind {
                    EventKind::HandoffToHuman => {
                        o.owner = Owner::Human;
                        o.handoffs += 1;
                        o.agent = e.agent.clone();
                        o.queue = e.queue.clone();
                        o.human_since = Some(i);
                    }
                    EventKind::Transfer => {
                        // Moved to a queue alone, it waits for whoever
                        // picks it up there.
                        o.agent = e.agent.clone();
                        if e.queue.is_some() {
                            o.queue = e.queue.clone();
                        }
                    }
                    EventKind::HandbackToAi => {
                        o.owner = Owner::Ai;
                        o.agent = None;
                        o.queue = None;
                        o.human_since = None;
                    }
                }
                if let Some(last) = o.segments.last_mut() {
                    last.to = Some(m.at);
                }
                o.segments.push(Segment {
                    owner: o.owner,
                    // A hand-back names the agent who gave it back; the AI's
                    // segment has no agent.
                    agent: (o.owner == Owner::Human).then(|| o.agent.clone()).flatten(),
                    queue: o.queue.clone(),
                    from: Some(m.at),
                    to: None,
                    began_with: Some(e.kind),
                    reason: e.reason.clone(),
                    first_message: i,
                    messages: 0,
                    customer_messages: 0,
                });
            }
            if let Some(last) = o.segments.last_mut() {
                last.messages += 1;
                last.customer_messages += usize::from(m.role == Role::Customer);
            }
        }
        Ok(o)
    }

    /// Whether the conversation has changed hands at all.
    pub fn has_events(&self) -> bool {
        self.segments.len() > 1 || self.owner == Owner::Human
    }

    /// The index of the first message the built-in triggers judge: the
    /// current segment's while the AI owns the conversation, the human
    /// stretch's while a human does.
    pub fn judged_from(&self) -> usize {
        match self.owner {
            Owner::Human => self.human_since.unwrap_or(0),
            Owner::Ai => self.segments.last().map_or(0, |s| s.first_message),
        }
    }

    /// The segment before the current one, if any.
    pub fn previous(&self) -> Option<&Segment> {
        self.segments.iter().rev().nth(1)
    }
}

/// The part of `conversation` the built-in triggers judge, from message
/// `from` on; the whole conversation (borrowed) when that is all of it.
pub fn judged(conversation: &Conversation, from: usize) -> Cow<'_, Conversation> {
    if from == 0 {
        return Cow::Borrowed(conversation);
    }
    Cow::Owned(Conversation {
        messages: conversation.messages[from..].to_vec(),
        ..conversation_shell(conversation)
    })
}

/// `conversation` without its messages.
fn conversation_shell(c: &Conversation) -> Conversation {
    Conversation {
        id: c.id.clone(),
        channel: c.channel.clone(),
        now: c.now,
        customer: c.customer.clone(),
        topic: c.topic.clone(),
        messages: Vec::new(),
        attributes: c.attributes.clone(),
        ownership: c.ownership.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ownership(events: &[&str]) -> Result<Ownership, InputError> {
        let messages: Vec<String> = events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                if e.starts_with('{') {
                    format!(r#"{{"role":"system","at":"2026-01-01T00:{i:02}:00Z","event":{e}}}"#)
                } else {
                    format!(r#"{{"role":"{e}","text":"x","at":"2026-01-01T00:{i:02}:00Z"}}"#)
                }
            })
            .collect();
        let body = format!(
            r#"{{"conversation_id":"c","messages":[{}]}}"#,
            messages.join(",")
        );
        Conversation::from_json(body.as_bytes(), Utc::now()).map(|c| c.ownership)
    }

    const HANDOFF: &str = r#"{"type":"handoff_to_human","agent":"maria","queue":"billing"}"#;
    const TRANSFER: &str = r#"{"type":"transfer","agent":"joao"}"#;
    const HANDBACK: &str = r#"{"type":"handback_to_ai","reason":"refund issued"}"#;

    #[test]
    fn no_events_means_the_ai_owns_one_segment() {
        let o = ownership(&["customer", "ai"]).unwrap();
        assert_eq!(o.owner, Owner::Ai);
        assert_eq!(o.changes, 0);
        assert_eq!(o.segments.len(), 1);
        assert_eq!(o.segments[0].messages, 2);
        assert_eq!(o.judged_from(), 0);
        assert!(!o.has_events());
    }

    #[test]
    fn events_split_the_conversation_into_segments() {
        let o = ownership(&[
            "customer", "ai", HANDOFF, "agent", TRANSFER, "agent", "customer", HANDBACK, "customer",
        ])
        .unwrap();
        assert_eq!(o.owner, Owner::Ai);
        assert_eq!((o.changes, o.handoffs), (3, 1));
        let owners: Vec<_> = o.segments.iter().map(|s| s.owner).collect();
        assert_eq!(owners, [Owner::Ai, Owner::Human, Owner::Human, Owner::Ai]);
        assert_eq!(o.segments[1].agent.as_deref(), Some("maria"));
        assert_eq!(o.segments[2].agent.as_deref(), Some("joao"));
        assert_eq!(o.segments[2].queue.as_deref(), Some("billing"), "kept");
        assert_eq!(o.segments[3].reason.as_deref(), Some("refund issued"));
        assert_eq!(o.segments[2].customer_messages, 1);
        assert_eq!(o.judged_from(), 7);
        assert!(o.segments[1].to.is_some() && o.segments[3].to.is_none());
    }

    #[test]
    fn the_human_stretch_survives_transfers() {
        let o = ownership(&["customer", HANDOFF, "agent", TRANSFER, "customer"]).unwrap();
        assert_eq!(o.owner, Owner::Human);
        assert_eq!(o.agent.as_deref(), Some("joao"));
        assert_eq!(o.judged_from(), 1);
    }

    #[test]
    fn a_leading_human_event_means_truncated_history() {
        let o = ownership(&["agent", "customer", HANDBACK, "customer"]).unwrap();
        assert_eq!(o.segments[0].owner, Owner::Human);
        // The handoff before the first message shown counts.
        assert_eq!((o.owner, o.changes, o.handoffs), (Owner::Ai, 2, 1));
    }

    #[test]
    fn contradictions_name_the_event() {
        let e = ownership(&["customer", HANDOFF, HANDBACK, HANDBACK]).unwrap_err();
        assert!(
            matches!(e, InputError::Field { ref field, .. } if field == "messages[3].event.type"),
            "{e:?}"
        );
        let e = ownership(&[HANDOFF, HANDOFF]).unwrap_err();
        assert!(e.to_string().contains("transfer"), "{e}");
    }
}
