//! Property tests (a brief fuzz run on every test run) of the two parsers that
//! take outside input: the decision request and the config file.
//!
//! - Any body: parsing never panics, and a refused body names its field.
//! - Any accepted body decides without panicking, under the default config
//!   and under any config the validator accepts, however extreme its values
//!   (a `max_seconds` that passed validation once made every decision panic).
//!
//! `PROPTEST_CASES` sets how many cases each property tries (256 by default).

use std::sync::{Arc, OnceLock};

use chrono::{TimeZone, Utc};
use escalator::config::Config;
use escalator::decide::decide;
use escalator::decision::input::{Conversation, InputError};
use escalator::plugin::{PluginSet, Runtime};
use proptest::prelude::*;
use serde_json::{Value, json};

fn runtime() -> &'static Arc<Runtime> {
    static RUNTIME: OnceLock<Arc<Runtime>> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new(None).expect("runtime"))
}

fn server_now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

/// Any JSON value, small and deep enough to reach every shape.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Values a field of the request may take: right, wrong and edge cases.
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("customer")),
        Just(json!("ai")),
        Just(json!("2026-11-29T11:58:00Z")),
        Just(json!("0000-01-01T00:00:00Z")),
        Just(json!("2026-12-31T23:59:60Z")),
        Just(json!("9999-12-31T23:59:59Z")),
        Just(json!("1970-01-01T00:00:00Z")),
        Just(json!(0.5)),
        Just(json!(-1)),
        Just(json!(u64::MAX)),
        Just(json!("")),
        Just(json!("I WANT A HUMAN NOW!!! this is the third time")),
        any_json(),
    ]
}

/// A valid request with random fields replaced, added or removed.
fn mutated_request() -> impl Strategy<Value = Value> {
    let paths = prop::collection::vec(
        (
            prop::sample::select(vec![
                "/conversation_id",
                "/now",
                "/channel",
                "/customer",
                "/customer/tier",
                "/customer/account_rank",
                "/customer/attributes",
                "/customer/attributes/last_agent_contact_at",
                "/topic",
                "/messages",
                "/messages/0",
                "/messages/0/role",
                "/messages/0/at",
                "/messages/1/ai",
                "/messages/1/ai/confidence",
                "/messages/2/text",
                "/attributes",
            ]),
            prop::option::of(field_value()),
        ),
        0..4,
    );
    paths.prop_map(|edits| {
        let mut body = json!({
            "conversation_id": "c-1",
            "channel": "chat",
            "now": "2026-11-29T12:00:00Z",
            "customer": {"id": "u", "tier": "enterprise", "account_rank": 3, "language": "pt-BR",
                         "attributes": {"last_agent": "ana", "last_agent_contact_at": "2026-11-20T10:00:00Z"}},
            "topic": {"category": "billing"},
            "messages": [
                {"role": "customer", "text": "my card was charged twice", "at": "2026-11-29T11:50:00Z"},
                {"role": "ai", "text": "let me check", "at": "2026-11-29T11:50:05Z",
                 "ai": {"confidence": 0.4, "outcome": "answered"}},
                {"role": "customer", "text": "this is ridiculous", "at": "2026-11-29T11:59:00Z"}
            ]
        });
        for (path, value) in edits {
            let (parent, key) = path.rsplit_once('/').unwrap();
            let Some(target) = body.pointer_mut(parent) else {
                continue;
            };
            match (target, value) {
                (Value::Object(map), Some(v)) => {
                    map.insert(key.to_owned(), v);
                }
                (Value::Object(map), None) => {
                    map.remove(key);
                }
                (Value::Array(items), Some(v)) => {
                    if let Ok(i) = key.parse::<usize>()
                        && i < items.len()
                    {
                        items[i] = v;
                    }
                }
                _ => {}
            }
        }
        body
    })
}

/// Config text with random keys set to random, often extreme, values.
fn extreme_config() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "merge.escalate_threshold",
        "merge.offer_threshold",
        "triggers.confidence.threshold",
        "triggers.confidence.streak",
        "triggers.confidence.streak_threshold",
        "triggers.sentiment.angry_at",
        "triggers.sentiment.frustrated_at",
        "triggers.sentiment.streak",
        "triggers.sentiment.shouting_min_letters",
        "triggers.sentiment.punctuation_run",
        "triggers.sentiment.repetition_similarity",
        "triggers.sentiment.repetition_window",
        "triggers.account.top_n",
        "triggers.account.priority",
        "triggers.budget.max_customer_turns",
        "triggers.budget.max_seconds",
        "triggers.topic.weight",
        "tiers.ai_assisted_from",
        "routing.recent_agent_days",
        "limits.fuel",
        "limits.deadline_ms",
        "limits.memory_mib",
        "limits.output_kib",
        "limits.vote_kib",
        "breaker.failures",
        "breaker.backoff_ms",
        "breaker.max_backoff_ms",
        "input.max_messages",
        "input.max_message_chars",
        "decision.deadline_ms",
        "server.max_connections",
        "server.header_read_timeout_ms",
        "load.max_function_kib",
    ]);
    let values = prop::sample::select(vec![
        "0",
        "1",
        "2",
        "-1",
        "0.5",
        "1.0",
        "1e300",
        "-1e300",
        "nan",
        "inf",
        "100",
        "255",
        "4294967295",
        "9223372036854775807",
        "\"x\"",
    ]);
    prop::collection::btree_map(keys, values, 0..6).prop_map(|entries| {
        let mut text = String::new();
        for (key, value) in entries {
            let (table, name) = key.rsplit_once('.').unwrap();
            text.push_str(&format!("[{table}]\n{name} = {value}\n"));
        }
        text
    })
}

