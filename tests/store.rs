//! The decision log: what is recorded, outcome events, reading it back, and
//! what happens to records when the database fails — against the embedded
//! SQLite file and a real PostgreSQL server.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use escalator::store::db::Filter;
use escalator::store::record::{PluginRow, ReasonRow};
use escalator::store::{Db, Row};
use escalator_integration_tests::postgres::Postgres;
use escalator_integration_tests::{TestServer, conversation, eventually};
use serde_json::{Value, json};

/// Waits until the writer has committed `n` decisions since start.
async fn written(server: &TestServer, n: u64) {
    eventually(
        Duration::from_secs(60),
        "the decisions are written",
        || async { server.get("/v1/store").await.1["written"].as_u64() >= Some(n) },
    )
    .await;
}

fn angry(id: &str, now: &str) -> Value {
    let mut c = conversation(&[
        ("customer", "My card was charged twice", None),
        ("ai", "I can only see one charge.", Some(0.4)),
        ("customer", "This is ridiculous, get me a human now!", None),
    ]);
    c["conversation_id"] = json!(id);
    c["now"] = json!(now);
    c["topic"] = json!({"category": "billing", "subcategory": "double-charge"});
    c["customer"] = json!({"id": "cus-77", "tier": "pro", "language": "en"});
    c
}

