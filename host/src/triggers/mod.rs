//! Built-in triggers. Each is a [`Trigger`] that votes like any plugin, so the
//! merge explains built-in and plugin reasons the same way.

mod confidence;
mod sentiment;

pub use confidence::Confidence;
pub use sentiment::Sentiment;

use std::time::Instant;

use crate::config::TriggersConfig;
use crate::input::Conversation;
use crate::signals::Signals;
use crate::vote::Vote;

/// A built-in rule.
pub trait Trigger {
    /// The name shown as `builtin:<name>` in votes.
    fn name(&self) -> &'static str;
    /// Votes on the conversation; `None` is an abstain.
    fn vote(&self, conversation: &Conversation, signals: &Signals) -> Option<Vote>;
}

/// Runs every enabled built-in trigger; each returns exactly one vote
/// (abstain when it has nothing to say) so the decision shows what was checked.
pub fn evaluate(
    config: &TriggersConfig,
    conversation: &Conversation,
    signals: &Signals,
) -> Vec<Vote> {
    let mut triggers: Vec<(Box<dyn Trigger>, f64)> = Vec::new();
    if config.confidence.enabled {
        triggers.push((
            Box::new(Confidence(config.confidence.clone())),
            config.confidence.weight,
        ));
    }
    if config.sentiment.enabled {
        triggers.push((
            Box::new(Sentiment(config.sentiment.clone())),
            config.sentiment.weight,
        ));
    }
    triggers
        .iter()
        .map(|(t, weight)| {
            let start = Instant::now();
            let source = format!("builtin:{}", t.name());
            let mut vote = t
                .vote(conversation, signals)
                .unwrap_or_else(|| Vote::new("", crate::vote::Verdict::Abstain));
            vote.source = source;
            vote.weight *= weight;
            vote.elapsed_us = start.elapsed().as_micros() as u64;
            vote
        })
        .collect()
}
