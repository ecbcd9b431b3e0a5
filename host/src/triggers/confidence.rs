//! Low AI confidence: the latest AI turn that reported a confidence is below
//! the configured threshold.

use super::Trigger;
use crate::config::ConfidenceConfig;
use crate::input::Conversation;
use crate::signals::Signals;
use crate::vote::{Verdict, Vote};

/// The low-confidence trigger.
pub struct Confidence(pub ConfidenceConfig);

impl Trigger for Confidence {
    fn name(&self) -> &'static str {
        "confidence"
    }

    fn vote(&self, _conversation: &Conversation, signals: &Signals) -> Option<Vote> {
        let latest = signals.latest_ai_confidence?;
        (latest < self.0.threshold).then(|| {
            Vote::new("", Verdict::Escalate).because(
                "low_confidence",
                format!(
                    "the AI's latest confidence {latest:.2} is below {:.2}",
                    self.0.threshold
                ),
            )
        })
    }
}
