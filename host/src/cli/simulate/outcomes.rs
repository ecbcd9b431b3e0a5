//! What happens after a decision, as the help desk, the routing engine,
//! the survey tool and the QA team report it: the outcome events of
//! `POST /v1/outcomes`.
//!
//! The events follow from the server's decision and the conversation that
//! led to it: an escalation is picked up (or not) and resolved by a human,
//! a conversation the AI keeps is resolved by the AI, and a customer who
//! needed a human and did not get one comes back and rates it low. Event
//! ids are derived from the conversation id, so re-running a seed stores
//! nothing twice.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::people::{self, REVIEWERS};
use super::phrases::{self, Tri};
use super::rng::{Rng, Stream};
use super::script::{Conversation, Mood, rfc3339};

/// What the server decided, as far as the outcomes depend on it.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The server's id for the decision.
    pub decision_id: String,
    /// `escalate`, `offer` or `stay`.
    pub action: String,
    /// 0–100.
    pub priority: u64,
    /// The queue the decision routed to, when it named one.
    pub queue: Option<String>,
}

impl Decided {
    /// Reads the fields needed from a `POST /v1/decide` answer.
    pub fn from_answer(answer: &Value) -> anyhow::Result<Decided> {
        let text = |k: &str| answer[k].as_str().map(str::to_owned);
        Ok(Decided {
            decision_id: text("decision_id")
                .ok_or_else(|| anyhow::anyhow!("the decision has no decision_id: {answer}"))?,
            action: text("action")
                .ok_or_else(|| anyhow::anyhow!("the decision has no action: {answer}"))?,
            priority: answer["priority"].as_u64().unwrap_or(0),
            queue: answer["route"]["queue"].as_str().map(str::to_owned),
        })
    }
}

/// One outcome event, ready to send.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its `event_id`.
    pub id: String,
    /// Its `type`.
    pub kind: &'static str,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The whole JSON event.
    pub body: Value,
}

/// A duration of `m` minutes, at least a second.
fn minutes(m: f64) -> Duration {
    Duration::seconds(((m * 60.0).round() as i64).max(1))
}

/// A 1–5 score around `mean`.
fn score(rng: &mut Rng, mean: f64) -> u64 {
    (mean + 0.9 * rng.normal()).round().clamp(1.0, 5.0) as u64
}

/// Collects the events of one conversation.
struct Events<'a> {
    conv: &'a Conversation,
    decision_id: &'a str,
    out: Vec<Event>,
}

impl Events<'_> {
    /// Adds an event; `suffix` names it within the conversation (each
    /// type happens at most once per conversation).
    fn push(&mut self, suffix: &str, kind: &'static str, at: DateTime<Utc>, fields: Value) {
        let id = format!("{}-{suffix}", self.conv.id);
        let mut body = Map::new();
        body.insert("event_id".into(), json!(id));
        body.insert("type".into(), json!(kind));
        body.insert("conversation_id".into(), json!(self.conv.id));
        body.insert("decision_id".into(), json!(self.decision_id));
        body.insert("at".into(), json!(rfc3339(at)));
        if let Value::Object(fields) = fields {
            body.extend(fields);
        }
        self.out.push(Event {
            id,
            kind,
            at,
            body: Value::Object(body),
        });
    }
}

/// The outcome events that follow `decided`, the decision on `conv`.
pub fn derive(seed: u64, conv: &Conversation, decided: &Decided) -> Vec<Event> {
    let mut rng = Rng::new(seed, Stream::Outcomes, conv.index);
    let mood = conv.mood;
    // Whether the customer really needed a person, whatever the decision
    // said: reviewers judge against this, and customers left with the AI
    // when they did come back and rate it low.
    let needed_human = match mood {
        _ if conv.false_alarm => false,
        _ if conv.subject.category == "fraud" => true,
        Mood::Angry | Mood::AsksHuman => true,
        Mood::Frustrated => rng.chance(0.4),
        Mood::Confused => rng.chance(0.1),
        Mood::Calm => false,
    };
    let to_human = match decided.action.as_str() {
        "escalate" => true,
        "offer" => rng.chance(match mood {
            Mood::Angry | Mood::AsksHuman => 0.75,
            Mood::Frustrated => 0.45,
            _ => 0.25,
        }),
        _ => false,
    };
    let mut events = Events {
        conv,
        decision_id: &decided.decision_id,
        out: Vec::new(),
    };
    if to_human {
        human(&mut rng, &mut events, decided);
    } else {
        ai(&mut rng, &mut events, needed_human);
    }
    review(&mut rng, &mut events, decided, needed_human);
    events.out
}

