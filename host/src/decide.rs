//! One decision, end to end: input → signals (sentiment, emotional
//! trajectory) → built-in triggers → plugin votes → merge → tier, priority,
//! route, reasons and context. Synchronous and CPU-bound; the API runs it on
//! the blocking pool.

use std::time::{Duration, Instant};

use escalator_sdk::text::Words;

use crate::config::Config;
use crate::context::handoff;
use crate::decision::{Decision, Reason};
use crate::emotion::trajectory;
use crate::input::Conversation;
use crate::merge::merge;
use crate::plugin::{PluginSet, Runtime, to_wit_input};
use crate::reasons::{Tag, builtin_tag};
use crate::route::route;
use crate::signals::Signals;
use crate::tier::{priority, tier};
use crate::triggers::{self, Context};

/// Decides on `conversation` with `config` and the plugins of `plugins`;
/// `explain` adds every built-in trigger's observations.
pub fn decide(
    conversation: Conversation,
    config: &Config,
    plugins: &PluginSet,
    runtime: &Runtime,
    explain: bool,
) -> Decision {
    let start = Instant::now();
    let deadline = start + Duration::from_millis(config.decision.deadline_ms);
    let signals = Signals::compute(&conversation);
    let words: Vec<Words<'_>> = conversation
        .customer_messages()
        .map(|m| Words::new(&m.text))
        .collect();
    let emotions = trajectory(&conversation, &signals, &words, &config.triggers.sentiment);
    let ctx = Context {
        conversation: &conversation,
        signals: &signals,
        emotions: &emotions,
        words: &words,
    };
    let (mut votes, reports) = triggers::evaluate(&config.triggers, &ctx, deadline);
    if !plugins.active.is_empty() {
        let mut input = to_wit_input(&conversation, &signals);
        votes.extend(
            plugins
                .active
                .iter()
                .map(|p| p.evaluate(runtime, &mut input, &config.breaker, deadline)),
        );
    }
    let outcome = merge(&votes, &config.merge);

    let reasons: Vec<Reason> = outcome
        .carried_by
        .iter()
        .map(|&i| {
            let v = &votes[i];
            let (code, tag) = match v.source.strip_prefix("plugin:") {
                Some(name) => {
                    let tag = if v.error.is_some() {
                        builtin_tag(&v.reason)
                    } else {
                        config
                            .plugins
                            .get(name)
                            .and_then(|p| p.reason_tags.get(&v.reason))
                            .copied()
                            .unwrap_or(Tag::Other)
                    };
                    (format!("{name}/{}", v.reason), tag)
                }
                None => (v.reason.clone(), builtin_tag(&v.reason)),
            };
            Reason {
                source: v.source.clone(),
                code,
                tag,
                detail: v.detail.clone(),
            }
        })
        .collect();
    let codes: Vec<String> = reasons.iter().map(|r| r.code.clone()).collect();
    let context = handoff(
        &conversation,
        &signals,
        &emotions,
        &reports,
        config,
        outcome.action,
        &codes,
    );

    Decision {
        decision_id: uuid::Uuid::now_v7().to_string(),
        conversation_id: conversation.id.clone(),
        action: outcome.action,
        escalate: outcome.action == crate::merge::Action::Escalate,
        tier: tier(&outcome, &config.tiers),
        score: outcome.score,
        hard: outcome.hard,
        priority: priority(&outcome),
        route: route(outcome.routing, &conversation, &config.routing),
        reasons,
        context,
        re_evaluate_at: triggers::re_evaluate_at(&conversation, &config.triggers.budget),
        votes,
        explain: explain.then_some(reports),
        generation: plugins.generation,
        elapsed_us: start.elapsed().as_micros() as u64,
    }
}
