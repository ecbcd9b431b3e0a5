//! `escalator review export`: reviewed decisions as fixture files that
//! `escalator test` runs against the policy, one file per verdict. The
//! `correct` file passes until a rule change breaks it; the `unnecessary`
//! and `missed` files fail until the rules are fixed to agree with the
//! reviewers — a corrected case is a regression test within minutes.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Value, json};

use super::store::{flag_time, open_existing, store_of};
use crate::kpi::review::{Unusable, case};

/// Decisions read per query.
const PAGE: i64 = 500;

/// What to export, and where.
pub struct ExportArgs<'a> {
    /// The config whose store to read; also the policy the fixtures name.
    pub config: Option<&'a Path>,
    /// Decisions made at or after this RFC 3339 time.
    pub since: Option<&'a str>,
    /// Decisions made before this RFC 3339 time.
    pub until: Option<&'a str>,
    /// The directory the fixture files go to (created if missing).
    pub out_dir: &'a Path,
    /// The policy config the fixtures name, when not `config`.
    pub policy: Option<&'a Path>,
    /// The plugins directory the fixtures name, when not the policy's own
    /// (a server started with `--plugins`).
    pub plugins: Option<&'a Path>,
}

/// Runs `review export`.
pub fn export(args: &ExportArgs<'_>, out: &mut dyn Write) -> anyhow::Result<i32> {
    let store = store_of(args.config)?;
    let (since, until) = (
        flag_time("since", args.since)?,
        flag_time("until", args.until)?,
    );
    // The fixtures name the policy by an absolute path: they are written
    // elsewhere and may be moved.
    let policy: Option<PathBuf> = match args.policy.or(args.config) {
        Some(p) => Some(
            std::fs::canonicalize(p)
                .with_context(|| format!("cannot find the policy config {}", p.display()))?,
        ),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let reviewed = runtime.block_on(async {
        let db = open_existing(&store).await?;
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = db.reviewed(since, until, after.clone(), PAGE).await?;
            let full = page.len() as i64 == PAGE;
            after = page.last().map(|(at, v, _)| (*at, v.decision_id.clone()));
            all.extend(page);
            if !full {
                break;
            }
        }
        db.close().await;
        anyhow::Ok(all)
    })?;

    let mut by_verdict: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    let (mut masked, mut malformed) = (0, 0);
    for (_, verdict, record) in &reviewed {
        let record: Value = serde_json::from_str(record).unwrap_or(Value::Null);
        match case(verdict, &record) {
            Ok(c) => by_verdict
                .entry(verdict.verdict.clone())
                .or_default()
                .push(c),
            Err(Unusable::Masked) => masked += 1,
            Err(Unusable::Malformed) => malformed += 1,
        }
    }
    std::fs::create_dir_all(args.out_dir)
        .with_context(|| format!("cannot create {}", args.out_dir.display()))?;
    let mut policy_json = json!({});
    if let Some(p) = &policy {
        policy_json["config"] = json!(p);
    }
    if let Some(dir) = args.plugins {
        let dir = std::fs::canonicalize(dir)
            .with_context(|| format!("cannot find the plugins directory {}", dir.display()))?;
        policy_json["plugins"] = json!(dir);
    }
    // The files are the verdicts as they stand now: a decision re-judged
    // since the last export must not linger in its old verdict's file.
    for entry in std::fs::read_dir(args.out_dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("reviewed-") && name.ends_with(".test.json") {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot replace {}", path.display()))?;
        }
    }
    for (verdict, cases) in &by_verdict {
        let path = args.out_dir.join(format!("reviewed-{verdict}.test.json"));
        let fixture = json!({ "policy": policy_json, "cases": cases });
        std::fs::write(&path, serde_json::to_string_pretty(&fixture)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(out, "{}: {} cases", path.display(), cases.len())?;
    }
    if by_verdict.is_empty() {
        writeln!(out, "no reviewed decisions in the log for this window")?;
    }
    if masked > 0 {
        writeln!(
            out,
            "skipped {masked} reviewed decisions whose request was masked when stored"
        )?;
    }
    if malformed > 0 {
        writeln!(
            out,
            "skipped {malformed} reviewed decisions without a usable request, or whose \
             verdict contradicts their action"
        )?;
    }
    Ok(0)
}
