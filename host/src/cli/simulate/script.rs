//! One synthetic conversation: who writes, about what, in what mood, and
//! the messages up to the moment a decision is asked for.
//!
//! Everything is drawn from the conversation's own generator, seeded by the
//! run's seed and the conversation's index, so conversation 17 of a seed is
//! the same whatever else changes around it.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::people::{self, Customer, Lang};
use super::phrases::{self, CATEGORIES, SUBJECTS, Subject, Tri};
use super::rng::{Rng, Stream};

/// The span the conversations are spread over: [start, end).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// The earliest start.
    pub start: DateTime<Utc>,
    /// Every conversation starts before this.
    pub end: DateTime<Utc>,
}

impl Window {
    /// Where `t` falls in the window, 0 at the start to 1 at the end.
    fn progress(&self, t: DateTime<Utc>) -> f64 {
        let span = (self.end - self.start).num_seconds().max(1) as f64;
        ((t - self.start).num_seconds() as f64 / span).clamp(0.0, 1.0)
    }
}

/// How the customer feels, which decides how the conversation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mood {
    /// Asks, gets an answer, is done.
    Calm,
    /// Does not follow the answer.
    Confused,
    /// Doubts the answer.
    Frustrated,
    /// Angry, shouts or threatens.
    Angry,
    /// Wants a person.
    AsksHuman,
}

impl Mood {
    const ALL: [Mood; 5] = [
        Mood::Calm,
        Mood::Confused,
        Mood::Frustrated,
        Mood::Angry,
        Mood::AsksHuman,
    ];

    /// The relative weights of each mood at difficulty `d` (0 easy – 1
    /// hard): harder problems make fewer calm customers.
    fn weights(d: f64) -> [f64; 5] {
        [
            68.0 - 40.0 * d,
            14.0 + 4.0 * d,
            8.0 + 12.0 * d,
            3.0 + 12.0 * d,
            5.0 + 8.0 * d,
        ]
    }

    /// The escalation tag a reviewer would give a conversation in this
    /// mood, had it gone to a human.
    pub fn tag(self) -> &'static str {
        match self {
            Mood::Calm | Mood::Confused => "out_of_scope",
            Mood::Frustrated | Mood::Angry => "ai_gave_wrong_answer",
            Mood::AsksHuman => "customer_demanded_human",
        }
    }
}

/// How hard a category is at window progress `w`. Shipping improves week
/// over week (a new carrier integration), billing stays flat, and fraud
/// gets worse (a phishing wave: fewer scares turn out to be nothing), so
/// a trend report has real movement to find.
pub fn difficulty(category: &str, w: f64) -> f64 {
    match category {
        "shipping" => 0.75 - 0.6 * w,
        "billing" => 0.45,
        "fraud" => 0.2 + 0.6 * w,
        "technical" => 0.5,
        "account" => 0.35,
        _ => 0.3,
    }
}

/// What the AI reported about one of its turns.
#[derive(Debug, Clone)]
pub struct AiTurn {
    /// 0–1, two decimals.
    pub confidence: f64,
    /// `{category}-{subcategory}`, or `unknown` on a fallback.
    pub intent: String,
    /// `answered`, `fallback` or `resolved`.
    pub outcome: &'static str,
}

/// One message of the conversation.
#[derive(Debug, Clone)]
pub struct Message {
    /// `customer` or `ai`.
    pub role: &'static str,
    /// What was written.
    pub text: String,
    /// When.
    pub at: DateTime<Utc>,
    /// On AI turns.
    pub ai: Option<AiTurn>,
}

/// A synthetic conversation, ready to be decided.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Its position in the run, from 0.
    pub index: u64,
    /// `sim-{seed}-{index}`.
    pub id: String,
    /// Who writes.
    pub customer: Customer,
    /// `chat`, `whatsapp` or `email`.
    pub channel: &'static str,
    /// What about.
    pub subject: &'static Subject,
    /// The order number the customer quotes.
    pub order: u32,
    /// How the customer feels.
    pub mood: Mood,
    /// A fraud scare the customer explains away in the end.
    pub false_alarm: bool,
    /// Some AI turn could not answer.
    pub fell_back: bool,
    /// The messages, oldest first (1 to 6).
    pub messages: Vec<Message>,
    /// The instant the decision is asked for: just after the last message.
    pub now: DateTime<Utc>,
}

/// Time in RFC 3339, whole seconds, `Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Traffic by hour of the day (UTC): the audience spans the Americas and
/// Europe, so the night is quiet but never empty.
const HOURS: [f64; 24] = [
    3.0, 2.0, 2.0, 1.0, 1.0, 1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 8.0, 9.0, 9.0, 9.0, 9.0, 9.0, 8.0, 8.0,
    7.0, 6.0, 5.0, 4.0, 3.0,
];