/// A conversation that went to a human.
fn human(rng: &mut Rng, ev: &mut Events<'_>, decided: &Decided) {
    let conv = ev.conv;
    let lang = conv.lang();
    let t0 = conv.now;
    let (home, tier2) = phrases::queues(conv.subject.category);
    let mut queue = decided.queue.clone().unwrap_or_else(|| home.to_owned());
    // Pick-up delay in minutes: urgent conversations are taken sooner, and
    // a few wait very long.
    let median = match decided.priority {
        p if p >= 80 => 3.0,
        p if p >= 60 => 6.0,
        _ => 12.0,
    };
    let wait = rng.lognormal(median, 0.9).clamp(0.3, 720.0);
    if rng.chance(0.06 + if wait > 45.0 { 0.3 } else { 0.0 }) {
        // Never picked up: most customers give up, some just go quiet.
        if rng.chance(0.7) {
            let left = wait * (0.3 + 0.6 * rng.unit());
            ev.push("abandoned", "abandoned", t0 + minutes(left), json!({}));
        }
        return;
    }
    let agents = people::agents(lang);
    let mut agent = *rng.pick(agents);
    let mut t = t0 + minutes(wait);
    ev.push(
        "assigned",
        "human_assigned",
        t,
        json!({"agent": agent, "queue": queue}),
    );
    if rng.chance(0.12) {
        t += minutes(rng.lognormal(6.0, 0.6));
        let others: Vec<&str> = agents.iter().copied().filter(|a| *a != agent).collect();
        let other = *rng.pick(&others);
        let fields = match rng.weighted(&[50.0, 30.0, 20.0]) {
            0 => json!({"to_queue": tier2, "to_agent": other}),
            1 => json!({"to_queue": tier2}),
            _ => json!({"to_agent": other}),
        };
        if fields.get("to_queue").is_some() {
            tier2.clone_into(&mut queue);
        }
        // Someone in the other queue takes it when no agent is named.
        agent = other;
        ev.push("transferred", "transferred", t, fields);
    }
    t += minutes(rng.lognormal(1.5, 0.7));
    let (text, blind) = first_reply(rng, conv, agent, 0.2);
    ev.push(
        "first-reply",
        "human_first_reply",
        t,
        json!({"agent": agent, "queue": queue, "text": text}),
    );
    let handed_back = rng.chance(0.1);
    let resolved = if handed_back {
        t += minutes(rng.lognormal(12.0, 0.6));
        let note = conv.say(*rng.pick(phrases::HANDBACK_NOTE));
        ev.push(
            "handed-back",
            "handed_back_to_ai",
            t,
            json!({"agent": agent, "note": note}),
        );
        t += minutes(rng.lognormal(6.0, 0.6));
        ev.push("resolved", "resolved", t, json!({"by": "ai"}));
        true
    } else if rng.chance(0.93) {
        t += minutes(rng.lognormal(25.0, 0.8));
        ev.push("resolved", "resolved", t, json!({"by": "human"}));
        true
    } else {
        t += minutes(rng.lognormal(20.0, 0.7));
        ev.push("abandoned", "abandoned", t, json!({}));
        false
    };
    if !resolved {
        return;
    }
    let reopen = 0.05 + if blind { 0.08 } else { 0.0 } + if handed_back { 0.06 } else { 0.0 };
    let reopened = rng.chance(reopen);
    if reopened {
        t += minutes(60.0 * rng.lognormal(20.0, 0.8));
        ev.push("reopened", "reopened", t, json!({}));
        if rng.chance(0.7) {
            t += minutes(rng.lognormal(40.0, 0.8));
            ev.push("resolved-again", "resolved", t, json!({"by": "human"}));
        }
    }
    if rng.chance(0.5) {
        let mean = 4.1
            - if blind { 0.8 } else { 0.0 }
            - if wait > 30.0 { 0.6 } else { 0.0 }
            - if reopened { 1.2 } else { 0.0 }
            - if conv.mood == Mood::Angry { 0.3 } else { 0.0 };
        csat(rng, ev, t, mean);
    }
}

