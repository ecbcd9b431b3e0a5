//! One decision, end to end: the `decision` pipeline with the plugins'
//! votes added before the merge. Synchronous and CPU-bound; the API runs it
//! on the blocking pool.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::{Config, PluginMode};
use crate::decision::context::handoff;
use crate::decision::emotion::{EmotionPoint, trajectory};
use crate::decision::input::{Conversation, Role};
use crate::decision::memo::reading_of;
use crate::decision::merge::{Action, Outcome, merge, merge_handback};
use crate::decision::ownership::{Owner, judged};
use crate::decision::reading::Reading;
use crate::decision::reasons::{Code, Reason, Tag};
use crate::decision::response::{OwnershipState, Shadow};
use crate::decision::route::route;
use crate::decision::settled::settled;
use crate::decision::signals::Signals;
use crate::decision::story::{Statement, customer_statement};
use crate::decision::tier::{priority, tier};
use crate::decision::triggers::{self, Context, Handback, Report};
use crate::decision::vote::Vote;
use crate::decision::{Decision, source::Source};
use crate::plugin::fan_out::{Call, evaluate_all};
use crate::plugin::{Entropy, PluginSet, Runtime, to_wit_input};

/// Decides on `conversation` with `config` and the plugins of `plugins`;
/// `explain` adds every built-in trigger's observations. The decision gets
/// a fresh id.
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
    runtime: &Arc<Runtime>,
    explain: bool,
) -> Decision {
    let id = uuid::Uuid::now_v7().to_string();
    decide_as(id, conversation, config, plugins, runtime, explain)
}

/// [`decide`] as decision `decision_id`. The id seeds the plugins' random
/// numbers and the conversation's `now` is their clock, so deciding a
/// logged request again under its logged id gives the same votes: this is
/// what replay runs.
pub fn decide_as(
    decision_id: String,
    conversation: &Conversation,
    config: &Config,
    plugins: &PluginSet,
    runtime: &Arc<Runtime>,
    explain: bool,
) -> Decision {
    let start = Instant::now();
    let deadline = start + Duration::from_millis(config.decision.deadline_ms);
    let ownership = &conversation.ownership;
    let human = ownership.owner == Owner::Human;
    let signals = Signals::compute(conversation);
    let judged = judge(conversation, &signals, config, explain, deadline);
    let Judged {
        mut votes,
        reports,
        re_evaluate_at,
        emotions,
        statement,
        flagged,
    } = judged;
    let builtins = votes.len();
    // Every plugin is called at once, side by side; enforced plugins are
    // claimed first, so time a shadow rule takes can never cost an
    // enforced one its turn within the decision's deadline.
    let entropy = Entropy::of(&decision_id, conversation.now);
    let calls: Vec<Call> = plugins
        .active
        .iter()
        .map(|p| Call {
            plugin: p,
            shadow: p.config.mode == PluginMode::Shadow,
        })
        .collect();
    let mut shadow_votes = Vec::new();
    if !calls.is_empty() {
        let input = to_wit_input(conversation, &signals);
        let plugin_votes =
            evaluate_all(&calls, runtime, input, &config.breaker, deadline, &entropy);
        for (call, mut vote) in calls.iter().zip(plugin_votes) {
            if call.shadow {
                vote.shadow = true;
                shadow_votes.push(vote);
            } else {
                votes.push(vote);
            }
        }
    }
    let enforced = votes.len();
    let outcome = merged(&votes, config, human);
    let reasons: Vec<Reason> = outcome
        .carried_by
        .iter()
        .map(|&i| reason(&votes[i], config))
        .collect();

    let shadow_rules = config.shadow.as_deref();
    // The shadow copy of the triggers votes only when it differs.
    let shadow_judged = shadow_rules
        .filter(|s| s.triggers_changed)
        .map(|s| judge(conversation, &signals, &s.rules, false, deadline));
    votes.extend(shadow_votes);

    let shadow = (shadow_rules.is_some() || enforced < votes.len()).then(|| {
        let rules = shadow_rules.map_or(config, |s| &s.rules);
        let (would_be, trigger_votes): (Vec<Vote>, Vec<Vote>) = match shadow_judged {
            // The shadow copy's triggers vote in place of the enforced ones.
            Some(j) => (
                j.votes.iter().chain(&votes[builtins..]).cloned().collect(),
                j.votes,
            ),
            None => (votes.clone(), Vec::new()),
        };
        let outcome = merged(&would_be, rules, human);
        Shadow {
            action: outcome.action,
            tier: tier(&outcome, &rules.tiers),
            priority: priority(&outcome),
            score: outcome.score,
            reasons: outcome
                .carried_by
                .iter()
                .map(|&i| reason(&would_be[i], config))
                .collect(),
            flipped: false,
            trigger_votes,
        }
    });

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
        decision_id,
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
        shadow: shadow.map(|s| Shadow {
            flipped: s.action != outcome.action,
            ..s
        }),
        generation: plugins.generation,
        elapsed_us: start.elapsed().as_micros() as u64,
    }
}

/// What the built-in rules of one configuration make of a conversation.
struct Judged {
    votes: Vec<Vote>,
    reports: Vec<Report>,
    re_evaluate_at: Option<DateTime<Utc>>,
    emotions: Vec<EmotionPoint>,
    statement: Option<Statement>,
    flagged: bool,
}

/// The built-in triggers of `config` on `conversation` (and, while a human
/// owns it, the hand-back door).
fn judge(
    conversation: &Conversation,
    signals: &Signals,
    config: &Config,
    explain: bool,
    deadline: Instant,
) -> Judged {
    let ownership = &conversation.ownership;
    let human = ownership.owner == Owner::Human;
    let readings: Vec<Arc<Reading>> = conversation
        .customer_messages()
        .map(|m| reading_of(&m.text, &config.triggers.scope))
        .collect();
    let emotions = trajectory(conversation, signals, &readings, &config.triggers.sentiment);
    let statement = customer_statement(conversation, &readings, &config.triggers.confidence);

    let door = Handback {
        config: &config.handback,
        confidence: &config.triggers.confidence,
        ownership,
    };
    // The part the triggers judge, and its per-customer-message facts.
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
        signals: view_signals.as_ref().unwrap_or(signals),
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
    Judged {
        votes,
        reports,
        re_evaluate_at,
        emotions,
        statement,
        flagged: door.bounced(),
    }
}

/// The merge that answers the question of the moment: escalate, offer or
/// stay while the AI owns the conversation; hand back or keep while a human
/// does.
fn merged(votes: &[Vote], config: &Config, human: bool) -> Outcome {
    if human {
        merge_handback(votes, config.handback.threshold)
    } else {
        merge(votes, &config.merge)
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