/// Conversation `index` of `count` in the run with `seed`.
pub fn conversation(seed: u64, index: u64, count: u64, window: &Window) -> Conversation {
    let mut rng = Rng::new(seed, Stream::Script, index);
    // A customer pool smaller than the conversation count: about one
    // customer in three comes back within the window.
    let pool = (count * 7 / 10).max(1);
    let customer = people::customer(seed, rng.below(pool));
    // Spread evenly over the days (each conversation in its own slice of
    // the window), then by the hour of day.
    let days = ((window.end - window.start).num_seconds() / 86_400).max(1);
    let day = (((index as f64 + rng.unit()) / count as f64) * days as f64) as i64;
    let second = rng.weighted(&HOURS) as i64 * 3600 + rng.between(0, 3599);
    let start = (window.start + Duration::days(day.min(days - 1)) + Duration::seconds(second))
        .min(window.end - Duration::seconds(1));
    let category = CATEGORIES[rng.weighted(&CATEGORIES.map(|(_, w)| w))].0;
    let subjects: Vec<&'static Subject> =
        SUBJECTS.iter().filter(|s| s.category == category).collect();
    let subject = *rng.pick(&subjects);
    let d = difficulty(category, window.progress(start));
    let false_alarm = category == "fraud" && rng.chance(0.7 - 0.7 * d);
    let mood = if false_alarm {
        Mood::Calm
    } else {
        Mood::ALL[rng.weighted(&Mood::weights(d))]
    };
    let channel = ["chat", "whatsapp", "email"][rng.weighted(&[70.0, 18.0, 12.0])];
    let mut writer = Writer {
        rng,
        lang: customer.lang,
        channel,
        subject,
        order: 0,
        difficulty: d,
        mood,
        at: start,
        messages: Vec::new(),
        fell_back: false,
    };
    writer.order = writer.rng.between(10_000, 99_999) as u32;
    writer.write(false_alarm);
    let mut now = writer.at + Duration::seconds(writer.rng.between(1, 4));
    // A slow (e-mail) conversation begun late would be decided after the
    // window: begin it earlier instead, so every decision lands inside.
    if now >= window.end {
        let shift = now - window.end + Duration::seconds(writer.rng.between(60, 3600));
        for m in &mut writer.messages {
            m.at -= shift;
        }
        now -= shift;
    }
    Conversation {
        index,
        id: format!("sim-{seed}-{index}"),
        customer,
        channel,
        subject,
        order: writer.order,
        mood,
        false_alarm,
        fell_back: writer.fell_back,
        messages: writer.messages,
        now,
    }
}

/// Writes the messages of one conversation.
struct Writer {
    rng: Rng,
    lang: Lang,
    channel: &'static str,
    subject: &'static Subject,
    order: u32,
    difficulty: f64,
    mood: Mood,
    at: DateTime<Utc>,
    messages: Vec<Message>,
    fell_back: bool,
}

impl Writer {
    fn text(&self, tri: Tri) -> String {
        self.lang.of(tri).replace("{n}", &self.order.to_string())
    }

    fn variant(&mut self, texts: &[Tri]) -> String {
        let tri = *self.rng.pick(texts);
        self.text(tri)
    }

    /// Advances the clock by how long the customer (or the AI) takes to
    /// answer on this channel.
    fn wait(&mut self, customer: bool) {
        let seconds = match (self.channel, customer) {
            ("email", true) => self.rng.lognormal(3.0 * 3600.0, 0.8),
            ("email", false) => self.rng.lognormal(120.0, 0.5),
            ("whatsapp", true) => self.rng.lognormal(240.0, 0.9),
            (_, true) => self.rng.lognormal(45.0, 0.6),
            (_, false) => self.rng.lognormal(4.0, 0.4),
        };
        self.at += Duration::seconds(seconds.round().max(1.0) as i64);
    }

    fn customer(&mut self, text: String) {
        if !self.messages.is_empty() {
            self.wait(true);
        }
        self.messages.push(Message {
            role: "customer",
            text,
            at: self.at,
            ai: None,
        });
    }

