//! The customer's emotional trajectory: a label per customer message from
//! VADER's score and a support-frustration overlay.
//!
//! VADER is one signal, not the detector: it scores "still not working",
//! "third time I'm asking!!!" or "I will file a chargeback" as neutral, and
//! it reads English only. The overlay adds cues VADER cannot see —
//! configured frustration and anger phrases in English, Portuguese and
//! Spanish (stated, not quoted, negated or hypothetical), sarcasm (praise
//! with a failure in its sentence, or with 👏 🙃 🙄), shouting, runs of
//! `!!!`/`???`, a word in capitals, doubt ("not sure that answers it"), and
//! the customer repeating themselves — and the label combines them. The
//! guide escalates frustration at once, so one clear cue is enough:
//!
//! - **angry**: score ≤ `angry_at`, or a stated anger or frustration
//!   phrase, sarcasm, shouting, or two or more cues;
//! - **frustrated**: score ≤ `frustrated_at`, or one weak cue (a
//!   punctuation run, a word in capitals, doubt, a repetition);
//! - **neutral** otherwise.

use std::sync::Arc;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::clock::clock;
use crate::config::SentimentConfig;
use crate::decision::input::{Conversation, Role};
use crate::decision::reading::{Mood, Reading};
use crate::decision::signals::Signals;

/// How a customer message reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Emotion {
    /// Nothing to worry about.
    Neutral,
    /// Unhappy with how it is going.
    Frustrated,
    /// Angry or threatening.
    Angry,
}

impl Emotion {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Emotion::Neutral => "neutral",
            Emotion::Frustrated => "frustrated",
            Emotion::Angry => "angry",
        }
    }
}

/// One customer message on the trajectory.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EmotionPoint {
    /// The index of the message in the conversation.
    pub message: usize,
    /// Time since the first customer message, as `m:ss`.
    pub offset: String,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// VADER compound score.
    pub score: f64,
    /// The label.
    pub label: Emotion,
    /// The overlay cues found, e.g. `phrase:still not working`, `shouting`.
    pub cues: Vec<String>,
    /// Whether one of them is strong (a threat, a frustration phrase,
    /// sarcasm, shouting): a message with one solves nothing, whatever
    /// thanks it also says.
    #[serde(skip)]
    pub strong: bool,
}

/// Emoji and laughter that turn praise into irony (👏 after a failure, 🙃).
fn ironic(text: &str) -> bool {
    text.contains(['👏', '🙃', '🙄', '🤡', '😒'])
}

/// A word of four or more letters in capitals in a message that is not all
/// capitals ("no-showed AGAIN"); acronyms are mostly shorter.
fn emphasis(text: &str) -> bool {
    text.split(|c: char| !c.is_alphabetic())
        .any(|w| w.chars().count() >= 4 && w.chars().all(char::is_uppercase))
}

fn shouting(text: &str, min_letters: u32) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    letters.len() >= min_letters as usize && upper * 10 >= letters.len() * 9
}

fn punctuation_run(text: &str, run: u32) -> bool {
    let mut current = 0;
    for c in text.chars() {
        if c == '!' || c == '?' {
            current += 1;
            if current >= run {
                return true;
            }
        } else {
            current = 0;
        }
    }
    false
}

/// Finds customer messages that repeat an earlier one, in time linear in
/// the conversation: a message is compared word-set to word-set with the
/// last [`SentimentConfig::repetition_window`] customer messages, and
/// matched exactly (same set of words) against all of them through a hash
/// set. Comparing every message with every earlier one cost 16 s of CPU on
/// a 1 MiB request of one-word messages.
struct Repetitions<'t> {
    threshold: f64,
    window: usize,
    recent: std::collections::VecDeque<&'t [String]>,
    exact: HashSet<&'t [String]>,
}

impl<'t> Repetitions<'t> {
    fn new(config: &SentimentConfig) -> Self {
        Repetitions {
            threshold: config.repetition_similarity,
            window: config.repetition_window as usize,
            recent: std::collections::VecDeque::new(),
            exact: HashSet::new(),
        }
    }

    /// Whether `text` repeats an earlier message; remembers it either way.
    fn seen(&mut self, text: &'t Reading) -> bool {
        let words = text.word_set();
        let repeated = self.exact.contains(words)
            || self
                .recent
                .iter()
                .any(|earlier| jaccard(earlier, words) >= self.threshold);
        self.exact.insert(words);
        if self.recent.len() == self.window {
            self.recent.pop_front();
        }
        self.recent.push_back(words);
        repeated
    }
}