/// A routine question asked just before `now`: the AI keeps it.
fn calm(id: &str, now: &str) -> Value {
    let at = chrono::DateTime::parse_from_rfc3339(now).unwrap() - chrono::Duration::seconds(10);
    json!({
        "conversation_id": id,
        "channel": "chat",
        "now": now,
        "topic": {"category": "billing"},
        "messages": [{"role": "customer", "text": "How do I download an invoice?",
                      "at": at.to_rfc3339()}],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_decision_is_recorded_with_its_votes_request_and_config() {
    let server = TestServer::start("", &[]).await;
    let decision = server.decide(&angry("c-rec", "2026-01-01T00:01:00Z")).await;
    written(&server, 1).await;
    let id = decision["decision_id"].as_str().unwrap();
    let (status, record) = server.get(&format!("/v1/decisions/{id}")).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["action"], decision["action"]);
    assert_eq!(record["reasons"], decision["reasons"]);
    assert_eq!(record["votes"], decision["votes"]);
    assert_eq!(record["decided_at"], "2026-01-01T00:01:00Z");
    assert_eq!(record["config"]["version"], 1);
    assert_eq!(record["request"]["conversation_id"], "c-rec");
    assert_eq!(
        record["request"]["messages"][2]["text"],
        "This is ridiculous, get me a human now!"
    );
    assert!(record.get("masked").is_none());
    // The stored request is a valid decision request: it decides again the
    // same way.
    let again = server.decide(&record["request"]).await;
    assert_eq!(again["action"], decision["action"]);
    assert_eq!(again["reasons"], decision["reasons"]);

    let (status, missing) = server.get("/v1/decisions/no-such-id").await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"]["code"], "decision_not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcome_events_are_strict_idempotent_and_join_the_timeline() {
    let server = TestServer::start("", &[]).await;
    let first = server.decide(&angry("c-tl", "2026-01-01T00:01:00Z")).await;
    let second = server.decide(&calm("c-tl", "2026-01-01T00:30:00Z")).await;
    assert_eq!(first["action"], "escalate");
    assert_eq!(second["action"], "stay");
    written(&server, 2).await;
    let d1 = first["decision_id"].as_str().unwrap();

    // One bad event refuses the whole batch, naming it.
    let bad = json!({"events": [
        {"event_id": "ev-1", "type": "human_assigned", "conversation_id": "c-tl",
         "decision_id": d1, "at": "2026-01-01T00:02:00Z", "agent": "ana"},
        {"event_id": "ev-2", "type": "csat", "conversation_id": "c-tl",
         "at": "2026-01-01T00:20:00Z", "score": 9},
    ]});
    let (status, body) = server.post("/v1/outcomes", &bad).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "events[1].score");
    let (_, timeline) = server.get("/v1/conversations/c-tl").await;
    assert_eq!(timeline["events"], 0, "a refused batch stores nothing");

    // Out of order, late, and naming a decision this replica never made.
    let batch = json!({"events": [
        {"event_id": "ev-5", "type": "resolved", "conversation_id": "c-tl",
         "at": "2026-01-01T00:15:00Z", "by": "human"},
        {"event_id": "ev-4", "type": "handed_back_to_ai", "conversation_id": "c-tl",
         "decision_id": d1, "at": "2026-01-01T00:10:00Z", "agent": "ana"},
        {"event_id": "ev-1", "type": "human_assigned", "conversation_id": "c-tl",
         "decision_id": d1, "at": "2026-01-01T00:02:00Z", "agent": "ana", "queue": "billing"},
        {"event_id": "ev-3", "type": "human_first_reply", "conversation_id": "c-tl",
         "decision_id": "elsewhere-42", "at": "2026-01-01T00:03:00Z"},
    ]});
    let (status, body) = server.post("/v1/outcomes", &batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stored"], 4);
    assert_eq!(body["repeated"], 0);
    assert_eq!(body["unknown_decisions"], json!(["elsewhere-42"]));
    // Re-sent: nothing stored twice.
    let (_, again) = server.post("/v1/outcomes", &batch).await;
    assert_eq!(again["stored"], 0);
    assert_eq!(again["repeated"], 4);

    let (status, timeline) = server.get("/v1/conversations/c-tl").await;
    assert_eq!(status, 200, "{timeline}");
    let kinds: Vec<String> = timeline["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| match e["kind"].as_str().unwrap() {
            "decision" => format!("decision:{}", e["action"].as_str().unwrap()),
            _ => e["type"].as_str().unwrap().to_owned(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "decision:escalate",
            "human_assigned",
            "human_first_reply",
            "handed_back_to_ai",
            "resolved",
            "decision:stay"
        ]
    );
    assert_eq!(timeline["decisions"], 2);
    assert_eq!(timeline["events"], 4);
    let moved: BTreeSet<&str> = timeline["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["field"].as_str().unwrap())
        .collect();
    assert!(
        moved.contains("action") && moved.contains("tier"),
        "{timeline}"
    );
    assert_eq!(timeline["latest"]["action"], "stay");

    let (status, _) = server.get("/v1/conversations/nobody").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_are_listed_by_filter_a_page_at_a_time() {
    let server = TestServer::start("", &[]).await;
    for i in 0..5 {
        server
            .decide(&angry(
                &format!("c-list-{i}"),
                &format!("2026-01-02T00:0{i}:00Z"),
            ))
            .await;
        server
            .decide(&calm(
                &format!("c-calm-{i}"),
                &format!("2026-01-02T00:0{i}:30Z"),
            ))
            .await;
    }
    written(&server, 10).await;
    let ids = |v: &Value| -> Vec<String> {
        v["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["conversation_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, all) = server.get("/v1/decisions?action=escalate").await;
    assert_eq!(
        ids(&all),
        ["c-list-4", "c-list-3", "c-list-2", "c-list-1", "c-list-0"],
        "newest first"
    );
    let (_, tagged) = server
        .get("/v1/decisions?tag=customer_demanded_human&category=billing")
        .await;
    assert_eq!(ids(&tagged).len(), 5);
    let (_, by_reason) = server
        .get("/v1/decisions?reason=customer_requested_human")
        .await;
    assert_eq!(ids(&by_reason), ids(&all));
    let (_, window) = server
        .get("/v1/decisions?since=2026-01-02T00:01:00Z&until=2026-01-02T00:03:00Z")
        .await;
    assert_eq!(
        ids(&window),
        ["c-calm-2", "c-list-2", "c-calm-1", "c-list-1"]
    );
    // Pages of three cover all ten exactly once.
    let mut seen = Vec::new();
    let mut path = "/v1/decisions?limit=3".to_owned();
    loop {
        let (status, page) = server.get(&path).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/decisions?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 10);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 10);

    for (query, field) in [
        ("action=maybe", "action"),
        ("since=yesterday", "since"),
        ("limit=0", "limit"),
        ("cursor=zz", "cursor"),
        ("colour=red", "colour"),
        ("action=stay&action=offer", "action"),
    ] {
        let (status, body) = server.get(&format!("/v1/decisions?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masked_fields_are_erased_or_hashed_and_the_record_says_which() {
    // A variable only this test reads.
    unsafe { std::env::set_var("ESCALATOR_TEST_MASK_KEY", "k3y") };
    let server = TestServer::start(
        "[store.mask]\nerase = [\"request.messages.text\", \"context.summary\", \
         \"context.ai_attempts\"]\nhash = [\"request.customer.id\", \"context.customer.id\"]\n\
         hash_key_env = \"ESCALATOR_TEST_MASK_KEY\"\n",
        &[],
    )
    .await;
    let a = server
        .decide(&angry("c-mask-1", "2026-01-01T00:01:00Z"))
        .await;
    let b = server
        .decide(&angry("c-mask-2", "2026-01-01T00:01:00Z"))
        .await;
    written(&server, 2).await;
    let record = |d: &Value| {
        let id = d["decision_id"].as_str().unwrap().to_owned();
        let server = &server;
        async move { server.get(&format!("/v1/decisions/{id}")).await.1 }
    };
    let (ra, rb) = (record(&a).await, record(&b).await);
    let text = ra.to_string();
    assert!(
        !text.contains("charged twice"),
        "customer text kept: {text}"
    );
    assert!(
        !text.contains("only see one charge"),
        "AI text kept: {text}"
    );
    assert!(!text.contains("cus-77"), "customer id kept");
    assert!(ra["request"]["messages"][0].get("text").is_none());
    assert_eq!(ra["request"]["messages"][0]["role"], "customer");
    let hashed = ra["request"]["customer"]["id"].as_str().unwrap();
    assert!(hashed.starts_with("hmac-sha256:"));
    assert_eq!(
        rb["request"]["customer"]["id"],
        ra["request"]["customer"]["id"]
    );
    assert_eq!(
        ra["masked"]["erased"],
        json!([
            "request.messages.text",
            "context.summary",
            "context.ai_attempts",
            // Erasing the messages' text erases the context's quote of it.
            "context.customer_statement.text"
        ])
    );
    assert_eq!(
        ra["masked"]["hashed"],
        json!(["request.customer.id", "context.customer.id"])
    );
    // What decides and is filtered on is still there.
    assert_eq!(ra["action"], "escalate");
    assert_eq!(ra["request"]["customer"]["tier"], "pro");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_store_decisions_work_and_the_log_says_it_is_off() {
    let server = TestServer::start("[store]\nenabled = false\n", &[]).await;
    server.decide(&angry("c-off", "2026-01-01T00:01:00Z")).await;
    let (status, body) = server.get("/v1/decisions").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "store_disabled");
    assert!(
        std::fs::read_dir(server.data.path())
            .unwrap()
            .next()
            .is_none(),
        "nothing written to disk"
    );
}

/// Rows as the writer makes them, varied in every filtered column, several
/// sharing an instant (so ordering ties are broken the same way).
fn rows() -> Vec<Row> {
    (0..40)
        .map(|i: i64| {
            let action = ["escalate", "offer", "stay"][(i % 3) as usize];
            let record = json!({"decision_id": format!("0190-{i:04}"), "n": i}).to_string();
            Row {
                decision_id: format!("0190-{i:04}"),
                conversation_id: format!("conv-{}", i % 7),
                decided_at: 1_700_000_000_000_000 + (i / 3) * 1_000_000,
                recorded_at: 1_800_000_000_000_000 + i,
                channel: Some(if i % 2 == 0 { "chat" } else { "email" }.into()),
                category: (i % 4 != 0)
                    .then(|| ["billing", "account", "security"][(i % 3) as usize].into()),
                subcategory: None,
                customer_tier: Some("pro".into()),
                language: Some(["en", "pt-BR", "es"][(i % 3) as usize].into()),
                customer_id: (i % 5 != 0).then(|| format!("cus-{}", i % 2)),
                action: action.into(),
                shadow_action: None,
                tier: "human_led".into(),
                priority: i % 100,
                score: i as f64 / 10.0,
                hard: i % 5 == 0,
                config_version: 1 + i / 20,
                config_sha256: None,
                generation: 1,
                elapsed_us: 100 + i,
                reasons: (0..(i % 3))
                    .map(|k| ReasonRow {
                        source: "builtin:sentiment".into(),
                        code: ["negative_sentiment", "low_confidence"][(k % 2) as usize].into(),
                        tag: ["ai_gave_wrong_answer", "out_of_scope"][((i + k) % 2) as usize]
                            .into(),
                    })
                    .collect(),
                plugins: (i % 2 == 0)
                    .then(|| PluginRow {
                        plugin: "vip-accounts".into(),
                        version: Some("1.0.0".into()),
                        sha256: Some("ab".into()),
                        verdict: "escalate".into(),
                        error_kind: (i % 4 == 0).then(|| "trap".into()),
                    })
                    .into_iter()
                    .collect(),
                record,
            }
        })
        .collect()
}

fn events() -> Vec<escalator::outcome::Event> {
    let events: Vec<Value> = (0..12)
        .map(|i| {
            let kind = ["human_assigned", "resolved", "csat"][i % 3];
            let decision = if i % 4 == 0 {
                format!("0190-{i:04}")
            } else {
                format!("gone-{i}")
            };
            let mut e = json!({
                "event_id": format!("ev-{i}"),
                "type": kind,
                "conversation_id": format!("conv-{}", i % 7),
                "decision_id": decision,
                "at": format!("2023-11-14T22:{:02}:00Z", 20 + (12 - i) % 5),
            });
            match kind {
                "human_assigned" => e["agent"] = json!("ana"),
                "resolved" => e["by"] = json!("human"),
                _ => e["score"] = json!(1 + i % 5),
            }
            e
        })
        .collect();
    let body = json!({ "events": events });
    escalator::outcome::parse_batch(body.to_string().as_bytes(), chrono::Utc::now()).unwrap()
}

/// Every query the store offers, with its answers, as one JSON value.
async fn answers(db: &Db) -> Value {
    let rows = rows();
    let a = db.insert_decisions(&rows[..25]).await.unwrap();
    let b = db.insert_decisions(&rows[20..]).await.unwrap(); // overlaps: idempotent
    let events = events();
    let first = db
        .insert_events(&events[..8], 1_800_000_000_000_000)
        .await
        .unwrap();
    let second = db
        .insert_events(&events, 1_800_000_000_100_000)
        .await
        .unwrap();
    let mut out = json!({
        "inserted": [a, b],
        "count": db.count_decisions().await.unwrap(),
        "events_first": [first.stored, first.repeated, first.unknown_decisions],
        "events_second": [second.stored, second.repeated, second.unknown_decisions],
        "one": db.decision("0190-0007").await.unwrap(),
        "none": db.decision("nope").await.unwrap(),
    });
    let filters = [
        Filter {
            limit: 100,
            ..Filter::default()
        },
        Filter {
            limit: 7,
            ..Filter::default()
        },
        Filter {
            action: Some("offer".into()),
            limit: 100,
            ..Filter::default()
        },
        Filter {
            conversation: Some("conv-3".into()),
            limit: 100,
            ..Filter::default()
        },
        Filter {
            category: Some("billing".into()),
            limit: 100,
            ..Filter::default()
        },
        Filter {
            reason: Some("low_confidence".into()),
            limit: 100,
            ..Filter::default()
        },
        Filter {
            tag: Some("out_of_scope".into()),
            limit: 100,
            ..Filter::default()
        },
        Filter {
            plugin: Some("vip-accounts".into()),
            limit: 100,
            ..Filter::default()
        },
        Filter {
            since: Some(1_700_000_003_000_000),
            until: Some(1_700_000_008_000_000),
            limit: 100,
            ..Filter::default()
        },
        Filter {
            after: Some((1_700_000_005_000_000, "0190-0016".into())),
            limit: 5,
            ..Filter::default()
        },
    ];
    let mut listed = Vec::new();
    for f in &filters {
        listed.push(json!(db.decisions(f).await.unwrap()));
    }
    out["listed"] = json!(listed);
    let mut conversations = Vec::new();
    for c in ["conv-0", "conv-3", "conv-9"] {
        conversations.push(json!(db.conversation(c).await.unwrap()));
    }
    out["conversations"] = json!(conversations);
    out["export"] = json!(
        db.decisions_between(Some(1_700_000_002_000_000), None, None, 1000)
            .await
            .unwrap()
    );
    out["export_after"] = json!(
        db.decisions_between(
            None,
            None,
            Some((1_700_000_002_000_000, "0190-0007".into())),
            4
        )
        .await
        .unwrap()
    );
    out["events"] = json!(db.events_between(None, None, None, 1000).await.unwrap());
    let prior = |customer: &'static str, exclude: &'static str, max: usize| async move {
        let (count, escalated, contacts) = db
            .prior_contacts(
                customer,
                exclude,
                1_700_000_000_000_000,
                1_700_000_011_000_000,
                max,
            )
            .await
            .unwrap();
        json!({"count": count, "escalated": escalated, "contacts": contacts})
    };
    out["prior"] = json!([
        prior("cus-1", "conv-3", 3).await,
        prior("cus-0", "none", 10).await,
        prior("nobody", "none", 10).await,
    ]);
    out["deleted"] = json!(db.delete_before(1_800_000_000_000_010).await.unwrap());
    out["count_after"] = json!(db.count_decisions().await.unwrap());
    out["listed_after"] = json!(db.decisions(&filters[7]).await.unwrap());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_give_the_same_answer_to_every_query() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::open(&format!("sqlite://{}", dir.path().join("log.db").display()))
        .await
        .unwrap();
    let postgres = Db::open(&pg.new_database()).await.unwrap();
    let (a, b) = (answers(&sqlite).await, answers(&postgres).await);
    assert_eq!(a["count"], 40);
    assert_eq!(a["inserted"], json!([25, 15]));
    assert_eq!(a["events_second"][0], 4, "{}", a["events_second"]);
    assert_eq!(a["deleted"], 10);
    assert_eq!(a["listed"][1].as_array().unwrap().len(), 7);
    // Customer cus-1 (odd i, not a multiple of 5) spoke in conversations
    // 1-6 and 0; without conv-3, six, the newest three listed.
    assert_eq!(a["prior"][0]["count"], 6, "{}", a["prior"][0]);
    assert_eq!(a["prior"][0]["contacts"].as_array().unwrap().len(), 3);
    assert!(
        a["prior"][1]["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["resolved"] == true && c["csat"].is_u64()),
        "{}",
        a["prior"][1]
    );
    assert_eq!(a["prior"][2]["count"], 0);
    for key in a.as_object().unwrap().keys() {
        assert_eq!(a[key], b[key], "SQLite and PostgreSQL differ on {key}");
    }
    // Opening again runs no migration twice.
    Db::open(&pg.new_database()).await.unwrap();
}

/// Fires `n` decisions, `parallel` at a time, and calls `midway` after the
/// first half; returns every decision id answered, and the slowest answer.
async fn load<F, Fut>(server: &TestServer, n: usize, midway: F) -> (Vec<String>, Duration)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut ids = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut midway = Some(midway);
    for round in 0..n / 10 {
        if round == n / 20
            && let Some(f) = midway.take()
        {
            f().await;
        }
        let mut tasks = Vec::new();
        for k in 0..10 {
            let body = calm(&format!("c-load-{round}-{k}"), "2026-01-01T00:00:10Z");
            let client = server.client.clone();
            let url = format!("{}/v1/decide", server.base);
            tasks.push(tokio::spawn(async move {
                let start = Instant::now();
                let r = client.post(url).json(&body).send().await.unwrap();
                let status = r.status().as_u16();
                let v: Value = r.json().await.unwrap();
                (status, v, start.elapsed())
            }));
        }
        for t in tasks {
            let (status, v, took) = t.await.unwrap();
            assert_eq!(status, 200, "a decision failed during the outage: {v}");
            ids.push(v["decision_id"].as_str().unwrap().to_owned());
            slowest = slowest.max(took);
        }
    }
    (ids, slowest)
}

/// Every id is in the store exactly once, and nothing else is.
async fn exactly_once(db: &Db, ids: &[String]) {
    assert_eq!(db.count_decisions().await.unwrap(), ids.len() as i64);
    exactly_once_among(db, ids).await;
}

/// Every id is in the store (ids are keys, so at most once).
async fn exactly_once_among(db: &Db, ids: &[String]) {
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    for id in ids {
        assert!(db.decision(id).await.unwrap().is_some(), "{id} is missing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_under_load_fails_no_decision_and_loses_no_record() {
    let pg = Postgres::start();
    let url = pg.new_database();
    let server = TestServer::start(
        &format!("[store]\nurl = \"{url}\"\nflush_interval_ms = 20\n"),
        &[],
    )
    .await;
    eventually(Duration::from_secs(30), "the store opens", || async {
        server.get("/v1/store").await.1["connected"] == true
    })
    .await;
    // PostgreSQL cannot store NUL in text: such a decision is kept (its
    // columns without the NUL) and holds back nothing behind it.
    let mut odd = calm("c-nul\u{0}x", "2026-01-01T00:00:10Z");
    odd["topic"]["category"] = json!("bil\u{0}ling");
    let odd = server.decide(&odd).await["decision_id"]
        .as_str()
        .unwrap()
        .to_owned();
    written(&server, 1).await;
    let (status, record) = server.get(&format!("/v1/decisions/{odd}")).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["request"]["conversation_id"], "c-nul\u{0}x");
    let (ids, slowest) = load(&server, 400, || async {
        pg.stop();
    })
    .await;
    eventually(Duration::from_secs(30), "records are spooled", || async {
        server.get("/v1/store").await.1["spooled"].as_u64() > Some(0)
    })
    .await;
    let (_, during) = server.get("/v1/store").await;
    assert_eq!(during["connected"], false, "{during}");
    pg.resume();
    eventually(Duration::from_secs(60), "the spool drains", || async {
        let s = server.get("/v1/store").await.1;
        s["spooled"] == 0 && s["written"].as_u64() == Some(ids.len() as u64 + 1)
    })
    .await;
    let (_, after) = server.get("/v1/store").await;
    assert_eq!(after["dropped"], 0, "{after}");
    assert_eq!(after["connected"], true);
    let db = Db::open(&url).await.unwrap();
    let mut all = ids;
    all.push(odd);
    exactly_once(&db, &all).await;
    println!("slowest answer during the outage: {slowest:?}");
}

/// Makes `path` unwritable even for root (`chattr +i`), or writable again.
fn immutable(path: &Path, on: bool) {
    let flag = if on { "+i" } else { "-i" };
    let status = std::process::Command::new("chattr")
        .arg(flag)
        .arg(path)
        .status()
        .expect("chattr (e2fsprogs) is needed to make a file read-only for root");
    assert!(status.success(), "chattr {flag} {} failed", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_sqlite_file_spools_records_until_it_is_writable() {
    let data = tempfile::tempdir().unwrap();
    let config = format!(
        "[store]\ndata_dir = {:?}\nflush_interval_ms = 20\n",
        data.path()
    );
    // A first run creates the file; then it is made read-only.
    let first = TestServer::start(&config, &[]).await;
    first.decide(&calm("c-ro-0", "2026-01-01T00:00:10Z")).await;
    written(&first, 1).await;
    assert!(first.shut_down(Duration::from_secs(30)).await);
    let db_file = data.path().join("escalator.db");
    let guard = Writable(data.path().to_owned(), db_file.clone());
    immutable(&db_file, true);
    immutable(data.path(), true);
    let server = TestServer::start(&config, &[]).await;
    let (ids, _) = load(&server, 100, || async {}).await;
    eventually(
        Duration::from_secs(30),
        "every record is spooled",
        || async { server.get("/v1/store").await.1["spooled"] == 100 },
    )
    .await;
    let (_, during) = server.get("/v1/store").await;
    assert_eq!(during["written"], 0, "{during}");
    drop(guard);
    eventually(Duration::from_secs(60), "the spool drains", || async {
        server.get("/v1/store").await.1["written"] == 100
    })
    .await;
    let (_, after) = server.get("/v1/store").await;
    assert_eq!(after["spooled"], 0);
    assert_eq!(after["dropped"], 0);
    let db = Db::open(&format!("sqlite://{}", db_file.display()))
        .await
        .unwrap();
    let earlier = Filter {
        conversation: Some("c-ro-0".into()),
        limit: 10,
        ..Filter::default()
    };
    assert_eq!(db.decisions(&earlier).await.unwrap().len(), 1);
    let mut all = ids;
    all.push(String::new());
    assert_eq!(db.count_decisions().await.unwrap(), all.len() as i64);
    all.pop();
    exactly_once_among(&db, &all).await;
}

/// Makes the files writable again when dropped, so a failing test leaves
/// nothing immutable behind.
struct Writable(std::path::PathBuf, std::path::PathBuf);

impl Drop for Writable {
    fn drop(&mut self) {
        immutable(&self.0, false);
        immutable(&self.1, false);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_export_writes_the_records_as_json_lines() {
    let server = TestServer::start_with_config_file("", &[]).await;
    server
        .decide(&calm("c-exp-1", "2026-01-03T00:00:10Z"))
        .await;
    server
        .decide(&angry("c-exp-2", "2026-01-03T00:01:00Z"))
        .await;
    written(&server, 2).await;
    let config = server.config_path().display().to_string();
    let missing = server
        .config_dir
        .as_ref()
        .unwrap()
        .path()
        .join("other.toml");
    std::fs::write(&missing, "[store]\ndata_dir = \"nowhere\"\n").unwrap();
    let missing = missing.display().to_string();
    // The command line runs its own runtime: off this one's threads.
    let run = |args: Vec<String>| {
        std::thread::spawn(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            escalator_integration_tests::escalator_cli(&args)
        })
        .join()
        .unwrap()
    };
    let (code, out) = run(vec![
        "log".into(),
        "export".into(),
        "-c".into(),
        config.clone(),
    ]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let conversations: Vec<&str> = lines
        .iter()
        .map(|l| l["conversation_id"].as_str().unwrap())
        .collect();
    assert_eq!(conversations, ["c-exp-1", "c-exp-2"], "oldest first");
    assert!(lines[1]["request"]["messages"].is_array());
    let (code, out) = run(vec![
        "log".into(),
        "export".into(),
        "-c".into(),
        config,
        "--since".into(),
        "2026-01-03T00:00:30Z".into(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().count(), 1);
    let (code, out) = run(vec!["log".into(), "export".into(), "-c".into(), missing]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no decision log"), "{out}");
}