    /// An AI turn saying `text`, unless it falls back; its confidence
    /// drawn by mood, category and difficulty.
    fn ai(&mut self, text: String, outcome: &'static str) {
        self.wait(false);
        let category = self.subject.category;
        let fallback =
            0.02 + 0.06 * self.difficulty + if category == "technical" { 0.03 } else { 0.0 };
        let turn = if outcome != "resolved" && self.rng.chance(fallback) {
            self.fell_back = true;
            let text = self.variant(phrases::AI_FALLBACK);
            let confidence = 0.1 + 0.25 * self.rng.unit();
            (text, confidence, "unknown".to_owned(), "fallback")
        } else {
            let base = match self.mood {
                Mood::Calm => 0.88,
                Mood::Confused => 0.74,
                Mood::Frustrated => 0.64,
                Mood::Angry => 0.6,
                Mood::AsksHuman => 0.72,
            };
            let by_category = match category {
                "technical" => -0.08,
                "fraud" => -0.1,
                "billing" => -0.03,
                "returns" => 0.02,
                _ => 0.0,
            };
            let confidence =
                base + by_category - 0.15 * (self.difficulty - 0.4) + 0.07 * self.rng.normal();
            let intent = format!("{}-{}", category, self.subject.subcategory);
            (text, confidence, intent, outcome)
        };
        let (text, confidence, intent, outcome) = turn;
        self.messages.push(Message {
            role: "ai",
            text,
            at: self.at,
            ai: Some(AiTurn {
                confidence: (confidence.clamp(0.05, 0.99) * 100.0).round() / 100.0,
                intent,
                outcome,
            }),
        });
    }

    /// The script of the conversation, by mood.
    fn write(&mut self, false_alarm: bool) {
        let opening = self.text(self.subject.opening);
        let answer = self.text(self.subject.answer);
        if false_alarm {
            self.customer(opening);
            self.ai(answer, "answered");
            let which = match self.subject.subcategory {
                "unrecognised-charge" => 0,
                "suspicious-login" => 1,
                _ => 2,
            };
            let settle = self.text(phrases::FALSE_ALARM[which]);
            self.customer(settle);
            if self.rng.chance(0.5) {
                let bye = self.variant(phrases::AI_WRAP_UP);
                self.ai(bye, "resolved");
            }
            return;
        }
        match self.mood {
            // A real fraud case is not settled by an answer: the customer
            // confirms it was not them.
            Mood::Calm if self.subject.category == "fraud" => {
                self.customer(opening);
                self.ai(answer, "answered");
                let denial = self.variant(phrases::NOT_ME);
                self.customer(denial);
            }
            Mood::Calm => {
                self.customer(opening);
                self.ai(answer, "answered");
                if self.rng.chance(0.6) {
                    let thanks = self.variant(phrases::THANKS);
                    self.customer(thanks);
                    if self.rng.chance(0.5) {
                        let bye = self.variant(phrases::AI_WRAP_UP);
                        self.ai(bye, "resolved");
                    }
                }
            }
            Mood::Confused => {
                self.customer(opening);
                self.ai(answer, "answered");
                let lost = self.variant(phrases::CONFUSED);
                self.customer(lost);
                let again = self.variant(phrases::AI_CLARIFY);
                self.ai(again, "answered");
                match self.rng.weighted(&[45.0, 30.0, 25.0]) {
                    0 => {
                        let thanks = self.variant(phrases::THANKS);
                        self.customer(thanks);
                    }
                    1 => {
                        let lost = self.variant(phrases::CONFUSED);
                        self.customer(lost);
                    }
                    _ => {}
                }
            }
            Mood::Frustrated => {
                self.customer(opening);
                self.ai(answer, "answered");
                let doubt = self.variant(phrases::FRUSTRATED);
                self.customer(doubt);
                if self.rng.chance(0.5) {
                    let retry = self.variant(phrases::AI_RETRY);
                    self.ai(retry, "answered");
                    // Some recover, most stay unconvinced.
                    let next = if self.rng.chance(0.3) {
                        phrases::THANKS
                    } else {
                        phrases::FRUSTRATED
                    };
                    let line = self.variant(next);
                    self.customer(line);
                }
            }
            Mood::Angry => {
                let outburst = self.variant(phrases::ANGRY);
                if self.rng.chance(0.25) {
                    self.customer(format!("{opening} {outburst}"));
                    return;
                }
                self.customer(opening);
                self.ai(answer, "answered");
                if self.rng.chance(0.4) {
                    let doubt = self.variant(phrases::FRUSTRATED);
                    self.customer(doubt);
                    let retry = self.variant(phrases::AI_RETRY);
                    self.ai(retry, "answered");
                }
                self.customer(outburst);
                if self.rng.chance(0.3) {
                    let sorry = self.variant(phrases::AI_RETRY);
                    self.ai(sorry, "answered");
                }
            }
            Mood::AsksHuman => {
                let ask = self.variant(phrases::ASK_HUMAN);
                if self.rng.chance(0.35) {
                    self.customer(format!("{opening} {ask}"));
                    return;
                }
                self.customer(opening);
                self.ai(answer, "answered");
                self.customer(ask);
                if self.rng.chance(0.3) {
                    let hold = self.variant(phrases::AI_HOLD);
                    self.ai(hold, "answered");
                    let again = self.variant(phrases::ASK_HUMAN);
                    self.customer(again);
                }
            }
        }
    }
}

