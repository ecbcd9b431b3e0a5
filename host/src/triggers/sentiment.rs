//! Negative customer sentiment: a very negative latest message, or a streak of
//! negative messages. Either asks for a senior de-escalation agent, because an
//! upset customer handed to the next free agent tends to get more upset.

use super::Trigger;
use crate::config::SentimentConfig;
use crate::input::Conversation;
use crate::signals::Signals;
use crate::vote::{Routing, Verdict, Vote};

/// Priority asked for by a sentiment escalation: above routine work, below
/// hard policy escalations such as security incidents.
const PRIORITY: u8 = 70;

/// The negative-sentiment trigger.
pub struct Sentiment(pub SentimentConfig);

impl Trigger for Sentiment {
    fn name(&self) -> &'static str {
        "sentiment"
    }

    fn vote(&self, _conversation: &Conversation, signals: &Signals) -> Option<Vote> {
        let scores: Vec<f64> = signals.customer_sentiment().collect();
        let latest = *scores.last()?;
        let streak = scores
            .iter()
            .rev()
            .take_while(|s| **s <= self.0.negative)
            .count();
        let (reason, detail) = if latest <= self.0.very_negative {
            (
                "negative_sentiment",
                format!(
                    "the customer's latest message scores {latest:.2}, at or below {:.2}",
                    self.0.very_negative
                ),
            )
        } else if streak >= self.0.streak as usize {
            (
                "negative_sentiment_streak",
                format!(
                    "the customer's last {streak} messages all score at or below {:.2}",
                    self.0.negative
                ),
            )
        } else {
            return None;
        };
        let mut vote = Vote::new("", Verdict::Escalate).because(reason, detail);
        vote.priority = Some(PRIORITY);
        vote.routing = Some(Routing {
            queue: None,
            skills: vec!["de-escalation".to_owned()],
            senior: true,
        });
        Some(vote)
    }
}
