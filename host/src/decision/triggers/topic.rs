//! Always-escalate topics (cancellation, security incidents, legal or
//! regulatory complaints): from the upstream AI's topic or from the
//! customer's words. Hard: no stay vote outweighs it.

use serde_json::json;

use super::{Check, Context, Trigger, escalate};
use crate::config::TopicConfig;
use crate::decision::reasons::Code;
use crate::decision::vote::Routing;

/// The topic trigger.
pub struct Topic<'a>(pub &'a TopicConfig);

impl Trigger for Topic<'_> {
    fn name(&self) -> &'static str {
        "topic"
    }

    fn check(&self, ctx: &Context<'_>) -> Check {
        let topic = &ctx.conversation.topic;
        let labels: Vec<String> = [&topic.category, &topic.subcategory]
            .into_iter()
            .flatten()
            .map(|s| s.to_lowercase())
            .collect();
        // The most urgent matching topic wins, so an account compromise
        // mentioned alongside a cancellation routes to security.
        let mut found: Option<(&str, &crate::config::GuardedTopic, String)> = None;
        for (name, t) in &self.0.topics {
            let hit = labels
                .iter()
                .find(|l| t.categories.iter().any(|c| c.eq_ignore_ascii_case(l)))
                .map(|l| format!("the AI classified the topic as '{l}'"))
                .or_else(|| {
                    ctx.words.iter().find_map(|w| {
                        w.first_of(&t.phrases)
                            .map(|p| format!("the customer wrote '{p}'"))
                    })
                });
            if let Some(why) = hit
                && found
                    .as_ref()
                    .is_none_or(|(_, best, _)| t.priority > best.priority)
            {
                found = Some((name, t, why));
            }
        }
        let vote = found.as_ref().map(|(name, t, why)| {
            let mut v = escalate(
                Code::AlwaysEscalateTopic,
                format!("{name}: {why}"),
                t.priority,
            );
            v.hard = true;
            v.routing = Some(Routing {
                queue: Some(t.queue.clone()),
                skills: vec![format!("topic:{name}")],
                senior: false,
            });
            v
        });
        Check::new(
            ctx,
            vote,
            || {
                json!({
                    "category": topic.category,
                    "subcategory": topic.subcategory,
                    "matched_topic": found.as_ref().map(|(n, _, _)| n),
                    "evidence": found.as_ref().map(|(_, _, w)| w),
                })
            },
            || json!({ "topics": self.0.topics.keys().collect::<Vec<_>>() }),
        )
    }
}
