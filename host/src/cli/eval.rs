//! `escalator eval`: one plugin, one conversation, the vote as JSON.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::Context;
use serde_json::json;

use super::load;
use crate::decision::input::Conversation;
use crate::decision::signals::Signals;
use crate::plugin::{Entropy, alone, to_wit_input};

/// Runs `eval`.
pub fn run(
    path: &Path,
    conversation: &Path,
    settings: &[String],
    config: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    let body = if conversation == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b)?;
        b
    } else {
        std::fs::read(conversation)
            .with_context(|| format!("cannot read {}", conversation.display()))?
    };
    let conv = Conversation::from_json(&body, chrono::Utc::now())
        .map_err(|e| anyhow::anyhow!("{}: {e}", conversation.display()))?;
    let config = load::config(config)?;
    let pc = load::plugin_config(path, &config, load::settings(settings)?);
    let loaded = load::load(path, &config, &pc)?;
    let plugin = match loaded.load.plugin {
        Ok(p) => p,
        Err(f) => {
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&json!({ "load_error": f }))?
            )?;
            return Ok(1);
        }
    };
    let mut input = to_wit_input(&conv, &Signals::compute(&conv));
    let vote = plugin.evaluate(
        &loaded.runtime,
        &mut input,
        &config.breaker,
        alone(),
        &Entropy::of(&conv.id, conv.now),
    );
    let failed = vote.error.is_some();
    let report = json!({
        "plugin": format!("{} {}", plugin.info.name, plugin.info.version),
        "vote": vote,
        "fuel_used": vote.fuel_used,
        "fuel_limit": plugin.config.limits.fuel,
        "memory_peak_bytes": vote.memory_peak_bytes,
        "elapsed_us": vote.elapsed_us,
    });
    writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    Ok(if failed { 1 } else { 0 })
}
