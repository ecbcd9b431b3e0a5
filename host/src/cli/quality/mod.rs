//! `escalator quality`: runs a policy — the configuration and its plugins —
//! over labelled conversations and reports how it did, so a rule change is
//! judged by the numbers before it goes live.

mod corpus;
mod report;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::load;
use report::{Miss, Report};

/// What `quality` was asked to check.
pub struct Options<'a> {
    /// Corpus files or directories.
    pub paths: &'a [PathBuf],
    /// The policy's config file (default: the built-in defaults).
    pub config: Option<&'a Path>,
    /// The plugins directory (default: the config's, when a config is given;
    /// none otherwise).
    pub plugins: Option<&'a Path>,
    /// One JSON report instead of text.
    pub json: bool,
    /// Fail (exit 1) when must-escalate recall is below this share.
    pub min_recall: Option<f64>,
    /// Fail (exit 1) when the needless-escalation rate is above this share.
    pub max_needless: Option<f64>,
}

/// Runs `quality`.
pub fn run(options: &Options<'_>, out: &mut dyn Write) -> anyhow::Result<i32> {
    // The corpus is checked first: it is cheap, and compiling the plugins is not.
    let corpus = corpus::read(options.paths)?;
    let policy = load::Policy::load(options.config, options.plugins)?;
    for warning in policy.warnings() {
        writeln!(out, "{warning}")?;
    }

    let mut report = Report::default();
    let (mut spent_us, mut messages) = (0u128, 0usize);
    for item in corpus {
        messages += item.conversation.customer_messages().count();
        let started = Instant::now();
        let decision = policy.decide(&item.conversation);
        spent_us += started.elapsed().as_micros();
        let got = decision.action;
        let agreed = item.acceptable.contains(&got);
        report.overall.add(item.expect, got, agreed);
        report
            .by_lang
            .entry(item.lang.clone())
            .or_default()
            .add(item.expect, got, agreed);
        report
            .by_category
            .entry(item.category.clone())
            .or_default()
            .add(item.expect, got, agreed);
        if !agreed {
            report.misses.push(Miss {
                id: item.id,
                origin: item.origin,
                lang: item.lang,
                category: item.category,
                expect: item.expect,
                got,
                reasons: decision.reasons.into_iter().map(|r| r.code).collect(),
                note: item.note,
            });
        }
    }
    let decisions = report.overall.total.max(1);
    report.mean_decision_us = spent_us as f64 / f64::from(decisions);
    report.mean_message_us = spent_us as f64 / messages.max(1) as f64;

    if options.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        let plugins = policy.plugin_names();
        writeln!(
            out,
            "policy: built-in triggers{}",
            if plugins.is_empty() {
                String::new()
            } else {
                format!(" and plugins {}", plugins.join(", "))
            }
        )?;
        report.render(out)?;
    }
    let recall_ok = match (options.min_recall, report.overall.recall()) {
        (Some(min), Some(r)) => r >= min,
        _ => true,
    };
    let needless_ok = match (options.max_needless, report.overall.needless_rate()) {
        (Some(max), Some(r)) => r <= max,
        _ => true,
    };
    Ok(if recall_ok && needless_ok { 0 } else { 1 })
}
