//! Conversions between the host's types and the WIT types a plugin sees.

use super::bindings::types as wit;
use crate::decision::input::{Conversation, EventKind, Role};
use crate::decision::ownership::Owner;
use crate::decision::signals::Signals;
use crate::decision::source::Source;
use crate::decision::vote::{Routing, Verdict, Vote};

fn attributes(map: &std::collections::BTreeMap<String, String>) -> Vec<wit::Attribute> {
    map.iter()
        .map(|(k, v)| wit::Attribute {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Builds the input handed to plugins, with no settings; the caller sets each
/// plugin's settings before its call, so the conversation is copied once per
/// decision rather than once per plugin.
pub fn to_wit_input(conversation: &Conversation, signals: &Signals) -> wit::Input {
    let c = conversation;
    wit::Input {
        conversation: wit::Conversation {
            id: c.id.clone(),
            channel: c.channel.clone(),
            messages: c
                .messages
                .iter()
                .map(|m| wit::Message {
                    role: match m.role {
                        Role::Customer => wit::Role::Customer,
                        Role::Ai => wit::Role::Ai,
                        Role::Agent => wit::Role::Agent,
                        Role::System => wit::Role::System,
                    },
                    text: m.text.clone(),
                    at_ms: m.at.timestamp_millis(),
                    ai: m.ai.as_ref().map(|a| wit::AiTurn {
                        confidence: a.confidence,
                        intent: a.intent.clone(),
                        outcome: a.outcome.clone(),
                    }),
                    event: m.event.as_ref().map(|e| wit::OwnershipEvent {
                        kind: match e.kind {
                            EventKind::HandoffToHuman => wit::EventKind::HandoffToHuman,
                            EventKind::Transfer => wit::EventKind::Transfer,
                            EventKind::HandbackToAi => wit::EventKind::HandbackToAi,
                        },
                        agent: e.agent.clone(),
                        queue: e.queue.clone(),
                        reason: e.reason.clone(),
                    }),
                    attachments: m
                        .attachments
                        .iter()
                        .map(|a| wit::Attachment {
                            name: a.name.clone(),
                            media_type: a.media_type.clone(),
                            url: a.url.clone(),
                        })
                        .collect(),
                })
                .collect(),
            attributes: attributes(&c.attributes),
        },
        customer: wit::Customer {
            id: c.customer.id.clone(),
            tier: c.customer.tier.clone(),
            account_rank: c.customer.account_rank,
            language: c.customer.language.clone(),
            timezone: c.customer.timezone.clone(),
            attributes: attributes(&c.customer.attributes),
        },
        topic: wit::Topic {
            category: c.topic.category.clone(),
            subcategory: c.topic.subcategory.clone(),
        },
        settings: Vec::new(),
        signals: wit::Signals {
            message_sentiment: signals.message_sentiment.clone(),
            latest_ai_confidence: signals.latest_ai_confidence,
            lowest_ai_confidence: signals.lowest_ai_confidence,
            elapsed_ms: signals.elapsed_ms,
            customer_turns: signals.customer_turns,
            now_ms: c.now.timestamp_millis(),
        },
        ownership: {
            let o = &c.ownership;
            wit::Ownership {
                owner: match o.owner {
                    Owner::Ai => wit::Owner::Ai,
                    Owner::Human => wit::Owner::Human,
                },
                agent: o.agent.clone(),
                queue: o.queue.clone(),
                changes: o.changes,
                handoffs: o.handoffs,
                segment_start: o.judged_from() as u32,
            }
        },
    }
}

/// What [`take_unread`] took out of an input, to put back.
pub struct Unread {
    messages: Option<Vec<wit::Message>>,
    customer: Option<wit::Customer>,
    topic: Option<wit::Topic>,
    ownership: Option<wit::Ownership>,
    signals: Option<wit::Signals>,
}

/// Empties the parts of the shared `input` that a plugin declaring `reads`
/// does not read, so they are not copied into its instance; hand the result
/// to [`restore_unread`] after the call. An emptied part is what the
/// interface's types give for "nothing known": no messages, a customer
/// with no fields, no topic, the AI owning a conversation that never
/// changed hands, and signals of nothing (the clock's `now-ms` stays, the
/// one signal that is not about the conversation).
pub fn take_unread(input: &mut wit::Input, reads: Option<wit::InputParts>) -> Unread {
    let skip = |part| reads.is_some_and(|r| !r.contains(part));
    Unread {
        messages: skip(wit::InputParts::MESSAGES)
            .then(|| std::mem::take(&mut input.conversation.messages)),
        customer: skip(wit::InputParts::CUSTOMER)
            .then(|| std::mem::replace(&mut input.customer, no_customer())),
        topic: skip(wit::InputParts::TOPIC).then(|| {
            std::mem::replace(
                &mut input.topic,
                wit::Topic {
                    category: None,
                    subcategory: None,
                },
            )
        }),
        ownership: skip(wit::InputParts::OWNERSHIP)
            .then(|| std::mem::replace(&mut input.ownership, no_ownership())),
        signals: skip(wit::InputParts::SIGNALS).then(|| {
            let now_ms = input.signals.now_ms;
            std::mem::replace(&mut input.signals, no_signals(now_ms))
        }),
    }
}

/// Puts back what [`take_unread`] took.
pub fn restore_unread(input: &mut wit::Input, unread: Unread) {
    if let Some(messages) = unread.messages {
        input.conversation.messages = messages;
    }
    if let Some(customer) = unread.customer {
        input.customer = customer;
    }
    if let Some(topic) = unread.topic {
        input.topic = topic;
    }
    if let Some(ownership) = unread.ownership {
        input.ownership = ownership;
    }
    if let Some(signals) = unread.signals {
        input.signals = signals;
    }
}

fn no_customer() -> wit::Customer {
    wit::Customer {
        id: None,
        tier: None,
        account_rank: None,
        language: None,
        timezone: None,
        attributes: Vec::new(),
    }
}

fn no_ownership() -> wit::Ownership {
    wit::Ownership {
        owner: wit::Owner::Ai,
        agent: None,
        queue: None,
        changes: 0,
        handoffs: 0,
        segment_start: 0,
    }
}

fn no_signals(now_ms: i64) -> wit::Signals {
    wit::Signals {
        message_sentiment: Vec::new(),
        latest_ai_confidence: None,
        lowest_ai_confidence: None,
        elapsed_ms: 0,
        customer_turns: 0,
        now_ms,
    }
}

/// Longest reason code accepted from a plugin: it is a machine-readable tag.
const MAX_REASON: usize = 64;
/// Most routing skills accepted from a plugin.
const MAX_SKILLS: usize = 32;

/// Checks a plugin's vote and turns it into a host vote (source and timing
/// are filled in by the caller). A vote that breaks the output rules is
/// refused whole rather than trimmed, so a plugin bug is seen, not hidden.
/// `max_bytes` caps the total size of its strings.
pub fn from_wit_vote(source: Source, v: wit::Vote, max_bytes: usize) -> Result<Vote, String> {
    if !v.weight.is_finite() || v.weight < 0.0 {
        return Err(format!(
            "weight must be a finite number >= 0, got {}",
            v.weight
        ));
    }
    if v.reason.len() > MAX_REASON {
        return Err(format!(
            "reason is {} bytes; the limit is {MAX_REASON}",
            v.reason.len()
        ));
    }
    let routing_bytes = v.routing.as_ref().map_or(0, |r| {
        r.queue.as_ref().map_or(0, String::len) + r.skills.iter().map(String::len).sum::<usize>()
    });
    let size = v.reason.len() + v.detail.len() + routing_bytes;
    if size > max_bytes {
        return Err(format!(
            "the vote is {size} bytes; the limit is {max_bytes}"
        ));
    }
    if let Some(p) = v.priority
        && p > 100
    {
        return Err(format!("priority must be 0-100, got {p}"));
    }
    if let Some(r) = &v.routing
        && r.skills.len() > MAX_SKILLS
    {
        return Err(format!(
            "{} routing skills; the limit is {MAX_SKILLS}",
            r.skills.len()
        ));
    }
    let verdict = match v.verdict {
        wit::Verdict::Escalate => Verdict::Escalate,
        wit::Verdict::Stay => Verdict::Stay,
        wit::Verdict::Abstain => Verdict::Abstain,
        wit::Verdict::HandBack => Verdict::HandBack,
    };
    Ok(Vote {
        verdict,
        weight: v.weight,
        hard: v.hard && verdict == Verdict::Escalate,
        reason: v.reason,
        detail: v.detail,
        priority: v.priority,
        routing: v.routing.map(|r| Routing {
            queue: r.queue,
            skills: r.skills,
            senior: r.senior,
        }),
        ..Vote::new(source, verdict)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::gate::SMOKE;

    #[test]
    fn a_rule_that_does_not_read_messages_gets_none_and_they_come_back() {
        let mut input = to_wit_input(&SMOKE, &Signals::compute(&SMOKE));
        let n = input.conversation.messages.len();
        assert!(n > 0);
        for reads in [None, Some(wit::InputParts::all())] {
            let unread = take_unread(&mut input, reads);
            assert_eq!(input.conversation.messages.len(), n, "{reads:?}");
            restore_unread(&mut input, unread);
        }
        let unread = take_unread(
            &mut input,
            Some(wit::InputParts::CUSTOMER | wit::InputParts::SIGNALS),
        );
        assert!(input.conversation.messages.is_empty());
        assert_eq!(input.customer.tier.as_deref(), Some("standard"));
        assert!(!input.signals.message_sentiment.is_empty());
        restore_unread(&mut input, unread);
        assert_eq!(input.conversation.messages.len(), n);

        let whole = input.clone();
        let unread = take_unread(&mut input, Some(wit::InputParts::MESSAGES));
        assert_eq!(input.customer.tier, None);
        assert_eq!(input.topic.category, None);
        assert!(input.signals.message_sentiment.is_empty());
        assert_eq!(input.signals.now_ms, whole.signals.now_ms);
        assert_eq!(input.conversation.messages.len(), n);
        restore_unread(&mut input, unread);
        assert_eq!(input, whole);
    }
}
