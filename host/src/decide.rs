//! One decision, end to end: the `decision` pipeline with the plugins'
//! votes added before the merge. Synchronous and CPU-bound; the API runs it
//! on the blocking pool.

use std::time::{Duration, Instant};

use crate::config::Config;
use crate::decision::context::handoff;
use crate::decision::emotion::trajectory;
use crate::decision::input::{Conversation, Role};
use crate::decision::merge::{Action, merge, merge_handback};
use crate::decision::ownership::{Owner, judged};
use crate::decision::reading::Reading;
use crate::decision::reasons::{Code, Reason, Tag};
use crate::decision::response::OwnershipState;
use crate::decision::route::route;
use crate::decision::settled::settled;
use crate::decision::signals::Signals;
use crate::decision::story::customer_statement;
use crate::decision::tier::{priority, tier};
use crate::decision::triggers::{self, Context, Handback};
use crate::decision::vote::Vote;
use crate::decision::{Decision, source::Source};
use crate::plugin::{PluginSet, Runtime, to_wit_input};

/// Decides on `conversation` with `config` and the plugins of `plugins`;
/// `explain` adds every built-in trigger's observations.
///
/// While the AI owns the conversation the built-in triggers judge its
/// current segment (the messages since the AI took it or got it back) and
/// the answer is `escalate`, `offer` or `stay`; while a human owns it they
/// judge the human stretch, and the answer is `hand_back` or
/// `stay_with_human`. Plugins and the context see the whole conversation.
pub fn decide(
    conversation: &Conversation,
    config: &Config,
    plugins: &PluginSet,
    runtime: &Runtime,
    explain: bool,
) -> Decision {
    let start = Instant::now();
    let deadline = start + Duration::from_millis(config.decision.deadline_ms);
    let ownership = &conversation.ownership;
    let human = ownership.owner == Owner::Human;
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
    let statement = customer_statement(conversation, &readings, &config.triggers.confidence);

    let door = Handback {
        config: &config.handback,
        confidence: &config.triggers.confidence,
        ownership,
    };
    // The part the triggers judge, and its per-customer-message facts;
    // the readings are freed before the plugins run.
    let (mut votes, reports, re_evaluate_at) = {
        let from = ownership.judged_from();
        let view = judged(conversation, from);
        let skip = conversation.messages[..from]
            .iter()
            .filter(|m| m.role == Role::Customer)
            .count();
        let view_readings = &readings[skip..];
        // A segment is read on its own: a customer repeating, after a
        // hand-back, what they said before it is not repeating themselves
        // to the AI, and "thanks, that worked" said to a human closes
        // nothing the AI holds. Sentiment is taken, not scored again.
        let (view_signals, view_emotions, progress) = if from > 0 {
            let s = signals.since(&view, from);
            let e = trajectory(&view, &s, view_readings, &config.triggers.sentiment);
            let p = settled(&view, view_readings, &e, config);
            (Some(s), Some(e), p)
        } else {
            (
                None,
                None,
                settled(conversation, &readings, &emotions, config),
            )
        };
        let ctx = Context {
            conversation: &view,
            signals: view_signals.as_ref().unwrap_or(&signals),
            emotions: view_emotions.as_deref().unwrap_or(&emotions),
            readings: view_readings,
            solved: &progress.solved,
            moved_on: &progress.moved_on,
            explain,
            owner: ownership.owner,
        };
        let (mut votes, mut reports) = triggers::evaluate(&config.triggers, &ctx, deadline);
        if human {
            let (vote, report) = triggers::run(&door, 1.0, &ctx, deadline);
            votes.push(vote);
            reports.push(report);
        }
        let re_evaluate_at = if human {
            None
        } else {
            triggers::re_evaluate_at(&view, &config.triggers.budget)
        };
        (votes, reports, re_evaluate_at)
    };
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
    let outcome = if human {
        merge_handback(&votes, config.handback.threshold)
    } else {
        merge(&votes, &config.merge)
    };
    let reasons: Vec<Reason> = outcome
        .carried_by
        .iter()
        .map(|&i| reason(&votes[i], config))
        .collect();
    let flagged = door.bounced();
    let context = handoff(
        conversation,
        &signals,
        emotions,
        &reports,
        config,
        outcome.action,
        &reasons,
        statement,
    );
    let tier = tier(&outcome, &config.tiers);
    let priority = priority(&outcome);
    let mut route = route(outcome.routing, conversation, &config.routing);
    // A conversation that bounced goes to someone senior, whoever gets it.
    route.senior |= flagged && !matches!(outcome.action, Action::Stay | Action::HandBack);

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
        ownership: OwnershipState::of(ownership, flagged),
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
