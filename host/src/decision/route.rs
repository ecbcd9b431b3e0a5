//! Routing hints for the human who takes over: the merged votes' queue,
//! skills and seniority, plus the customer's language (as a `lang:` skill),
//! time zone, and a preferred agent — the account manager, or an agent who
//! spoke to the customer recently.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::RoutingConfig;
use crate::decision::input::Conversation;
use crate::decision::vote::Routing;

/// Why an agent is preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PreferredBecause {
    /// The customer record names them as account manager.
    AccountManager,
    /// They spoke to the customer within the configured number of days.
    RecentContact,
}

/// A preferred agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PreferredAgent {
    /// The agent, as the customer record names them.
    pub agent: String,
    /// Why.
    pub because: PreferredBecause,
}

/// The routing hints of a decision.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Route {
    /// The queue to land in.
    pub queue: Option<String>,
    /// Skills the agent needs, sorted; includes `lang:<language>`.
    pub skills: Vec<String>,
    /// A senior de-escalation agent is wanted.
    pub senior: bool,
    /// The customer's language.
    pub language: Option<String>,
    /// The customer's time zone.
    pub timezone: Option<String>,
    /// The agent the customer knows, when there is one.
    pub preferred_agent: Option<PreferredAgent>,
}

/// Builds the route from the merged hints and the customer record.
pub fn route(hints: Routing, conversation: &Conversation, config: &RoutingConfig) -> Route {
    let customer = &conversation.customer;
    let mut skills: BTreeSet<String> = hints.skills.into_iter().collect();
    if let Some(lang) = &customer.language {
        skills.insert(format!("lang:{lang}"));
    }
    Route {
        queue: hints.queue,
        skills: skills.into_iter().collect(),
        senior: hints.senior,
        language: customer.language.clone(),
        timezone: customer.timezone.clone(),
        preferred_agent: preferred_agent(conversation, config),
    }
}

fn preferred_agent(conversation: &Conversation, config: &RoutingConfig) -> Option<PreferredAgent> {
    let attrs = &conversation.customer.attributes;
    let named = |key: &str| attrs.get(key).map(|s| s.trim()).filter(|s| !s.is_empty());
    if let Some(manager) = named(&config.account_manager_attribute) {
        return Some(PreferredAgent {
            agent: manager.to_owned(),
            because: PreferredBecause::AccountManager,
        });
    }
    let agent = named(&config.recent_agent_attribute)?;
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(named(&config.recent_agent_at_attribute)?)
        .ok()?
        .with_timezone(&Utc);
    let age = conversation.now - at;
    (age >= chrono::Duration::zero()
        && age <= chrono::Duration::days(i64::from(config.recent_agent_days)))
    .then(|| PreferredAgent {
        agent: agent.to_owned(),
        because: PreferredBecause::RecentContact,
    })
}
