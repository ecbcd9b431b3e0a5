//! The customer asked for a human, directly or not ("is a real person
//! reading this?"), in any of the configured languages. Once asked, the
//! request stands: it is looked for in every customer message, not only the
//! latest. A request for later or maybe ("if this doesn't work I may need
//! someone"), or asked hypothetically, offers a human instead.

use serde_json::json;

use super::{Check, Context, Trigger, escalate};
use crate::config::HumanRequestConfig;
use crate::decision::reading::Mood;
use crate::decision::reasons::Code;

/// Priority of an explicit request: ignoring it is what makes customers angry.
const PRIORITY: u8 = 60;

/// The asked-for-a-human trigger.
pub struct HumanRequest<'a>(pub &'a HumanRequestConfig);

impl Trigger for HumanRequest<'_> {
    fn name(&self) -> &'static str {
        "human_request"
    }

    fn check(&self, ctx: &Context<'_>) -> Check {
        // The firmest request anywhere in the conversation.
        let mut found: Option<(&str, &str, bool)> = None;
        for reading in ctx.readings {
            for (lang, phrases) in &self.0.phrases {
                let Some(f) = reading.find(phrases) else {
                    continue;
                };
                let maybe =
                    f.mood == Mood::Asked || reading.in_sentence(&self.0.maybe_phrases, f.sentence);
                if found.is_none_or(|(_, _, was_maybe)| was_maybe && !maybe) {
                    found = Some((lang.as_str(), f.phrase, maybe));
                }
            }
        }
        let vote = found.map(|(lang, phrase, maybe)| {
            if maybe {
                let mut v = escalate(
                    Code::HumanMaybe,
                    format!("the customer may want a human later ('{phrase}', {lang})"),
                    PRIORITY / 2,
                );
                v.weight = 0.5;
                v
            } else {
                escalate(
                    Code::CustomerRequestedHuman,
                    format!("the customer asked for a human ('{phrase}', {lang})"),
                    PRIORITY,
                )
            }
        });
        Check::new(
            ctx,
            vote,
            || {
                json!({ "matched": found.map(|(lang, p, maybe)| {
                    json!({"language": lang, "phrase": p, "maybe": maybe})
                }) })
            },
            || json!({ "languages": self.0.phrases.keys().collect::<Vec<_>>() }),
        )
    }
}
