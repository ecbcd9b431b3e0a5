//! One decision, end to end: input → signals → built-in triggers → plugin
//! votes → merge → decision. Synchronous and CPU-bound; the API runs it on
//! the blocking pool.

use std::time::Instant;

use crate::config::Config;
use crate::decision::Decision;
use crate::input::Conversation;
use crate::merge::merge;
use crate::plugin::{PluginSet, Runtime, to_wit_input};
use crate::signals::Signals;
use crate::triggers;

/// Decides on `conversation` with `config` and the plugins of `plugins`.
pub fn decide(
    conversation: Conversation,
    config: &Config,
    plugins: &PluginSet,
    runtime: &Runtime,
) -> Decision {
    let start = Instant::now();
    let signals = Signals::compute(&conversation);
    let mut votes = triggers::evaluate(&config.triggers, &conversation, &signals);
    if !plugins.active.is_empty() {
        let mut input = to_wit_input(&conversation, &signals);
        votes.extend(
            plugins
                .active
                .iter()
                .map(|p| p.evaluate(runtime, &mut input, &config.breaker)),
        );
    }
    let outcome = merge(&votes, &config.merge);
    Decision::new(
        conversation.id,
        votes,
        outcome,
        plugins.generation,
        start.elapsed().as_micros() as u64,
    )
}
