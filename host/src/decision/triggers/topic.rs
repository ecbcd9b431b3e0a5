//! Always-escalate topics (cancellation, security incidents, legal or
//! regulatory complaints): from the upstream AI's topic or from the
//! customer's words, in scope — not quoted, not negated, and not explained
//! away in the same message by one of the topic's `unless` phrases ("cancel
//! the order so I can re-order"). Raised outright (or as a threat) it is
//! hard: no stay vote outweighs it. Only asked about hypothetically ("what
//! happens to my data if I cancel?"), it offers a human.

use serde_json::json;

use super::{Check, Context, Trigger, escalate};
use crate::config::{GuardedTopic, TopicConfig};
use crate::decision::reading::Mood;
use crate::decision::reasons::Code;
use crate::decision::vote::Routing;

/// The topic trigger.
pub struct Topic<'a>(pub &'a TopicConfig);

/// What was found of one topic.
struct Hit<'a> {
    name: &'a str,
    topic: &'a GuardedTopic,
    why: String,
    asked: bool,
}

impl Topic<'_> {
    /// The evidence for topic `t`: the AI's classification, or the
    /// customer's firmest mention of it.
    fn evidence(
        &self,
        ctx: &Context<'_>,
        t: &GuardedTopic,
        labels: &[String],
    ) -> Option<(String, bool)> {
        // A topic raised before the customer's latest message, which says
        // the problem is solved, is only offered a human.
        let latest = ctx.readings.len().saturating_sub(1);
        let settled = ctx.solved.last().copied().unwrap_or(false);
        let explained = ctx.readings.iter().any(|r| r.mentions(&t.unless));
        if let Some(l) = labels
            .iter()
            .find(|l| t.categories.iter().any(|c| c.eq_ignore_ascii_case(l)))
            .filter(|_| !explained)
        {
            return Some((format!("the AI classified the topic as '{l}'"), settled));
        }
        let mut best: Option<(String, Mood)> = None;
        for (i, reading) in ctx.readings.iter().enumerate() {
            if reading.mentions(&t.unless) {
                continue;
            }
            let direct = reading
                .find(&t.phrases)
                .map(|f| (format!("the customer wrote '{}'", f.phrase), f.mood));
            let paired = t.together.iter().find_map(|pair| {
                let about = reading.find(&pair.about)?;
                let with = reading.find(&pair.with)?;
                Some((
                    format!(
                        "the customer wrote '{}' with '{}'",
                        about.phrase, with.phrase
                    ),
                    about.mood.min(with.mood),
                ))
            });
            for (why, mut mood) in direct.into_iter().chain(paired) {
                if settled && i < latest {
                    mood = Mood::Asked;
                }
                if best.as_ref().is_none_or(|(_, m)| mood > *m) {
                    best = Some((why, mood));
                }
            }
        }
        best.map(|(why, mood)| (why, mood == Mood::Asked))
    }
}

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
        // A topic raised outright wins over one asked about; then the most
        // urgent, so an account compromise mentioned alongside a
        // cancellation routes to security.
        let mut found: Option<Hit<'_>> = None;
        for (name, t) in &self.0.topics {
            let Some((why, asked)) = self.evidence(ctx, t, &labels) else {
                continue;
            };
            let better = found.as_ref().is_none_or(|best| {
                (best.asked && !asked) || (best.asked == asked && t.priority > best.topic.priority)
            });
            if better {
                found = Some(Hit {
                    name,
                    topic: t,
                    why,
                    asked,
                });
            }
        }
        let vote = found.as_ref().map(|hit| {
            let routing = Some(Routing {
                queue: Some(hit.topic.queue.clone()),
                skills: vec![format!("topic:{}", hit.name)],
                senior: false,
            });
            if hit.asked {
                let mut v = escalate(
                    Code::TopicQuestion,
                    format!("{}: asked about ({})", hit.name, hit.why),
                    hit.topic.priority / 2,
                );
                v.weight = 0.5;
                v.routing = routing;
                v
            } else {
                let mut v = escalate(
                    Code::AlwaysEscalateTopic,
                    format!("{}: {}", hit.name, hit.why),
                    hit.topic.priority,
                );
                v.hard = true;
                v.routing = routing;
                v
            }
        });
        Check::new(
            ctx,
            vote,
            || {
                json!({
                    "category": topic.category,
                    "subcategory": topic.subcategory,
                    "matched_topic": found.as_ref().map(|h| h.name),
                    "evidence": found.as_ref().map(|h| &h.why),
                    "asked_only": found.as_ref().map(|h| h.asked),
                })
            },
            || json!({ "topics": self.0.topics.keys().collect::<Vec<_>>() }),
        )
    }
}
