//! `escalator check`: the load gate, with a report.

use std::io::Write;
use std::path::Path;

use super::load;
use crate::decision::signals::Signals;
use crate::plugin::file::name_of;
use crate::plugin::gate::{self, SMOKE};
use crate::plugin::{Entropy, alone, interface, to_wit_input};
use crate::signing::Verification;

/// Runs `check`.
pub fn run(
    path: &Path,
    settings: &[String],
    config: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    let config = load::config(config)?;
    let pc = load::plugin_config(path, &config, load::settings(settings)?);
    let loaded = load::load(path, &config, &pc)?;
    writeln!(
        out,
        "file       {} ({} bytes)",
        path.display(),
        loaded.load.bytes
    )?;
    // The verify step comes first in the gate, so its refusal is the one
    // reported; the file was read once already to fingerprint it.
    let sha256 = match &loaded.load.plugin {
        Ok(p) => p.sha256.clone(),
        Err(f) => f.sha256.clone(),
    };
    let signature = if sha256.is_empty() {
        None
    } else {
        match gate::verify(&name_of(path), path, &sha256, &config.trust) {
            Ok(v) => Some(v),
            Err(f) => {
                writeln!(out, "sha256     {}", f.sha256)?;
                writeln!(out, "FAILED at step `{}`: {}", f.step, f.message)?;
                return Ok(1);
            }
        }
    };
    let plugin = match loaded.load.plugin {
        Ok(p) => p,
        Err(f) => {
            writeln!(out, "sha256     {}", f.sha256)?;
            writeln!(out, "FAILED at step `{}`: {}", f.step, f.message)?;
            return Ok(1);
        }
    };
    writeln!(out, "sha256     {}", plugin.sha256)?;
    match signature {
        Some(Verification::Verified(s)) => writeln!(
            out,
            "signature  verified: {} (key id {}), {}",
            s.key, s.key_id, s.digest
        )?,
        Some(Verification::Unverified { problem }) => {
            writeln!(out, "signature  unverified (not required): {problem}")?
        }
        Some(Verification::Unsigned) | None => writeln!(out, "signature  none")?,
    }
    writeln!(
        out,
        "plugin     {} {}",
        plugin.info.name, plugin.info.version
    )?;
    writeln!(out, "           {}", plugin.info.description)?;
    match plugin.interface {
        Some(v) => writeln!(
            out,
            "interface  {}@{v} (this host implements {}@{})",
            interface::PACKAGE,
            interface::PACKAGE,
            interface::HOST_VERSION
        )?,
        None => writeln!(
            out,
            "interface  unknown (the component imports nothing of the package)"
        )?,
    }
    writeln!(out, "settings")?;
    for spec in &plugin.specs {
        let value = plugin
            .settings
            .iter()
            .find(|s| s.name == spec.name)
            .map(|s| plugin.setting_json(s).to_string())
            .unwrap_or_default();
        let origin = if pc.settings.contains_key(&spec.name) {
            "set"
        } else {
            "default"
        };
        writeln!(
            out,
            "  {:<20} = {value} ({origin}) — {}",
            spec.name, spec.description
        )?;
    }
    let mut input = to_wit_input(&SMOKE, &Signals::compute(&SMOKE));
    let vote = plugin.evaluate(
        &loaded.runtime,
        &mut input,
        &config.breaker,
        alone(),
        &Entropy::of(&SMOKE.id, SMOKE.now),
    );
    writeln!(
        out,
        "smoke      {:?} {} — fuel {} of {}, {} µs, peak memory {} KiB",
        vote.verdict,
        if vote.reason.is_empty() {
            "(no reason)"
        } else {
            &vote.reason
        },
        vote.fuel_used.unwrap_or(0),
        plugin.config.limits.fuel,
        vote.elapsed_us,
        vote.memory_peak_bytes.unwrap_or(0) / 1024
    )?;
    if let Some(e) = vote.error {
        writeln!(
            out,
            "FAILED on the smoke conversation: {}: {}",
            e.kind, e.message
        )?;
        return Ok(1);
    }
    writeln!(out, "ok")?;
    Ok(0)
}