fn decides_without_panicking(conversation: Conversation, config: &Config) {
    let plugins = PluginSet::default();
    let decision = decide(&conversation, config, &plugins, runtime(), true);
    // The decision serialises (every number finite, every field in range).
    serde_json::to_string(&decision).expect("the decision serialises");
    assert!(decision.priority <= 100);
}

/// A JSON body is either refused with a named field (valid JSON is never a
/// syntax error) or decided without panicking.
fn refused_by_field_or_decided(body: &Value) -> Result<(), TestCaseError> {
    let bytes = serde_json::to_vec(body).unwrap();
    match Conversation::from_json(&bytes, server_now()) {
        Ok(c) => decides_without_panicking(c, &Config::default()),
        Err(InputError::Field { field, .. }) => prop_assert!(!field.is_empty()),
        Err(e @ InputError::Syntax { .. }) => prop_assert!(false, "{body} gave {e}"),
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_request_parser(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Conversation::from_json(&bytes, server_now());
    }

    #[test]
    fn arbitrary_json_is_refused_with_a_named_field_or_accepted(body in any_json()) {
        refused_by_field_or_decided(&body)?;
    }

    #[test]
    fn mutated_requests_are_refused_with_a_field_or_decided(body in mutated_request()) {
        refused_by_field_or_decided(&body)?;
    }

    #[test]
    fn arbitrary_config_text_never_panics_the_config_parser(text in ".{0,200}") {
        let _ = Config::parse(&text);
    }

    #[test]
    fn every_accepted_config_decides_any_accepted_request(text in extreme_config(), body in mutated_request()) {
        let Ok(config) = Config::parse(&text) else {
            return Ok(());
        };
        let bytes = serde_json::to_vec(&body).unwrap();
        if let Ok(c) = Conversation::from_json_within(&bytes, server_now(), &config.input) {
            decides_without_panicking(c, &config);
        }
    }
}

#[test]
fn the_worst_case_inputs_that_once_broke_parsing_are_refused_by_field() {
    let field = |body: &str| match Conversation::from_json(body.as_bytes(), server_now()) {
        Err(InputError::Field { field, .. }) => field,
        other => panic!("{body}: expected a field error, got {other:?}"),
    };
    let syntax = |body: &str| {
        assert!(
            matches!(
                Conversation::from_json(body.as_bytes(), server_now()),
                Err(InputError::Syntax { .. })
            ),
            "{body}"
        )
    };
    syntax(r#"{"conversation_id":"x"} garbage"#);
    syntax(r#"{"conversation_id":"x"}{}"#);
    assert_eq!(field(r#"["x", "chat"]"#), "(body)");
    assert_eq!(
        field(r#"{"conversation_id":"x","customer":["u1","pro"]}"#),
        "customer"
    );
    assert_eq!(
        field(r#"{"conversation_id":"x","messages":[["customer","hi","2026-01-01T00:00:00Z"]]}"#),
        "messages[0]"
    );
    for role in ["5", "{}", "[]", r#"{"customer":null}"#, "null"] {
        let body = format!(
            r#"{{"conversation_id":"x","messages":[{{"role":{role},"text":"t","at":"2026-01-01T00:00:00Z"}}]}}"#
        );
        assert_eq!(field(&body), "messages[0].role", "{body}");
    }
    assert_eq!(
        field(
            r#"{"conversation_id":"x","customer":{"attributes":{"account_manager":"alice","account_manager":"mallory"}}}"#
        ),
        "customer.attributes"
    );
    assert_eq!(
        field(r#"{"conversation_id":"x","attributes":{"a":"1","a":"2"}}"#),
        "attributes"
    );
    assert_eq!(
        field(r#"{"conversation_id":"x","conversation_id":"y"}"#),
        "conversation_id"
    );
    assert_eq!(
        field(
            r#"{"conversation_id":"x","messages":[{"role":"customer","text":"t","at":"0000-01-01T00:00:00Z"}]}"#
        ),
        "messages[0].at"
    );
    assert_eq!(
        field(
            r#"{"conversation_id":"x","messages":[{"role":"customer","text":"t","at":"2026-06-30T23:59:60Z"}]}"#
        ),
        "messages[0].at"
    );
    assert_eq!(
        field(r#"{"conversation_id":"x","now":"0000-01-01T00:00:00Z"}"#),
        "now"
    );
}