/// Jaccard similarity of two word sets (sorted, without duplicates); two
/// empty sets are the same text.
fn jaccard(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// Labels every customer message of `conversation`; `readings` holds each
/// customer message read for phrases, in order.
pub fn trajectory(
    conversation: &Conversation,
    signals: &Signals,
    readings: &[Arc<Reading>],
    config: &SentimentConfig,
) -> Vec<EmotionPoint> {
    let first = conversation.customer_messages().next().map(|m| m.at);
    let mut points = Vec::new();
    let mut repeats = Repetitions::new(config);
    let customer = conversation
        .messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.role == Role::Customer);
    let stated = |f: Option<crate::decision::reading::Found<'_>>| {
        f.filter(|f| f.mood == Mood::Stated)
            .map(|f| f.phrase.to_owned())
    };
    for ((i, m), text) in customer.zip(readings) {
        // VADER's lexicon is English: on Portuguese or Spanish it scores
        // noise ("no" and "nada" read as negative), so there the phrases
        // alone decide.
        let score = if text.looks_english() {
            signals
                .message_sentiment
                .get(i)
                .copied()
                .flatten()
                .unwrap_or(0.0)
        } else {
            0.0
        };
        let mut cues = Vec::new();
        let mut strong = false;
        // A threat counts under a condition too ("if this isn't fixed I'll
        // post it everywhere").
        if let Some(p) = text
            .find(&config.anger_phrases)
            .filter(|f| f.mood != Mood::Asked)
            .map(|f| f.phrase)
        {
            cues.push(format!("threat:{p}"));
            strong = true;
        }
        if let Some(p) = stated(text.find(&config.frustration_phrases)) {
            cues.push(format!("phrase:{p}"));
            strong = true;
        }
        if let Some(praise) = text
            .find(&config.sarcasm_praise)
            .filter(|f| f.mood == Mood::Stated)
            && (ironic(&m.text) || text.mentions(&config.sarcasm_failure))
        {
            cues.push(format!("sarcasm:{}", praise.phrase));
            strong = true;
        }
        if shouting(&m.text, config.shouting_min_letters) {
            cues.push("shouting".into());
            strong = true;
        }
        if punctuation_run(&m.text, config.punctuation_run) {
            cues.push("punctuation".into());
        }
        if let Some(p) = stated(text.find(&config.doubt_phrases)) {
            cues.push(format!("doubt:{p}"));
        }
        if emphasis(&m.text) {
            cues.push("emphasis".into());
        }
        if repeats.seen(text) {
            cues.push("repetition".into());
        }

        let label = if score <= config.angry_at || strong || cues.len() >= 2 {
            Emotion::Angry
        } else if score <= config.frustrated_at || !cues.is_empty() {
            Emotion::Frustrated
        } else {
            Emotion::Neutral
        };
        let offset_ms = first.map_or(0, |f| (m.at - f).num_milliseconds());
        points.push(EmotionPoint {
            message: i,
            offset: clock(offset_ms),
            at: m.at,
            score,
            label,
            cues,
            strong,
        });
    }
    points
}

/// The trajectory as one line, e.g. "neutral at 0:00, frustrated at 3:14,
/// angry at 5:08": each change of label, with the first message.
pub fn summary_line(points: &[EmotionPoint]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut last: Option<Emotion> = None;
    for p in points {
        if last != Some(p.label) {
            parts.push(format!("{} at {}", p.label.as_str(), p.offset));
            last = Some(p.label);
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(texts: &[&str]) -> Vec<Emotion> {
        let messages: Vec<String> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                format!(
                    r#"{{"role":"customer","text":{},"at":"2026-01-01T00:0{i}:00Z"}}"#,
                    serde_json::to_string(t).unwrap()
                )
            })
            .collect();
        let body = format!(
            r#"{{"conversation_id":"c","messages":[{}]}}"#,
            messages.join(",")
        );
        let c = Conversation::from_json(body.as_bytes(), Utc::now()).unwrap();
        let s = Signals::compute(&c);
        let scope = crate::config::triggers::ScopeConfig::default();
        let readings: Vec<Arc<Reading>> = c
            .customer_messages()
            .map(|m| Arc::new(Reading::new(&m.text, &scope)))
            .collect();
        trajectory(&c, &s, &readings, &SentimentConfig::default())
            .iter()
            .map(|p| p.label)
            .collect()
    }

    #[test]
    fn the_overlay_catches_what_vader_misses() {
        use Emotion::*;
        assert_eq!(labels(&["It is still not working"]), [Angry]);
        assert_eq!(labels(&["This is the third time I'm asking!!!"]), [Angry]);
        assert_eq!(labels(&["I will file a chargeback"]), [Angry]);
        assert_eq!(labels(&["I will sue"]), [Angry]);
        assert_eq!(labels(&["No problem, thanks!"]), [Neutral]);
        assert_eq!(labels(&["WHY IS MY ORDER NOT HERE"]), [Angry]);
        assert_eq!(
            labels(&["Where is my order?", "where is my order?"]),
            [Neutral, Frustrated]
        );
        assert_eq!(labels(&["I hate this, it is terrible"]), [Angry]);
        assert_eq!(
            labels(&["oh wonderful, another update that broke everything, thanks a lot"]),
            [Angry]
        );
        assert_eq!(labels(&["Great, thanks again! Have a nice day"]), [Neutral]);
        assert_eq!(labels(&["pela terceira vez: o app não abre"]), [Angry]);
        assert_eq!(
            labels(&["es una vergüenza, llevo una semana esperando"]),
            [Angry]
        );
        assert_eq!(
            labels(&["my friend said \"this is ridiculous\" but it works for me"]),
            [Neutral]
        );
    }

    #[test]
    fn the_summary_line_shows_each_change() {
        let p = |label, offset: &str| EmotionPoint {
            message: 0,
            offset: offset.into(),
            at: Utc::now(),
            score: 0.0,
            label,
            cues: vec![],
            strong: false,
        };
        let points = [
            p(Emotion::Neutral, "0:00"),
            p(Emotion::Neutral, "1:00"),
            p(Emotion::Frustrated, "3:14"),
            p(Emotion::Angry, "5:08"),
        ];
        assert_eq!(
            summary_line(&points),
            "neutral at 0:00, frustrated at 3:14, angry at 5:08"
        );
        assert_eq!(clock(374_000), "6:14");
    }
}
