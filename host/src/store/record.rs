//! A decision as it is kept: the whole record as JSON (masked), and the
//! columns reads filter on, taken from the masked record so that a masked
//! field never survives in a column.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::mask::Mask;
use crate::decision::Decision;
use crate::decision::input::Conversation;

/// What the API hands to the recorder after answering: the decision, the
/// validated request, and the configuration it was made with.
pub struct Entry {
    /// The decision as answered.
    pub decision: Decision,
    /// The validated request, so a replay can decide it again.
    pub request: Conversation,
    /// The configuration version in force.
    pub config_version: u64,
    /// The sha256 of the config file in force, when there is one.
    pub config_sha256: Option<String>,
    /// The server's clock when the decision was made.
    pub recorded_at: DateTime<Utc>,
}

/// A decision in the form written to the store and to the spool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The decision's id.
    pub decision_id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// The decision's `now`, µs since the epoch.
    pub decided_at: i64,
    /// The server's clock at the decision, µs since the epoch.
    pub recorded_at: i64,
    /// The request's channel.
    pub channel: Option<String>,
    /// The topic's category.
    pub category: Option<String>,
    /// The topic's subcategory.
    pub subcategory: Option<String>,
    /// The customer's tier.
    pub customer_tier: Option<String>,
    /// The customer's language.
    pub language: Option<String>,
    /// The customer's id, as masked. Absent in rows spooled by a version
    /// without it.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The action, as named in the response.
    pub action: String,
    /// The action the decision would have had had its shadow rules counted,
    /// named as `action` is; `None` when no shadow rule was configured.
    /// Absent in rows spooled by a version without shadow rules.
    #[serde(default)]
    pub shadow_action: Option<String>,
    /// The tier.
    pub tier: String,
    /// 0–100.
    pub priority: i64,
    /// The merged score.
    pub score: f64,
    /// A hard escalation decided.
    pub hard: bool,
    /// The configuration version.
    pub config_version: i64,
    /// The config file's sha256.
    pub config_sha256: Option<String>,
    /// The plugin-set generation.
    pub generation: i64,
    /// Time spent deciding.
    pub elapsed_us: i64,
    /// The reasons that carried the decision.
    pub reasons: Vec<ReasonRow>,
    /// The plugins that voted.
    pub plugins: Vec<PluginRow>,
    /// The whole record, JSON.
    pub record: String,
}

/// One reason of a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonRow {
    /// `builtin:…` or `plugin:…`.
    pub source: String,
    /// The reason code.
    pub code: String,
    /// The escalation tag.
    pub tag: String,
}

/// One plugin's vote in a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginRow {
    /// The plugin's name.
    pub plugin: String,
    /// Its version.
    pub version: Option<String>,
    /// Its file's sha256.
    pub sha256: Option<String>,
    /// Its verdict.
    pub verdict: String,
    /// Its failure, if it failed.
    pub error_kind: Option<String>,
}

/// The record as kept: the decision's own fields, then what the store adds.
/// Fields named in `[store.mask]` are erased or replaced by
/// `hmac-sha256:…` strings, and `masked` lists them.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = DecisionRecord)]
pub struct Record<'a> {
    /// The decision as answered, without `explain`.
    #[serde(flatten)]
    decision: &'a Decision,
    /// The request's `now`.
    decided_at: DateTime<Utc>,
    /// The server's clock when the decision was made.
    recorded_at: DateTime<Utc>,
    /// The configuration it was made with.
    config: ConfigRef<'a>,
    /// The validated request, in its own shape.
    request: &'a Conversation,
    /// What masking erased or hashed; absent when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    masked: Option<super::mask::Masked>,
}

/// The configuration a decision was made with.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RecordConfig)]
struct ConfigRef<'a> {
    /// The configuration version.
    version: u64,
    /// The config file's sha256, when there is a file.
    sha256: Option<&'a str>,
}

