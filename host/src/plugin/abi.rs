//! The interface versions a plugin may be built against, and calling each.
//! The host's own types are those of the current version; a plugin built
//! against an older one is handed the older view of the same input (for
//! 0.1: no ownership, no events or attachments on messages), and its answers
//! are read back into the current types.
//!
//! 0.3 changed only what `describe` returns (secret settings, declared
//! reads): the input, the settings and the vote of 0.2 are the same WIT
//! types. A 0.2 plugin's `evaluate` and `validate-settings` are therefore
//! called with the current types as they are, type-checked by wasmtime
//! against the plugin's own (structurally, by field name and type), and not
//! copied; only its `describe` is converted.

use wasmtime::Store;
use wasmtime::component::InstancePre;

use super::bindings::{types as wit, v0_1, v0_2, v0_3};
use super::interface::Version;
use super::sandbox::PluginState;

/// A component linked and ready to instantiate, by interface version.
pub enum RulePre {
    /// Built against 0.1.
    V0_1(v0_1::RulePre<PluginState>),
    /// Built against 0.2.
    V0_2(v0_2::RulePre<PluginState>),
    /// Built against the current version.
    V0_3(v0_3::RulePre<PluginState>),
}

/// An instance of a plugin, by interface version.
pub enum Rule {
    /// Built against 0.1.
    V0_1(v0_1::Rule),
    /// Built against 0.2.
    V0_2(v0_2::Rule),
    /// Built against the current version.
    V0_3(v0_3::Rule),
}

impl RulePre {
    /// Checks the component's exports against the world of `version` (the
    /// current one when the component names none).
    pub fn new(
        pre: InstancePre<PluginState>,
        version: Option<Version>,
    ) -> wasmtime::Result<RulePre> {
        Ok(match version {
            Some(v) if (v.major, v.minor) == (0, 1) => RulePre::V0_1(v0_1::RulePre::new(pre)?),
            Some(v) if (v.major, v.minor) == (0, 2) => RulePre::V0_2(v0_2::RulePre::new(pre)?),
            _ => RulePre::V0_3(v0_3::RulePre::new(pre)?),
        })
    }

    /// A fresh instance.
    pub fn instantiate(&self, store: &mut Store<PluginState>) -> wasmtime::Result<Rule> {
        Ok(match self {
            RulePre::V0_1(pre) => Rule::V0_1(pre.instantiate(&mut *store)?),
            RulePre::V0_2(pre) => Rule::V0_2(pre.instantiate(&mut *store)?),
            RulePre::V0_3(pre) => Rule::V0_3(pre.instantiate(&mut *store)?),
        })
    }
}

impl Rule {
    /// `describe`, in current types.
    pub fn call_describe(
        &self,
        store: &mut Store<PluginState>,
    ) -> wasmtime::Result<wit::PluginInfo> {
        match self {
            Rule::V0_3(r) => r.call_describe(store),
            Rule::V0_2(r) => r.call_describe(store).map(info_from_v0_2),
            Rule::V0_1(r) => r.call_describe(store).map(|i| wit::PluginInfo {
                name: i.name,
                version: i.version,
                description: i.description,
                settings: i.settings.into_iter().map(spec_from_v0_1).collect(),
                reads: None,
            }),
        }
    }

    /// `validate-settings`.
    pub fn call_validate_settings(
        &self,
        store: &mut Store<PluginState>,
        settings: &[wit::Setting],
    ) -> wasmtime::Result<Result<(), String>> {
        match self {
            Rule::V0_3(r) => r.call_validate_settings(store, settings),
            Rule::V0_2(r) => {
                let f = *r.func_validate_settings().func();
                let (result,) = f
                    .typed::<(&[wit::Setting],), (Result<(), String>,)>(&*store)?
                    .call(&mut *store, (settings,))?;
                Ok(result)
            }
            Rule::V0_1(r) => {
                let old: Vec<_> = settings.iter().map(setting_to_v0_1).collect();
                r.call_validate_settings(store, &old)
            }
        }
    }

    /// `evaluate`, its vote in current types. A 0.1 plugin is handed the
    /// 0.1 view of `input`, copied for the call.
    pub fn call_evaluate(
        &self,
        store: &mut Store<PluginState>,
        input: &wit::Input,
    ) -> wasmtime::Result<Result<wit::Vote, String>> {
        match self {
            Rule::V0_3(r) => r.call_evaluate(store, input),
            Rule::V0_2(r) => {
                let f = *r.func_evaluate().func();
                let (vote,) = f
                    .typed::<(&wit::Input,), (Result<wit::Vote, String>,)>(&*store)?
                    .call(&mut *store, (input,))?;
                Ok(vote)
            }
            Rule::V0_1(r) => Ok(r
                .call_evaluate(store, &input_to_v0_1(input))?
                .map(vote_from_v0_1)),
        }
    }
}

use v0_1::escalator::rules::types as old;

fn value_to_v0_1(v: &wit::SettingValue) -> old::SettingValue {
    match v {
        wit::SettingValue::Flag(b) => old::SettingValue::Flag(*b),
        wit::SettingValue::Integer(i) => old::SettingValue::Integer(*i),
        wit::SettingValue::Number(x) => old::SettingValue::Number(*x),
        wit::SettingValue::Text(t) => old::SettingValue::Text(t.clone()),
        wit::SettingValue::TextList(l) => old::SettingValue::TextList(l.clone()),
    }
}

