//! The customer's prior contacts, for the handoff context: their other
//! conversations in the last `context.prior_contacts_days`, with how each
//! went (escalated, resolved, reopened, CSAT), read from the decisions and
//! the outcome events.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row as _;

use super::Store;
use super::db::{Db, placeholders};
use crate::config::ContextConfig;
use crate::decision::context::{PriorContact, PriorContacts};

/// Decisions read at most per lookup: a customer with more in the window
/// is counted by what these cover.
const MAX_DECISIONS: i64 = 2000;

impl Db {
    /// The conversations of `customer` (as kept) decided in
    /// [`since`, `until`] (µs), other than `exclude`: how many, how many of
    /// them escalated, and the newest `max` with how they went.
    pub async fn prior_contacts(
        &self,
        customer: &str,
        exclude: &str,
        since: i64,
        until: i64,
        max: usize,
    ) -> Result<(u32, u32, Vec<PriorContact>), sqlx::Error> {
        let rows = sqlx::query(
            "SELECT conversation_id, decided_at, category, subcategory, action FROM decisions \
             WHERE customer_id = $1 AND decided_at >= $2 AND decided_at <= $3 \
             AND conversation_id <> $4 ORDER BY decided_at DESC LIMIT $5",
        )
        .bind(customer)
        .bind(since)
        .bind(until)
        .bind(exclude)
        .bind(MAX_DECISIONS)
        .fetch_all(&self.pool)
        .await?;
        // Newest first: the first row of a conversation is its latest.
        let mut order: Vec<String> = Vec::new();
        let mut seen: HashMap<String, PriorContact> = HashMap::new();
        for r in &rows {
            let id: String = r.try_get(0)?;
            let at: i64 = r.try_get(1)?;
            let category: Option<String> = r.try_get(2)?;
            let subcategory: Option<String> = r.try_get(3)?;
            let action: String = r.try_get(4)?;
            let contact = seen.entry(id.clone()).or_insert_with(|| {
                order.push(id.clone());
                PriorContact {
                    conversation_id: id,
                    first_at: DateTime::<Utc>::from_timestamp_micros(at).unwrap_or_default(),
                    category: match (category, subcategory) {
                        (Some(c), Some(s)) => Some(format!("{c}/{s}")),
                        (c, s) => c.or(s),
                    },
                    escalated: false,
                    resolved: false,
                    reopened: false,
                    csat: None,
                }
            });
            contact.escalated |= action == "escalate";
            if let Some(t) = DateTime::<Utc>::from_timestamp_micros(at) {
                contact.first_at = contact.first_at.min(t);
            }
        }
        let count = order.len() as u32;
        let escalated = seen.values().filter(|c| c.escalated).count() as u32;
        order.truncate(max);
        if !order.is_empty() {
            let sql = format!(
                "SELECT conversation_id, type, event FROM outcome_events \
                 WHERE conversation_id IN {} ORDER BY at, received_at",
                placeholders(self.backend, 1, order.len())
            );
            let mut q = sqlx::query(&sql);
            for id in &order {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let id: String = r.try_get(0)?;
                let kind: String = r.try_get(1)?;
                let Some(c) = seen.get_mut(&id) else { continue };
                match kind.as_str() {
                    "resolved" => c.resolved = true,
                    // Only a reopening after a resolution counts.
                    "reopened" if c.resolved => c.reopened = true,
                    "csat" => {
                        let body: String = r.try_get(2)?;
                        let event: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                        if let Some(score) = event["score"].as_u64() {
                            c.csat = u8::try_from(score).ok();
                        }
                    }
                    _ => {}
                }
            }
        }
        let contacts = order.iter().filter_map(|id| seen.remove(id)).collect();
        Ok((count, escalated, contacts))
    }
}

impl Store {
    /// The prior contacts of `customer_id` (as the request gives it) for the
    /// conversation `conversation_id` decided at `now`. `None` — never an
    /// error — when the lookup is off, the id is erased by masking, the
    /// database is not open, or it fails or is slower than
    /// `context.prior_contacts_timeout_ms`; a failure is logged.
    pub async fn prior_contacts(
        &self,
        customer_id: &str,
        conversation_id: &str,
        now: DateTime<Utc>,
        config: &ContextConfig,
    ) -> Option<PriorContacts> {
        if config.prior_contacts_days == 0 {
            return None;
        }
        let key = self.mask.as_kept("request.customer.id", customer_id)?;
        let db = self.db()?;
        let since = now - chrono::Duration::days(config.prior_contacts_days.into());
        let lookup = db.prior_contacts(
            &key,
            conversation_id,
            since.timestamp_micros(),
            now.timestamp_micros(),
            config.prior_contacts_max as usize,
        );
        let within = Duration::from_millis(config.prior_contacts_timeout_ms);
        match tokio::time::timeout(within, lookup).await {
            Ok(Ok((count, escalated, contacts))) => Some(PriorContacts {
                days: config.prior_contacts_days,
                count,
                escalated,
                contacts,
            }),
            Ok(Err(e)) => {
                tracing::warn!("prior contacts lookup failed; the context goes without: {e}");
                None
            }
            Err(_) => {
                tracing::warn!(
                    "prior contacts lookup took over {} ms; the context goes without",
                    config.prior_contacts_timeout_ms
                );
                None
            }
        }
    }
}