impl Row {
    /// Builds the row of `entry`, masked by `mask`.
    pub fn build(entry: Entry, mask: &Mask) -> Row {
        let Entry {
            mut decision,
            request,
            config_version,
            config_sha256,
            recorded_at,
        } = entry;
        // `explain` is a view for the caller, not part of the decision.
        decision.explain = None;
        let record = Record {
            decision: &decision,
            decided_at: request.now,
            recorded_at,
            config: ConfigRef {
                version: config_version,
                sha256: config_sha256.as_deref(),
            },
            request: &request,
            masked: None,
        };
        if mask.is_empty() {
            // Nothing to mask: serialised once, columns from the typed values.
            let text = serde_json::to_string(&record).unwrap_or_default();
            return Row::assemble(
                &decision,
                &request,
                config_version,
                config_sha256,
                recorded_at,
                text,
            );
        }
        let mut value = serde_json::to_value(&record).unwrap_or(Value::Null);
        let masked = mask.apply(&mut value);
        if !masked.is_empty() {
            value["masked"] = serde_json::to_value(&masked).unwrap_or(Value::Null);
        }
        // Columns come from the masked record, so a masked field survives
        // in none of them.
        let text = |v: &Value| v.as_str().map(column);
        let r = &value["request"];
        let mut row = Row::assemble(
            &decision,
            &request,
            config_version,
            config_sha256,
            recorded_at,
            String::new(),
        );
        row.conversation_id = text(&value["conversation_id"]).unwrap_or_default();
        row.channel = text(&r["channel"]);
        row.category = text(&r["topic"]["category"]);
        row.subcategory = text(&r["topic"]["subcategory"]);
        row.customer_tier = text(&r["customer"]["tier"]);
        row.language = text(&r["customer"]["language"]);
        row.customer_id = text(&r["customer"]["id"]).filter(|c| !c.trim().is_empty());
        row.record = value.to_string();
        row
    }

    /// Column values without NUL characters, which PostgreSQL cannot store
    /// in text (the record's JSON keeps them, escaped).
    fn assemble(
        decision: &Decision,
        request: &Conversation,
        config_version: u64,
        config_sha256: Option<String>,
        recorded_at: DateTime<Utc>,
        record: String,
    ) -> Row {
        let name = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let col = |s: &Option<String>| s.as_deref().map(column);
        Row {
            decision_id: decision.decision_id.clone(),
            conversation_id: column(&decision.conversation_id),
            decided_at: request.now.timestamp_micros(),
            recorded_at: recorded_at.timestamp_micros(),
            channel: col(&request.channel),
            category: col(&request.topic.category),
            subcategory: col(&request.topic.subcategory),
            customer_tier: col(&request.customer.tier),
            language: col(&request.customer.language),
            // A blank id is no id: it would pool every anonymous caller.
            customer_id: col(&request.customer.id).filter(|c| !c.trim().is_empty()),
            action: name(&json!(decision.action)),
            // From the typed decision even when masking, as `action` is:
            // masks cover what the customer sent, not what was decided.
            shadow_action: decision.shadow.as_ref().map(|s| name(&json!(s.action))),
            tier: name(&json!(decision.tier)),
            priority: decision.priority.into(),
            score: decision.score,
            hard: decision.hard,
            config_version: config_version as i64,
            config_sha256,
            generation: decision.generation as i64,
            elapsed_us: decision.elapsed_us as i64,
            reasons: decision
                .reasons
                .iter()
                .map(|r| ReasonRow {
                    source: column(&r.source.to_string()),
                    code: column(&r.code),
                    tag: name(&json!(r.tag)),
                })
                .collect(),
            // The plugins that took part in the decision: a shadow vote is
            // kept in the record but is no part of it, so filters by plugin
            // do not count it.
            plugins: decision
                .votes
                .iter()
                .filter(|v| !v.shadow)
                .filter_map(|v| {
                    Some(PluginRow {
                        plugin: column(v.source.plugin()?),
                        version: col(&v.version),
                        sha256: v.sha256.clone(),
                        verdict: name(&json!(v.verdict)),
                        error_kind: v.error.as_ref().map(|e| e.kind.as_str().to_owned()),
                    })
                })
                .collect(),
            record,
        }
    }
}

