//! An upset customer: the latest message is angry, or several messages in a
//! row are frustrated or worse. Either asks for a senior de-escalation agent,
//! because an upset customer handed to the next free agent tends to get more
//! upset. A latest message that is only frustrated offers a human (its vote
//! weighs `offer_weight`). Only the latest messages count: a customer who
//! was upset and has calmed down stays.

use serde_json::json;

use super::{Check, Context, Trigger, escalate};
use crate::config::SentimentConfig;
use crate::decision::emotion::Emotion;
use crate::decision::reasons::Code;
use crate::decision::vote::Routing;

/// Priority of an angry customer: above routine work, below policy
/// escalations such as security incidents.
const PRIORITY_ANGRY: u8 = 70;
/// Priority of a frustration streak.
const PRIORITY_STREAK: u8 = 60;

/// The sentiment trigger.
pub struct Sentiment<'a>(pub &'a SentimentConfig);

impl Trigger for Sentiment<'_> {
    fn name(&self) -> &'static str {
        "sentiment"
    }

    fn check(&self, ctx: &Context<'_>) -> Check {
        let c = self.0;
        let latest = ctx.emotions.last();
        let streak = ctx
            .emotions
            .iter()
            .rev()
            .take_while(|p| p.label >= Emotion::Frustrated)
            .count();
        // A customer who says it is solved (with no sign of being upset) is
        // not upset now, whatever VADER reads into "I was about to panic".
        let latest = latest.filter(|_| !ctx.solved.last().copied().unwrap_or(false));
        let vote = match latest {
            Some(p) if p.label == Emotion::Angry => Some(escalate(
                Code::NegativeSentiment,
                format!(
                    "the customer's latest message reads as angry (VADER {:.2}{}{})",
                    p.score,
                    if p.cues.is_empty() { "" } else { "; " },
                    p.cues.join(", ")
                ),
                PRIORITY_ANGRY,
            )),
            Some(_) if streak >= c.streak as usize => Some(escalate(
                Code::FrustrationStreak,
                format!("the customer's last {streak} messages read as frustrated or angry"),
                PRIORITY_STREAK,
            )),
            // Unhappy but not angry: a human is offered, not imposed.
            Some(p) if p.label == Emotion::Frustrated => {
                let mut v = escalate(
                    Code::Frustrated,
                    format!(
                        "the customer's latest message reads as frustrated (VADER {:.2}{}{})",
                        p.score,
                        if p.cues.is_empty() { "" } else { "; " },
                        p.cues.join(", ")
                    ),
                    PRIORITY_STREAK / 2,
                );
                v.weight = c.offer_weight;
                Some(v)
            }
            _ => None,
        }
        .map(|mut v| {
            v.routing = Some(Routing {
                queue: None,
                skills: vec!["de-escalation".to_owned()],
                senior: true,
            });
            v
        });
        Check::new(
            ctx,
            vote,
            || {
                json!({
                    "latest": latest.map(|p| json!({"score": p.score, "label": p.label, "cues": p.cues})),
                    "frustrated_streak": streak,
                })
            },
            || {
                json!({
                    "angry_at": c.angry_at,
                    "frustrated_at": c.frustrated_at,
                    "streak": c.streak,
                })
            },
        )
    }
}