impl Conversation {
    /// The language of the conversation.
    pub fn lang(&self) -> Lang {
        self.customer.lang
    }

    /// `tri` in the conversation's language, with the order number and
    /// the subject filled in.
    pub fn say(&self, tri: Tri) -> String {
        let topic = self
            .lang()
            .of(self.subject.topic)
            .replace("{n}", &self.order.to_string());
        self.lang()
            .of(tri)
            .replace("{topic}", &topic)
            .replace("{n}", &self.order.to_string())
    }

    /// The body of `POST /v1/decide`.
    pub fn request(&self) -> Value {
        let messages: Vec<Value> = self
            .messages
            .iter()
            .map(|m| {
                let mut v = json!({"role": m.role, "text": m.text, "at": rfc3339(m.at)});
                if let Some(ai) = &m.ai {
                    v["ai"] = json!({
                        "confidence": ai.confidence,
                        "intent": ai.intent,
                        "outcome": ai.outcome,
                    });
                }
                v
            })
            .collect();
        let c = &self.customer;
        json!({
            "conversation_id": self.id,
            "channel": self.channel,
            "now": rfc3339(self.now),
            "customer": {
                "id": c.id,
                "tier": c.tier,
                "language": c.language,
                "timezone": c.timezone,
                "attributes": {"customer_since": c.since.to_string()},
            },
            "topic": {"category": self.subject.category, "subcategory": self.subject.subcategory},
            "messages": messages,
            "attributes": {"source": "escalator simulate"},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        let end = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        Window {
            start: end - Duration::days(28),
            end,
        }
    }

    #[test]
    fn a_seed_writes_the_same_conversations() {
        let w = window();
        for i in 0..50 {
            let a = conversation(7, i, 50, &w).request();
            let b = conversation(7, i, 50, &w).request();
            assert_eq!(a.to_string(), b.to_string());
        }
        let other: Vec<String> = (0..10)
            .map(|i| conversation(8, i, 50, &w).request()["messages"].to_string())
            .collect();
        let mine: Vec<String> = (0..10)
            .map(|i| conversation(7, i, 50, &w).request()["messages"].to_string())
            .collect();
        assert_ne!(mine, other);
    }

    #[test]
    fn conversations_fall_in_the_window_and_are_well_formed() {
        let w = window();
        for i in 0..2000 {
            let c = conversation(3, i, 2000, &w);
            assert!((1..=6).contains(&c.messages.len()), "{}", c.messages.len());
            assert!(c.messages[0].at >= w.start && c.messages[0].at < w.end);
            assert!(c.messages.windows(2).all(|p| p[0].at <= p[1].at));
            assert!(c.now > c.messages.last().unwrap().at && c.now < w.end);
            assert!(!c.say(c.subject.opening).contains('{'));
        }
    }

    #[test]
    fn the_mix_follows_the_shares() {
        let w = window();
        let n = 4000;
        let convs: Vec<Conversation> = (0..n).map(|i| conversation(11, i, n, &w)).collect();
        let share = |f: &dyn Fn(&Conversation) -> bool| {
            convs.iter().filter(|c| f(c)).count() as f64 / n as f64
        };
        // Customers, not conversations, carry the language: allow for the
        // pool's sampling.
        assert!((share(&|c| c.lang() == Lang::En) - 0.60).abs() < 0.08);
        assert!((share(&|c| c.lang() == Lang::Es) - 0.15).abs() < 0.06);
        assert!((share(&|c| c.subject.category == "billing") - 0.25).abs() < 0.03);
        assert!(share(&|c| c.fell_back) > 0.02);
        // Shipping gets easier: fewer calm customers early than late.
        let calm_shipping = |first: bool| {
            let part: Vec<&Conversation> = convs
                .iter()
                .filter(|c| c.subject.category == "shipping" && (c.index < n / 2) == first)
                .collect();
            part.iter().filter(|c| c.mood == Mood::Calm).count() as f64 / part.len() as f64
        };
        assert!(calm_shipping(true) + 0.1 < calm_shipping(false));
    }
}
