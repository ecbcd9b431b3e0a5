//! Scores agents' first replies against the decision they follow. A reply
//! may arrive before its decision is written (another replica, the flush
//! interval), so replies are stored `pending` and scored here, when a
//! report is asked for and the decision is in the log.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use super::first_reply::{Level, ReplyContext, score};
use crate::store::Db;

/// Replies scored per round trip.
const PAGE: i64 = 500;

/// The most replies one report scores: a backlog (a store upgraded with
/// many replies, a burst) is worked off over several reports instead of
/// holding one up; the rest are reported `pending`.
pub const MAX_PER_REPORT: u64 = 5000;

/// Whether a background scoring round is running, so that batches arriving
/// together start one round, not one each.
static SCORING: AtomicBool = AtomicBool::new(false);

/// Scores pending replies in the background, after a batch of events that
/// carried some, so a report finds them scored. At most one round runs at
/// a time; a failure is left for the next round or report.
pub fn score_in_background(db: Db) {
    if SCORING.swap(true, Ordering::AcqRel) {
        return;
    }
    tokio::spawn(async move {
        if let Err(e) = score_pending(&db).await {
            tracing::warn!("scoring first replies failed; the next report retries: {e}");
        }
        SCORING.store(false, Ordering::Release);
    });
}

/// Scores pending replies whose conversation has a decision, at most
/// [`MAX_PER_REPORT`].
pub async fn score_pending(db: &Db) -> Result<u64, sqlx::Error> {
    let mut scored = 0;
    while scored < MAX_PER_REPORT {
        let page = db.pending_replies(PAGE).await?;
        if page.is_empty() {
            return Ok(scored);
        }
        for reply in &page {
            let record = db.reply_basis(&reply.conversation_id, reply.at).await?;
            let record: Value = record
                .and_then(|r| serde_json::from_str(&r).ok())
                .unwrap_or(Value::Null);
            let event: Value = serde_json::from_str(&reply.event).unwrap_or(Value::Null);
            let text = event["text"].as_str().unwrap_or_default();
            let (level, points) = judge(text, &record);
            let (agent, queue) = match (&reply.agent, &reply.queue) {
                (Some(a), Some(q)) => (Some(a.clone()), Some(q.clone())),
                (a, q) => {
                    let (owner, owner_queue) =
                        db.owner_at(&reply.conversation_id, reply.at).await?;
                    (a.clone().or(owner), q.clone().or(owner_queue))
                }
            };
            db.set_reply_score(
                &reply.event_id,
                level,
                points,
                agent.as_deref(),
                queue.as_deref(),
            )
            .await?;
            scored += 1;
        }
    }
    Ok(scored)
}

/// The level and points (0-3) of `text` against the stored `record`: the
/// customer's and the AI's messages of its request, and its topic.
fn judge(text: &str, record: &Value) -> (&'static str, i64) {
    let request = &record["request"];
    let said = |role: &str| -> Vec<&str> {
        request["messages"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .filter(|m| m["role"] == role)
                    .filter_map(|m| m["text"].as_str())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut terms: Vec<&str> = Vec::new();
    for key in ["category", "subcategory"] {
        if let Some(name) = request["topic"][key].as_str() {
            terms.extend(name.split(['-', '_', '/', ' ']).filter(|t| !t.is_empty()));
        }
    }
    let ctx = ReplyContext {
        customer: said("customer"),
        ai: said("ai"),
        category_terms: terms,
    };
    let s = score(text, &ctx);
    let points = if s.restart {
        0
    } else {
        i64::from(s.problem) + i64::from(s.category) + i64::from(s.ai_tried)
    };
    let level = match s.level {
        Level::Aware => "aware",
        Level::Generic => "generic",
        Level::Restart => "restart",
    };
    (level, points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reply_is_judged_against_the_stored_request() {
        let record = json!({"request": {
        "topic": {"category": "billing", "subcategory": "double-charge"},
        "messages": [
            {"role": "customer", "text": "I was charged twice for my subscription"},
            {"role": "ai", "text": "Let me check your invoices."}
        ]}});
        let (level, points) = judge("I see the double charge on your subscription", &record);
        assert_eq!(level, "aware");
        assert!(points >= 2, "{points}");
        assert_eq!(
            judge("Can you tell me what happened?", &record),
            ("restart", 0)
        );
        assert_eq!(judge("Hi, I'm Ana.", &Value::Null).0, "generic");
    }
}