/// A conversation the AI kept.
fn ai(rng: &mut Rng, ev: &mut Events<'_>, needed_human: bool) {
    let conv = ev.conv;
    let mut t = conv.now;
    if rng.chance(0.06 + if needed_human { 0.2 } else { 0.0 }) {
        t += minutes(rng.lognormal(8.0, 0.7));
        ev.push("abandoned", "abandoned", t, json!({}));
        return;
    }
    t += minutes(rng.lognormal(3.0, 0.8));
    ev.push("resolved", "resolved", t, json!({"by": "ai"}));
    let reopen =
        0.05 + if needed_human { 0.25 } else { 0.0 } + if conv.fell_back { 0.05 } else { 0.0 };
    let reopened = rng.chance(reopen);
    if reopened {
        t += minutes(60.0 * rng.lognormal(18.0, 0.8));
        ev.push("reopened", "reopened", t, json!({}));
        // The help desk routes most reopened tickets straight to a person,
        // without asking Escalator: the "direct" baseline that handed-off
        // handle times are compared with.
        if rng.chance(0.6) {
            let agent = *rng.pick(people::agents(conv.lang()));
            let queue = phrases::queues(conv.subject.category).0;
            t += minutes(rng.lognormal(15.0, 0.9));
            ev.push(
                "assigned",
                "human_assigned",
                t,
                json!({"agent": agent, "queue": queue}),
            );
            t += minutes(rng.lognormal(1.5, 0.7));
            let (text, _) = first_reply(rng, conv, agent, 0.25);
            ev.push(
                "first-reply",
                "human_first_reply",
                t,
                json!({"agent": agent, "queue": queue, "text": text}),
            );
            t += minutes(rng.lognormal(18.0, 0.8));
            ev.push("resolved-again", "resolved", t, json!({"by": "human"}));
        }
    }
    if rng.chance(0.4) {
        let mean = 4.4
            - if needed_human { 1.6 } else { 0.0 }
            - if reopened { 1.2 } else { 0.0 }
            - if conv.mood == Mood::Confused {
                0.4
            } else {
                0.0
            };
        csat(rng, ev, t, mean);
    }
}

/// An agent's first reply, and whether it fails to show the context: a
/// share `restart` ask the customer to start over, a few are generic, the
/// rest show they read the conversation.
fn first_reply(rng: &mut Rng, conv: &Conversation, agent: &str, restart: f64) -> (String, bool) {
    let (replies, blind) = match rng.weighted(&[restart, 0.08, 0.92 - restart]) {
        0 => (phrases::AGENT_RESTART, true),
        1 => (phrases::AGENT_GENERIC, true),
        _ => (phrases::AGENT_AWARE, false),
    };
    let text = conv
        .say(*rng.pick(replies))
        .replace("{agent}", &people::first_name(agent));
    (text, blind)
}

/// The satisfaction survey, answered a while after `after`.
fn csat(rng: &mut Rng, ev: &mut Events<'_>, after: DateTime<Utc>, mean: f64) {
    let s = score(rng, mean);
    let at = after + minutes(rng.lognormal(90.0, 1.0));
    let mut fields = json!({ "score": s });
    if rng.chance(0.3) {
        let pool: &[Tri] = if s >= 4 {
            phrases::PRAISE
        } else {
            phrases::COMPLAINTS
        };
        fields["comment"] = json!(ev.conv.say(*rng.pick(pool)));
    }
    ev.push("csat", "csat", at, fields);
}

/// A QA reviewer's verdict on some decisions, a day or so later.
fn review(rng: &mut Rng, ev: &mut Events<'_>, decided: &Decided, needed_human: bool) {
    let escalated = decided.action == "escalate";
    let p = match decided.action.as_str() {
        "escalate" => 0.3,
        "offer" => 0.35,
        _ if needed_human => 0.4,
        _ => 0.15,
    };
    if !rng.chance(p) {
        return;
    }
    let at = ev.conv.now + minutes(rng.lognormal(26.0 * 60.0, 0.8));
    let (verdict, tag) = if escalated {
        // Needless escalations are mostly the low-priority ones.
        let base = match decided.priority {
            p if p < 50 => 0.35,
            p if p < 70 => 0.12,
            _ => 0.03,
        };
        let p = base * if needed_human { 0.3 } else { 1.5 };
        if rng.chance(p) {
            ("unnecessary", None)
        } else if rng.chance(0.25) {
            ("correct", Some(ev.conv.mood.tag()))
        } else {
            ("correct", None)
        }
    } else if needed_human && rng.chance(0.85) {
        let tag = if ev.conv.subject.category == "fraud" {
            "policy_required_human"
        } else {
            ev.conv.mood.tag()
        };
        ("missed", Some(tag))
    } else {
        ("correct", None)
    };
    let mut fields = json!({"verdict": verdict, "reviewer": *rng.pick(&REVIEWERS)});
    if let Some(tag) = tag {
        fields["tag"] = json!(tag);
    }
    if rng.chance(0.3) {
        fields["note"] = json!(match verdict {
            "missed" => "the customer needed a person and the AI kept going",
            "unnecessary" => "the AI's answer was right; the customer only needed a minute",
            _ => "checked against the transcript",
        });
    }
    ev.push("review", "review", at, fields);
}

