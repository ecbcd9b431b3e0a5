//! One decision, end to end: the `decision` pipeline with the plugins'
//! votes added before the merge. Synchronous and CPU-bound; the API runs it
//! on the blocking pool.

use std::time::{Duration, Instant};

use crate::config::Config;
use crate::decision::context::handoff;
use crate::decision::emotion::trajectory;
use crate::decision::input::Conversation;
use crate::decision::merge::{Action, merge};
use crate::decision::reading::Reading;
use crate::decision::reasons::{Code, Reason, Tag};
use crate::decision::route::route;
use crate::decision::settled::settled;
use crate::decision::signals::Signals;
use crate::decision::tier::{priority, tier};
use crate::decision::triggers::{self, Context};
use crate::decision::vote::Vote;
use crate::decision::{Decision, source::Source};
use crate::plugin::{PluginSet, Runtime, to_wit_input};

/// Decides on `conversation` with `config` and the plugins of `plugins`;
/// `explain` adds every built-in trigger's observations.
pub fn decide(
    conversation: &Conversation,
    config: &Config,
    plugins: &PluginSet,
    runtime: &Runtime,
    explain: bool,
) -> Decision {
    let start = Instant::now();
    let deadline = start + Duration::from_millis(config.decision.deadline_ms);
    let signals = Signals::compute(conversation);
    let readings: Vec<Reading> = conversation
        .customer_messages()
        .map(|m| Reading::new(&m.text, &config.triggers.scope))
        .collect();
    let emotions = trajectory(
        conversation,
        &signals,
        &readings,
        &config.triggers.sentiment,
    );
    let progress = settled(conversation, &readings, &emotions, config);
    let ctx = Context {
        conversation,
        signals: &signals,
        emotions: &emotions,
        readings: &readings,
        solved: &progress.solved,
        moved_on: &progress.moved_on,
        explain,
    };
    let (mut votes, reports) = triggers::evaluate(&config.triggers, &ctx, deadline);
    drop(readings);
    if !plugins.active.is_empty() {
        let mut input = to_wit_input(conversation, &signals);
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
        .map(|&i| reason(&votes[i], config))
        .collect();
    let context = handoff(
        conversation,
        &signals,
        emotions,
        &reports,
        config,
        outcome.action,
        &reasons,
    );
    let tier = tier(&outcome, &config.tiers);
    let priority = priority(&outcome);
    let route = route(outcome.routing, conversation, &config.routing);
    let re_evaluate_at = triggers::re_evaluate_at(conversation, &config.triggers.budget);

    Decision {
        decision_id: uuid::Uuid::now_v7().to_string(),
        conversation_id: conversation.id.clone(),
        action: outcome.action,
        escalate: outcome.action == Action::Escalate,
        tier,
        score: outcome.score,
        hard: outcome.hard,
        priority,
        route,
        reasons,
        context,
        re_evaluate_at,
        votes,
        explain: explain.then_some(reports),
        generation: plugins.generation,
        elapsed_us: start.elapsed().as_micros() as u64,
    }
}

/// A vote that carried the decision, as a reason: plugin codes namespaced
/// by the plugin, and tagged as the operator tagged them (a code Escalator
/// gave, such as a failure policy's `plugin_failed`, keeps its own tag).
fn reason(vote: &Vote, config: &Config) -> Reason {
    let builtin_tag = vote.code.map_or(Tag::Other, Code::tag);
    let (code, tag) = match &vote.source {
        Source::Plugin(name) => {
            let tag = match vote.code {
                Some(_) => builtin_tag,
                None => config
                    .plugins
                    .get(&**name)
                    .and_then(|p| p.reason_tags.get(&vote.reason))
                    .copied()
                    .unwrap_or(Tag::Other),
            };
            (format!("{name}/{}", vote.reason), tag)
        }
        Source::Builtin(_) => (vote.reason.clone(), builtin_tag),
    };
    Reason {
        source: vote.source.clone(),
        code,
        tag,
        detail: vote.detail.clone(),
    }
}