/// `text` without NUL characters.
pub(super) fn column(text: &str) -> String {
    if text.contains('\0') {
        text.replace('\0', "")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::config::store::MaskConfig;
    use crate::decision::merge::Action;
    use crate::decision::response::Shadow;
    use crate::plugin::{PluginSet, Runtime};

    /// A real decision (`stay` on a calm question), with or without a
    /// shadow evaluation that would have escalated it.
    fn entry(shadowed: bool) -> Entry {
        let request = Conversation::from_json(
            br#"{"conversation_id": "c-shadow", "now": "2026-10-05T10:00:00Z",
                 "topic": {"category": "billing"},
                 "customer": {"id": "cus-1"},
                 "messages": [{"role": "customer", "text": "How do I download an invoice?",
                               "at": "2026-10-05T09:59:50Z"}]}"#,
            Utc::now(),
        )
        .unwrap();
        let runtime = Runtime::new(None).unwrap();
        let mut decision = crate::decide::decide(
            &request,
            &Config::default(),
            &PluginSet::default(),
            &runtime,
            false,
        );
        assert_eq!(decision.action, Action::Stay);
        decision.shadow = shadowed.then(|| Shadow {
            action: Action::Escalate,
            tier: decision.tier,
            priority: decision.priority,
            score: decision.score,
            reasons: Vec::new(),
            flipped: true,
            trigger_votes: Vec::new(),
        });
        Entry {
            decision,
            request,
            config_version: 1,
            config_sha256: None,
            recorded_at: Utc::now(),
        }
    }

    #[test]
    fn the_shadow_action_is_kept_named_as_the_action_is() {
        let row = Row::build(entry(true), &Mask::default());
        assert_eq!(row.action, "stay");
        assert_eq!(row.shadow_action.as_deref(), Some("escalate"));
        assert_eq!(
            Row::build(entry(false), &Mask::default()).shadow_action,
            None
        );
    }

    #[test]
    fn a_shadow_vote_is_kept_in_the_record_but_not_among_the_plugins() {
        use crate::decision::source::Source;
        use crate::decision::vote::{Verdict, Vote};
        let mut e = entry(true);
        let mut enforced = Vote::new(Source::Plugin("guard".into()), Verdict::Stay);
        enforced.sha256 = Some("a".repeat(64));
        let mut shadow = Vote::new(Source::Plugin("candidate".into()), Verdict::Escalate);
        shadow.shadow = true;
        e.decision.votes.extend([enforced, shadow]);
        let row = Row::build(e, &Mask::default());
        let plugins: Vec<&str> = row.plugins.iter().map(|p| p.plugin.as_str()).collect();
        assert_eq!(plugins, ["guard"]);
        assert!(
            row.record.contains("\"plugin:candidate\""),
            "{}",
            row.record
        );
        assert!(row.record.contains("\"shadow\":true"), "{}", row.record);
    }

    #[test]
    fn a_masked_record_keeps_its_shadow_action() {
        let mask = Mask::new(&MaskConfig {
            erase: vec!["request.messages.text".into(), "request.customer.id".into()],
            ..MaskConfig::default()
        })
        .unwrap();
        let row = Row::build(entry(true), &mask);
        assert!(row.record.contains("\"masked\""), "{}", row.record);
        assert_eq!(row.customer_id, None);
        assert_eq!(row.shadow_action.as_deref(), Some("escalate"));
    }

    #[test]
    fn a_row_spooled_before_shadow_rules_still_reads() {
        // A spool line as a version without shadow rules wrote it.
        let line = r#"{"decision_id":"d-old","conversation_id":"c-old",
            "decided_at":1,"recorded_at":2,"channel":null,"category":"billing",
            "subcategory":null,"customer_tier":null,"language":null,
            "customer_id":null,"action":"offer","tier":"ai_assisted","priority":40,
            "score":1.5,"hard":false,"config_version":3,"config_sha256":null,
            "generation":1,"elapsed_us":90,"reasons":[],"plugins":[],"record":"{}"}"#;
        let row: Row = serde_json::from_str(line).unwrap();
        assert_eq!(row.action, "offer");
        assert_eq!(row.shadow_action, None);
    }
}
