//! Reading a labelled corpus: JSON Lines files of conversations, each with
//! the action a careful support lead expects (format in `corpus/README.md`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::decision::input::Conversation;
use crate::decision::merge::Action;

/// One labelled conversation, as written in the corpus.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: String,
    expect: Action,
    #[serde(default)]
    acceptable: Option<Vec<Action>>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    note: Option<String>,
    conversation: serde_json::Value,
}

/// A labelled conversation, ready to decide on.
#[derive(Debug)]
pub struct Labelled {
    /// Unique within the corpus.
    pub id: String,
    /// What the service should answer.
    pub expect: Action,
    /// The answers that count as agreeing.
    pub acceptable: Vec<Action>,
    /// The customer's language, for the breakdown.
    pub lang: String,
    /// The kind of conversation, for the breakdown.
    pub category: String,
    /// Why the label is what it is.
    pub note: String,
    /// The conversation.
    pub conversation: Conversation,
    /// Where it was read from, as `file:line`.
    pub origin: String,
}

/// The answers counted as agreeing with `expect` when a line does not say:
/// a human who was optional may be given at once, and nothing else is.
fn default_acceptable(expect: Action) -> Vec<Action> {
    match expect {
        Action::Escalate => vec![Action::Escalate],
        Action::Offer => vec![Action::Offer, Action::Escalate],
        other => vec![other],
    }
}

/// Every `*.jsonl` file under `paths` (files named directly are read
/// whatever their name), in a stable order.
fn files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> anyhow::Result<()> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for e in entries {
            if e.is_dir() {
                walk(&e, found)?;
            } else if e.extension().is_some_and(|x| x == "jsonl") {
                found.push(e);
            }
        }
        Ok(())
    }
    let mut found = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut found)?;
        } else if p.exists() {
            found.push(p.clone());
        } else {
            bail!("{} does not exist", p.display());
        }
    }
    Ok(found)
}

/// Reads every labelled conversation under `paths`. A malformed line, a
/// conversation the API would refuse, one without `now` (its results would
/// depend on when it is run), or an id used twice is an error naming the
/// file and line.
pub fn read(paths: &[PathBuf]) -> anyhow::Result<Vec<Labelled>> {
    let mut all: Vec<Labelled> = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for file in files(paths)? {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        for (n, raw) in text.lines().enumerate() {
            let raw = raw.trim();
            if raw.is_empty() || raw.starts_with("//") {
                continue;
            }
            let origin = format!("{}:{}", file.display(), n + 1);
            let line: Line = serde_json::from_str(raw)
                .with_context(|| format!("{origin}: not a corpus line"))?;
            if line.conversation.get("now").is_none() {
                bail!(
                    "{origin}: the conversation has no `now`, so its result would depend on the day it is run"
                );
            }
            let body = line.conversation.to_string();
            let conversation = Conversation::from_json(body.as_bytes(), chrono::Utc::now())
                .map_err(|e| anyhow::anyhow!("{origin}: the conversation is refused: {e}"))?;
            if !ids.insert(line.id.clone()) {
                bail!("{origin}: id {:?} is used twice", line.id);
            }
            all.push(Labelled {
                acceptable: line
                    .acceptable
                    .unwrap_or_else(|| default_acceptable(line.expect)),
                id: line.id,
                expect: line.expect,
                lang: line.lang.unwrap_or_else(|| "-".into()),
                category: line.category.unwrap_or_else(|| "-".into()),
                note: line.note.unwrap_or_default(),
                conversation,
                origin,
            });
        }
    }
    if all.is_empty() {
        bail!("no labelled conversations found (files named *.jsonl)");
    }
    Ok(all)
}