/// The events as sent, and how many of them are re-sent copies and how
/// many arrive late.
#[derive(Debug)]
pub struct Delivery {
    /// In sending order, copies included.
    pub events: Vec<Event>,
    /// Copies of events sent earlier.
    pub resent: u64,
    /// Events sent behind later ones.
    pub late: u64,
}

/// The order the events are sent in: by time, as a help desk streams
/// them, except that a few arrive late (behind events that happened after
/// them) and a few are sent twice, as help desks retrying a batch do.
pub fn delivery(seed: u64, mut events: Vec<Event>) -> Delivery {
    events.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let mut rng = Rng::new(seed, Stream::Delivery, 0);
    let (mut resent, mut late) = (0, 0);
    // Keys spaced by 4 leave room to slot late and repeated events in
    // between without ties against the punctual ones.
    let mut keyed: Vec<(i64, Event)> = Vec::with_capacity(events.len() + events.len() / 32);
    for (i, e) in events.into_iter().enumerate() {
        let pos = 4 * i as i64;
        if rng.chance(0.02) {
            keyed.push((pos + 4 * rng.between(1, 300) + 2, e.clone()));
            resent += 1;
        }
        let key = if rng.chance(0.04) {
            late += 1;
            pos + 4 * rng.between(5, 60) + 1
        } else {
            pos
        };
        keyed.push((key, e));
    }
    keyed.sort_by_key(|(k, _)| *k);
    Delivery {
        events: keyed.into_iter().map(|(_, e)| e).collect(),
        resent,
        late,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::simulate::script::{Window, conversation};

    fn window() -> Window {
        let end = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        Window {
            start: end - Duration::days(28),
            end,
        }
    }

    fn decided(action: &str, priority: u64) -> Decided {
        Decided {
            decision_id: "d-1".into(),
            action: action.into(),
            priority,
            queue: None,
        }
    }

    #[test]
    fn events_follow_the_decision_and_are_well_formed() {
        let w = window();
        let mut kinds = std::collections::BTreeSet::new();
        for i in 0..400 {
            let c = conversation(5, i, 400, &w);
            for action in ["escalate", "offer", "stay"] {
                let events = derive(5, &c, &decided(action, 60));
                let mut ids = std::collections::BTreeSet::new();
                for e in &events {
                    assert!(e.at > c.now, "{} before its decision", e.id);
                    assert!(ids.insert(e.id.clone()), "{} twice", e.id);
                    assert!(e.id.starts_with(&c.id));
                    kinds.insert(e.kind);
                    if e.kind == "review" && e.body["verdict"] == "missed" {
                        assert_ne!(action, "escalate");
                    }
                    if e.kind == "human_first_reply" {
                        let text = e.body["text"].as_str().unwrap();
                        assert!(!text.contains('{'), "{text}");
                    }
                }
                // A conversation the AI kept reaches a person only when
                // it comes back.
                if action == "stay" {
                    let first = |k: &str| events.iter().position(|e| e.kind == k);
                    if let Some(assigned) = first("human_assigned") {
                        assert!(first("reopened").is_some_and(|r| r < assigned));
                    }
                }
                assert_eq!(
                    derive(5, &c, &decided(action, 60))
                        .iter()
                        .map(|e| e.body.to_string())
                        .collect::<Vec<_>>(),
                    events
                        .iter()
                        .map(|e| e.body.to_string())
                        .collect::<Vec<_>>()
                );
            }
        }
        assert_eq!(kinds.len(), 9, "{kinds:?}");
    }

    #[test]
    fn delivery_repeats_and_reorders_a_few() {
        let w = window();
        let events: Vec<Event> = (0..300)
            .flat_map(|i| derive(9, &conversation(9, i, 300, &w), &decided("escalate", 50)))
            .collect();
        let n = events.len();
        let Delivery {
            events: sent,
            resent,
            late,
        } = delivery(9, events);
        let unique: std::collections::BTreeSet<&str> = sent.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(unique.len(), n);
        assert_eq!(sent.len() as u64, n as u64 + resent);
        assert!(resent > 0 && late > 0, "{resent} {late}");
        assert!(
            sent.windows(2).any(|p| p[0].at > p[1].at),
            "some arrive late"
        );
    }
}
