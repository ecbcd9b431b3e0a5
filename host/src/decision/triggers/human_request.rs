//! The customer asked for a human. Once asked, the request stands: it is
//! looked for in every customer message, not only the latest.

use serde_json::json;

use super::{Check, Context, Trigger, escalate};
use crate::config::HumanRequestConfig;
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
        let found = ctx.words.iter().find_map(|w| {
            self.0
                .phrases
                .iter()
                .find_map(|(lang, phrases)| w.first_of(phrases).map(|p| (lang.as_str(), p)))
        });
        let vote = found.map(|(lang, phrase)| {
            escalate(
                Code::CustomerRequestedHuman,
                format!("the customer asked for a human ('{phrase}', {lang})"),
                PRIORITY,
            )
        });
        Check::new(
            ctx,
            vote,
            || json!({ "matched": found.map(|(lang, p)| json!({"language": lang, "phrase": p})) }),
            || json!({ "languages": self.0.phrases.keys().collect::<Vec<_>>() }),
        )
    }
}
