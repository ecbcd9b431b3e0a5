//! Facts computed once per decision from the conversation, shared by the
//! built-in triggers and handed to every plugin so that no rule has to
//! re-implement sentiment scoring or confidence tracking.

use std::sync::LazyLock;

use vader_parity::SentimentIntensityAnalyzer;

use crate::decision::input::{Conversation, Role};
use crate::decision::memo::sentiment_of;

/// Parsing VADER's lexicons takes milliseconds; do it once per process.
static VADER: LazyLock<SentimentIntensityAnalyzer> = LazyLock::new(SentimentIntensityAnalyzer::new);

/// The VADER compound score of `text`, from -1.0 to 1.0.
pub fn sentiment(text: &str) -> f64 {
    VADER.polarity_scores(text).compound
}

/// Loads the sentiment lexicons now rather than on the first request.
pub fn warm_up() {
    LazyLock::force(&VADER);
}

/// Signals derived from one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Signals {
    /// VADER compound score per message, `None` for non-customer messages.
    pub message_sentiment: Vec<Option<f64>>,
    /// Confidence of the latest AI turn that reported one.
    pub latest_ai_confidence: Option<f64>,
    /// Lowest confidence any AI turn reported.
    pub lowest_ai_confidence: Option<f64>,
    /// Milliseconds from the first customer message to `now` (0 if none, never negative).
    pub elapsed_ms: i64,
    /// Number of customer messages.
    pub customer_turns: u32,
}

impl Signals {
    /// Computes the signals of `conversation`.
    pub fn compute(conversation: &Conversation) -> Signals {
        let message_sentiment = conversation
            .messages
            .iter()
            .map(|m| (m.role == Role::Customer).then(|| sentiment_of(&m.text)))
            .collect();
        Signals::from_scores(conversation, message_sentiment)
    }

    /// The signals of `view`, the part of the conversation these signals
    /// were computed for that starts at message `from`: sentiment is taken,
    /// not scored again.
    pub fn since(&self, view: &Conversation, from: usize) -> Signals {
        Signals::from_scores(view, self.message_sentiment[from..].to_vec())
    }

    fn from_scores(conversation: &Conversation, message_sentiment: Vec<Option<f64>>) -> Signals {
        let confidences = conversation
            .messages
            .iter()
            .filter_map(|m| m.ai.as_ref().and_then(|a| a.confidence));
        let latest_ai_confidence = confidences.clone().next_back();
        let lowest_ai_confidence = confidences.reduce(f64::min);
        let elapsed_ms = conversation.customer_messages().next().map_or(0, |first| {
            (conversation.now - first.at).num_milliseconds().max(0)
        });
        Signals {
            message_sentiment,
            latest_ai_confidence,
            lowest_ai_confidence,
            elapsed_ms,
            customer_turns: conversation.customer_messages().count() as u32,
        }
    }

    /// Sentiment scores of the customer's messages, oldest first.
    pub fn customer_sentiment(&self) -> impl DoubleEndedIterator<Item = f64> + '_ {
        self.message_sentiment.iter().filter_map(|s| *s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn signals_follow_the_conversation() {
        let c = Conversation::from_json(
            br#"{"conversation_id":"c","now":"2026-01-01T00:10:00Z","messages":[
                {"role":"customer","text":"This is terrible and I hate it","at":"2026-01-01T00:00:00Z"},
                {"role":"ai","text":"Sorry","at":"2026-01-01T00:00:10Z","ai":{"confidence":0.3}},
                {"role":"ai","text":"Let me see","at":"2026-01-01T00:00:20Z","ai":{"confidence":0.8}},
                {"role":"customer","text":"ok","at":"2026-01-01T00:01:00Z"}]}"#,
            Utc::now(),
        )
        .unwrap();
        let s = Signals::compute(&c);
        assert!(s.message_sentiment[0].unwrap() < -0.6);
        assert_eq!(s.message_sentiment[1], None);
        assert_eq!(s.latest_ai_confidence, Some(0.8));
        assert_eq!(s.lowest_ai_confidence, Some(0.3));
        assert_eq!(s.elapsed_ms, 600_000);
        assert_eq!(s.customer_turns, 2);
    }

    #[test]
    fn vader_is_the_reference_scorer() {
        // Values of the reference Python vaderSentiment 3.3.2.
        assert_eq!(sentiment("I love this!"), 0.6696);
        assert_eq!(sentiment(""), 0.0);
    }
}