fn value_from_v0_1(v: old::SettingValue) -> wit::SettingValue {
    match v {
        old::SettingValue::Flag(b) => wit::SettingValue::Flag(b),
        old::SettingValue::Integer(i) => wit::SettingValue::Integer(i),
        old::SettingValue::Number(x) => wit::SettingValue::Number(x),
        old::SettingValue::Text(t) => wit::SettingValue::Text(t),
        old::SettingValue::TextList(l) => wit::SettingValue::TextList(l),
    }
}

fn setting_to_v0_1(s: &wit::Setting) -> old::Setting {
    old::Setting {
        name: s.name.clone(),
        value: value_to_v0_1(&s.value),
    }
}

fn spec_from_v0_1(s: old::SettingSpec) -> wit::SettingSpec {
    wit::SettingSpec {
        name: s.name,
        kind: match s.kind {
            old::SettingType::Flag => wit::SettingType::Flag,
            old::SettingType::Integer => wit::SettingType::Integer,
            old::SettingType::Number => wit::SettingType::Number,
            old::SettingType::Text => wit::SettingType::Text,
            old::SettingType::TextList => wit::SettingType::TextList,
        },
        default: s.default.map(value_from_v0_1),
        description: s.description,
        secret: false,
    }
}

/// A 0.2 `describe`: no setting is secret (the operator may still make one
/// so), and the plugin reads everything.
fn info_from_v0_2(i: v0_2::escalator::rules::types::PluginInfo) -> wit::PluginInfo {
    use v0_2::escalator::rules::types as v2;
    wit::PluginInfo {
        name: i.name,
        version: i.version,
        description: i.description,
        settings: i
            .settings
            .into_iter()
            .map(|s| wit::SettingSpec {
                name: s.name,
                kind: match s.kind {
                    v2::SettingType::Flag => wit::SettingType::Flag,
                    v2::SettingType::Integer => wit::SettingType::Integer,
                    v2::SettingType::Number => wit::SettingType::Number,
                    v2::SettingType::Text => wit::SettingType::Text,
                    v2::SettingType::TextList => wit::SettingType::TextList,
                },
                default: s.default.map(|v| match v {
                    v2::SettingValue::Flag(b) => wit::SettingValue::Flag(b),
                    v2::SettingValue::Integer(i) => wit::SettingValue::Integer(i),
                    v2::SettingValue::Number(x) => wit::SettingValue::Number(x),
                    v2::SettingValue::Text(t) => wit::SettingValue::Text(t),
                    v2::SettingValue::TextList(l) => wit::SettingValue::TextList(l),
                }),
                description: s.description,
                secret: false,
            })
            .collect(),
        reads: None,
    }
}

fn attributes_to_v0_1(a: &[wit::Attribute]) -> Vec<old::Attribute> {
    a.iter()
        .map(|a| old::Attribute {
            key: a.key.clone(),
            value: a.value.clone(),
        })
        .collect()
}

/// The 0.1 view of an input: the same conversation without what 0.2 added.
fn input_to_v0_1(i: &wit::Input) -> old::Input {
    let c = &i.conversation;
    old::Input {
        conversation: old::Conversation {
            id: c.id.clone(),
            channel: c.channel.clone(),
            messages: c
                .messages
                .iter()
                .map(|m| old::Message {
                    role: match m.role {
                        wit::Role::Customer => old::Role::Customer,
                        wit::Role::Ai => old::Role::Ai,
                        wit::Role::Agent => old::Role::Agent,
                        wit::Role::System => old::Role::System,
                    },
                    text: m.text.clone(),
                    at_ms: m.at_ms,
                    ai: m.ai.as_ref().map(|a| old::AiTurn {
                        confidence: a.confidence,
                        intent: a.intent.clone(),
                        outcome: a.outcome.clone(),
                    }),
                })
                .collect(),
            attributes: attributes_to_v0_1(&c.attributes),
        },
        customer: old::Customer {
            id: i.customer.id.clone(),
            tier: i.customer.tier.clone(),
            account_rank: i.customer.account_rank,
            language: i.customer.language.clone(),
            timezone: i.customer.timezone.clone(),
            attributes: attributes_to_v0_1(&i.customer.attributes),
        },
        topic: old::Topic {
            category: i.topic.category.clone(),
            subcategory: i.topic.subcategory.clone(),
        },
        settings: i.settings.iter().map(setting_to_v0_1).collect(),
        signals: old::Signals {
            message_sentiment: i.signals.message_sentiment.clone(),
            latest_ai_confidence: i.signals.latest_ai_confidence,
            lowest_ai_confidence: i.signals.lowest_ai_confidence,
            elapsed_ms: i.signals.elapsed_ms,
            customer_turns: i.signals.customer_turns,
            now_ms: i.signals.now_ms,
        },
    }
}

fn vote_from_v0_1(v: old::Vote) -> wit::Vote {
    wit::Vote {
        verdict: match v.verdict {
            old::Verdict::Escalate => wit::Verdict::Escalate,
            old::Verdict::Stay => wit::Verdict::Stay,
            old::Verdict::Abstain => wit::Verdict::Abstain,
        },
        weight: v.weight,
        hard: v.hard,
        reason: v.reason,
        detail: v.detail,
        priority: v.priority,
        routing: v.routing.map(|r| wit::Routing {
            queue: r.queue,
            skills: r.skills,
            senior: r.senior,
        }),
    }
}
