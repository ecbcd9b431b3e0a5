//! The changes the reload thread makes, as audit events: a configuration
//! edit applied or refused, and each plugin file loaded, replaced, removed
//! or refused.

use std::collections::BTreeMap;

use super::{Audit, Change, Outcome, file_actor};
use crate::config::live::{ConfigReload, ConfigStatus};
use crate::plugin::registry::{PluginSet, ReloadSummary};
use crate::plugin::status::LoadState;

/// Records a reload of the configuration file, given its status before.
pub fn config_reload(
    audit: &Audit,
    before: &ConfigStatus,
    result: &ConfigReload,
    after: &ConfigStatus,
) {
    let (outcome, offered, detail) = match result {
        ConfigReload::Unchanged => return,
        ConfigReload::Applied => (Outcome::Applied, after.sha256.clone(), None),
        ConfigReload::Refused(message) => (
            Outcome::Refused,
            after
                .last_error
                .as_ref()
                .map(|e| e.sha256.clone())
                .filter(|s| !s.is_empty()),
            Some(message.clone()),
        ),
    };
    let (actor, target) = match &after.source {
        Some(path) => (
            file_actor(path),
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        None => ("service".to_owned(), String::new()),
    };
    audit.record(Change {
        actor,
        action: "config.reload",
        target,
        outcome,
        before: before.sha256.clone(),
        after: offered,
        detail,
    });
}

/// Records what a reload of the plugins did, from the sets before and after.
pub fn plugins(audit: &Audit, before: &PluginSet, after: &PluginSet, summary: &ReloadSummary) {
    for change in plugin_changes(before, after, summary) {
        audit.record(change);
    }
}

fn plugin_changes(before: &PluginSet, after: &PluginSet, summary: &ReloadSummary) -> Vec<Change> {
    let serving = |set: &PluginSet| -> BTreeMap<String, String> {
        set.status
            .iter()
            .filter(|s| s.status == LoadState::Active)
            .filter_map(|s| Some((s.name.clone(), s.sha256.clone()?)))
            .collect()
    };
    let (was, now) = (serving(before), serving(after));
    let file = |name: &str| after.status.iter().find(|s| s.name == name);
    let actor = |name: &str| file(name).map_or_else(|| "file".to_owned(), |s| file_actor(&s.file));
    let mut changes = Vec::new();
    for name in &summary.loaded {
        let (old, new) = (was.get(name).cloned(), now.get(name).cloned());
        let action = match &old {
            None => "plugin.load",
            Some(old) if Some(old) == new.as_ref() => "plugin.reload",
            Some(_) => "plugin.replace",
        };
        changes.push(Change {
            actor: actor(name),
            action,
            target: name.clone(),
            outcome: Outcome::Applied,
            before: old,
            after: new,
            detail: None,
        });
    }
    for name in &summary.removed {
        changes.push(Change {
            actor: "file".to_owned(),
            action: "plugin.remove",
            target: name.clone(),
            outcome: Outcome::Applied,
            before: was.get(name).cloned(),
            after: None,
            detail: None,
        });
    }
    for name in &summary.failed {
        let error = file(name).and_then(|s| s.error.as_ref());
        changes.push(Change {
            actor: actor(name),
            action: "plugin.refuse",
            target: name.clone(),
            outcome: Outcome::Refused,
            before: was.get(name).cloned(),
            after: error.map(|e| e.sha256.clone()),
            detail: error.map(|e| format!("{}: {}", e.step, e.message)),
        });
    }
    changes
}
