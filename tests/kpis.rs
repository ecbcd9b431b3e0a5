//! The handoff KPIs against hand-computed expectations, on a fixed fixture
//! of decisions and outcome events (late, out-of-order and repeated events,
//! conversations still open, an empty window), on SQLite and PostgreSQL.

use escalator::config::KpiConfig;
use escalator::kpi::{Report, Window, WindowArgs, compute};
use escalator::store::record::ReasonRow;
use escalator::store::{Db, Row};
use escalator_integration_tests::postgres::Postgres;
use escalator_integration_tests::{TestServer, eventually};
use serde_json::{Value, json};

/// µs of an RFC 3339 time.
fn us(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .unwrap()
        .timestamp_micros()
}

/// A decision of the fixture: conversation, id, time, action, category,
/// channel, reasons as (source, code, tag), and the request's messages.
struct D {
    conv: &'static str,
    id: &'static str,
    at: &'static str,
    action: &'static str,
    category: Option<&'static str>,
    channel: Option<&'static str>,
    reasons: &'static [(&'static str, &'static str, &'static str)],
    customer: &'static str,
    ai: &'static str,
}

fn row(d: &D) -> Row {
    let record = json!({
        "decision_id": d.id,
        "action": d.action,
        "request": {
            "conversation_id": d.conv,
            "topic": {"category": d.category},
            "messages": [
                {"role": "customer", "text": d.customer},
                {"role": "ai", "text": d.ai},
            ],
        },
    });
    Row {
        decision_id: d.id.into(),
        conversation_id: d.conv.into(),
        decided_at: us(d.at),
        recorded_at: us(d.at),
        channel: d.channel.map(Into::into),
        category: d.category.map(Into::into),
        subcategory: None,
        customer_tier: None,
        language: Some("en".into()),
        customer_id: None,
        action: d.action.into(),
        shadow_action: None,
        tier: "human_led".into(),
        priority: 50,
        score: 1.0,
        hard: false,
        config_version: 1,
        config_sha256: None,
        generation: 1,
        elapsed_us: 100,
        reasons: d
            .reasons
            .iter()
            .map(|(source, code, tag)| ReasonRow {
                source: (*source).into(),
                code: (*code).into(),
                tag: (*tag).into(),
            })
            .collect(),
        plugins: Vec::new(),
        record: record.to_string(),
    }
}

const CHARGED: &str = "I was charged twice on my invoice";
const TRIED: &str = "Maybe the second charge is a pending authorisation";

type Reason = (&'static str, &'static str, &'static str);
const CONF: Reason = (
    "builtin:confidence",
    "low_confidence",
    "ai_gave_wrong_answer",
);
const ANGRY: Reason = ("builtin:sentiment", "angry", "other");
const FRUSTRATED: Reason = ("builtin:sentiment", "frustrated", "other");
const VIP: Reason = ("plugin:vip", "vip_account", "policy_required_human");
const HUMAN: Reason = (
    "builtin:human_request",
    "asked_for_human",
    "customer_demanded_human",
);

fn decisions() -> Vec<Row> {
    let d = |conv, id, at, action, category, channel, reasons| D {
        conv,
        id,
        at,
        action,
        category,
        channel,
        reasons,
        customer: CHARGED,
        ai: TRIED,
    };
    let billing = Some("billing");
    let shipping = Some("shipping");
    let account = Some("account");
    let (chat, email) = (Some("chat"), Some("email"));
    [
        d(
            "c1",
            "d1a",
            "2026-10-05T10:00:00Z",
            "stay",
            billing,
            chat,
            &[][..],
        ),
        d(
            "c1",
            "d1b",
            "2026-10-05T10:05:00Z",
            "escalate",
            billing,
            chat,
            &[CONF, ANGRY],
        ),
        d(
            "c2",
            "d2",
            "2026-10-06T09:00:00Z",
            "escalate",
            billing,
            chat,
            &[VIP],
        ),
        d(
            "c3",
            "d3",
            "2026-10-12T12:00:00Z",
            "stay",
            shipping,
            email,
            &[],
        ),
        d(
            "c4",
            "d4",
            "2026-10-13T12:00:00Z",
            "stay",
            shipping,
            email,
            &[],
        ),
        d(
            "c5",
            "d5",
            "2026-10-20T12:00:00Z",
            "escalate",
            shipping,
            chat,
            &[HUMAN],
        ),
        d(
            "c6",
            "d6",
            "2026-10-21T12:00:00Z",
            "escalate",
            account,
            chat,
            &[CONF],
        ),
        d(
            "c7",
            "d7",
            "2026-10-26T10:00:00Z",
            "offer",
            billing,
            chat,
            &[FRUSTRATED],
        ),
        d(
            "c8",
            "d8",
            "2026-11-05T10:00:00Z",
            "escalate",
            billing,
            chat,
            &[CONF],
        ),
        d(
            "c10",
            "d10",
            "2026-10-28T09:00:00Z",
            "stay",
            account,
            None,
            &[],
        ),
    ]
    .iter()
    .map(row)
    .map(|mut r| {
        r.shadow_action = SHADOW
            .iter()
            .find(|(id, _)| *id == r.decision_id)
            .map(|(_, a)| (*a).into());
        r
    })
    .collect()
}

/// The decisions a shadow rule saw, and what it would have made of them.
/// In October: five, three flipped (two in shipping, one in billing); d2,
/// d4, d6, d7 and d10 had none. d8's flip falls after the window.
const SHADOW: &[(&str, &str)] = &[
    ("d1a", "escalate"),
    ("d1b", "escalate"),
    ("d3", "escalate"),
    ("d4", "offer"),
    ("d5", "escalate"),
    ("d8", "stay"),
];

fn ev(id: &str, kind: &str, conv: &str, at: &str, extra: Value) -> Value {
    let mut e = json!({"event_id": id, "type": kind, "conversation_id": conv, "at": at});
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

/// The events, in the batches a help desk would send them: out of order,
/// one late, one batch sent twice.
fn batches() -> Vec<Vec<Value>> {
    vec![
        vec![
            ev(
                "e1",
                "human_assigned",
                "c1",
                "2026-10-05T10:07:00Z",
                json!({"agent": "ana", "queue": "billing"}),
            ),
            ev(
                "e2",
                "human_first_reply",
                "c1",
                "2026-10-05T10:08:00Z",
                json!({"text": "I can see you were charged twice on the invoice, the pending authorisation is not it"}),
            ),
            ev(
                "e3",
                "resolved",
                "c1",
                "2026-10-05T10:30:00Z",
                json!({"by": "human"}),
            ),
            ev(
                "e4",
                "csat",
                "c1",
                "2026-10-05T10:40:00Z",
                json!({"score": 2}),
            ),
            ev(
                "e5",
                "review",
                "c1",
                "2026-10-06T08:00:00Z",
                json!({"decision_id": "d1b", "verdict": "unnecessary"}),
            ),
        ],
        // c2 arrives out of order: the reopen before the resolution.
        vec![
            ev("e20", "reopened", "c2", "2026-10-08T09:00:00Z", json!({})),
            ev(
                "e21",
                "human_assigned",
                "c2",
                "2026-10-06T09:10:00Z",
                json!({"agent": "bob", "queue": "billing"}),
            ),
            ev(
                "e22",
                "human_first_reply",
                "c2",
                "2026-10-06T09:12:00Z",
                json!({"agent": "bob", "text": "Hello! Can you tell me what happened?"}),
            ),
            ev(
                "e23",
                "transferred",
                "c2",
                "2026-10-06T09:20:00Z",
                json!({"to_queue": "tier2"}),
            ),
            ev(
                "e24",
                "human_assigned",
                "c2",
                "2026-10-06T09:21:00Z",
                json!({"agent": "cy", "queue": "tier2"}),
            ),
            ev(
                "e25",
                "handed_back_to_ai",
                "c2",
                "2026-10-06T09:40:00Z",
                json!({"agent": "cy"}),
            ),
            ev(
                "e26",
                "resolved",
                "c2",
                "2026-10-06T10:00:00Z",
                json!({"by": "ai"}),
            ),
            ev(
                "e27",
                "csat",
                "c2",
                "2026-10-06T10:05:00Z",
                json!({"score": 4}),
            ),
            ev(
                "e28",
                "review",
                "c2",
                "2026-10-07T08:00:00Z",
                json!({"decision_id": "d2", "verdict": "unnecessary"}),
            ),
        ],
        vec![
            ev(
                "e30",
                "resolved",
                "c3",
                "2026-10-12T12:05:00Z",
                json!({"by": "ai"}),
            ),
            ev(
                "e31",
                "csat",
                "c3",
                "2026-10-12T12:06:00Z",
                json!({"score": 5}),
            ),
            ev("e60", "abandoned", "c6", "2026-10-21T12:05:00Z", json!({})),
            ev(
                "e70",
                "human_assigned",
                "c7",
                "2026-10-26T10:00:30Z",
                json!({"agent": "ana", "queue": "billing"}),
            ),
            ev(
                "e71",
                "human_first_reply",
                "c7",
                "2026-10-26T10:01:00Z",
                json!({"agent": "ana"}),
            ),
            ev(
                "e72",
                "resolved",
                "c7",
                "2026-10-26T10:20:00Z",
                json!({"by": "human"}),
            ),
            ev(
                "e73",
                "csat",
                "c7",
                "2026-10-26T10:30:00Z",
                json!({"score": 4}),
            ),
            ev(
                "e74",
                "review",
                "c7",
                "2026-10-27T08:00:00Z",
                json!({"decision_id": "d7", "verdict": "missed"}),
            ),
            ev(
                "e90",
                "human_assigned",
                "c9",
                "2026-10-10T10:00:00Z",
                json!({"agent": "dan", "queue": "billing"}),
            ),
            ev(
                "e91",
                "resolved",
                "c9",
                "2026-10-10T10:10:00Z",
                json!({"by": "human"}),
            ),
            ev(
                "e100",
                "resolved",
                "c10",
                "2026-10-28T09:01:00Z",
                json!({"by": "ai"}),
            ),
            ev("e101", "reopened", "c10", "2026-11-07T09:00:00Z", json!({})),
        ],
        // Late: a second rating and a changed verdict for c1, sent weeks on.
        vec![
            ev(
                "e6",
                "csat",
                "c1",
                "2026-10-05T10:50:00Z",
                json!({"score": 3}),
            ),
            ev(
                "e7",
                "review",
                "c1",
                "2026-10-09T08:00:00Z",
                json!({"decision_id": "d1b", "verdict": "correct"}),
            ),
        ],
    ]
}

async fn fill(db: &Db) {
    assert_eq!(db.insert_decisions(&decisions()).await.unwrap(), 10);
    let now = chrono::Utc::now();
    let all = batches();
    for (i, batch) in all.iter().chain(std::iter::once(&all[1])).enumerate() {
        let body = json!({ "events": batch }).to_string();
        let events = escalator::outcome::parse_batch(body.as_bytes(), now).unwrap();
        let written = db.insert_events(&events, 1_000 * i as i64).await.unwrap();
        if i == all.len() {
            assert_eq!(written.stored, 0, "a repeated batch stores nothing");
        }
    }
}

fn settings() -> KpiConfig {
    KpiConfig {
        trend_min_contacts: 1,
        ..KpiConfig::default()
    }
}

async fn report(db: &Db, args: WindowArgs<'_>) -> Report {
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-03T00:00:00Z")
        .unwrap()
        .to_utc();
    let window = Window::parse(&args, now).unwrap();
    compute(db, &window, &settings(), now).await.unwrap()
}

fn october() -> WindowArgs<'static> {
    WindowArgs {
        from: Some("2026-10-05T00:00:00Z"),
        to: Some("2026-11-02T00:00:00Z"),
        bucket: Some("week"),
        ..WindowArgs::default()
    }
}

/// Every figure of the October report, computed by hand from the fixture.
fn check_october(r: &Value) {
    let rate = |path: &str| r.pointer(path).cloned().unwrap_or(Value::Null);
    assert_eq!(r["contacts"], 8, "c8 was decided after the window");
    // Resolved by the AI, never escalated, never with a human: c3, c10.
    assert_eq!(
        rate("/ai_resolution"),
        json!({"count": 2, "of": 8, "rate": 0.25})
    );
    assert_eq!(
        rate("/escalation/escalated"),
        json!({"count": 4, "of": 8, "rate": 0.5})
    );
    assert_eq!(rate("/escalation/offered/count"), 1);
    // Escalated (c1, c2, c5, c6) or reached a human (c7, an accepted offer).
    assert_eq!(rate("/escalation/handed_off/count"), 5);
    let reasons = &r["escalation"]["by_reason"];
    assert_eq!(reasons[0]["key"], "low_confidence");
    assert_eq!(reasons[0]["escalations"]["count"], 2);
    // c1's escalation is split between two reasons, c6's is all its own.
    assert_eq!(reasons[0]["carried"], 0.375);
    let carried: f64 = reasons
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["carried"].as_f64().unwrap())
        .sum();
    assert!((carried - 1.0).abs() < 1e-9, "{reasons}");
    let tags = &r["escalation"]["by_tag"];
    assert_eq!(tags[0]["key"], "ai_gave_wrong_answer");
    assert_eq!(tags[0]["carried"], 0.375);

    // Latest rating of each: c1 3 (sent late), c2 4, c3 5, c7 4.
    assert_eq!(rate("/csat/overall/rated"), 4);
    assert_eq!(rate("/csat/overall/mean"), 4.0);
    assert_eq!(rate("/csat/overall/satisfied/count"), 3);
    assert_eq!(rate("/csat/handoff/mean"), 3.667);
    assert_eq!(rate("/csat/ai_only/mean"), 5.0);
    assert_eq!(rate("/csat/gap"), -0.333);

    // c1 picked up 120 s after its escalation, c2 600 s; c5 still waits;
    // c6 was abandoned first.
    let t = &r["time_to_human"];
    assert_eq!(t["assigned"], 2);
    assert_eq!(t["p50_s"], 120.0);
    assert_eq!(t["p90_s"], 600.0);
    assert_eq!(t["p99_s"], 600.0);
    assert_eq!(t["max_s"], 600.0);
    assert_eq!(t["waiting"], 1);
    assert_eq!(t["closed_without_human"], 1);

    // c1 1 change, c2 3 (assigned, transferred, handed back; the
    // assignment after the transfer opens nothing), c7 1.
    let h = &r["repeat_handoff"];
    assert_eq!(h["conversations"], 3);
    assert_eq!(h["ownership_changes"], 5);
    assert_eq!(h["mean"], 1.667);
    assert_eq!(h["flagged"], true);
    assert_eq!(h["repeat"]["count"], 1);

    // Resolved: c1, c2, c3, c7, c10; c2 reopened within 7 days; c10's
    // reopen came after 10 days, and its window is still open at `now`.
    let n = &r["net_resolution"];
    assert_eq!(n["resolved"]["count"], 5);
    assert_eq!(n["net_resolved"], json!({"count": 4, "of": 8, "rate": 0.5}));
    assert_eq!(n["provisional"], 1);

    // c1's reply knows the problem, c2's asks to start over, c7's had no
    // text.
    let f = &r["first_reply"];
    assert_eq!(f["scored"], 2);
    assert_eq!(f["without_text"], 1);
    assert_eq!(f["pending"], 0);
    assert_eq!(f["aware"]["count"], 1);
    assert_eq!(f["restart"]["count"], 1);
    let agents = f["by_agent"].as_array().unwrap();
    let bob = agents.iter().find(|a| a["key"] == "bob").unwrap();
    assert_eq!(bob["restart"]["count"], 1);
    assert_eq!(bob["mean_score"], 0.0);
    let queues = f["by_queue"].as_array().unwrap();
    assert_eq!(
        queues.len(),
        1,
        "both replies came from billing: {queues:?}"
    );
    assert_eq!(queues[0]["scored"], 2);

    // Handle time: c1 23 min, c2 30 min (to its hand-back), c7 19.5 min;
    // c9, which no decision routed, 10 min.
    let u = &r["utilization"];
    assert_eq!(u["handed_off"]["conversations"], 3);
    assert_eq!(u["handed_off"]["mean_s"], 1450.0);
    assert_eq!(u["handed_off"]["p50_s"], 1380.0);
    assert_eq!(u["handed_off"]["p90_s"], 1800.0);
    assert_eq!(u["direct"]["conversations"], 1);
    assert_eq!(u["direct"]["mean_s"], 600.0);
    assert_eq!(u["ratio"], 2.417);

    let top = &r["top_handoff_categories"];
    assert_eq!(top[0]["category"], "billing");
    assert_eq!(top[0]["share"], json!({"count": 3, "of": 5, "rate": 0.6}));
    assert_eq!(top[1]["category"], "account");
    assert_eq!(r["top_repeat_handoff_categories"][0]["category"], "billing");

    // Weekly: billing 100% then 0% (improving), shipping 0% then 100%
    // (rising: flagged), account 100% then 0%.
    let trend = &r["trend"];
    assert_eq!(trend["buckets"].as_array().unwrap().len(), 4);
    assert_eq!(trend["buckets"][0]["escalation"]["rate"], 1.0);
    assert_eq!(trend["buckets"][1]["escalation"]["rate"], 0.0);
    let shipping = trend["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "shipping")
        .unwrap();
    assert_eq!(shipping["rates"], json!([null, 0.0, 1.0, null]));
    assert_eq!(shipping["slope"], 1.0);
    assert_eq!(trend["improvement_targets"], json!(["shipping"]));

    // The latest verdict counts: c1's escalation was re-judged correct.
    let rule = |name: &str| {
        r["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no rule {name}: {}", r["rules"]))
    };
    let confidence = rule("builtin:confidence");
    assert_eq!(confidence["escalations"], 2);
    assert_eq!(confidence["reviewed"], 1);
    assert_eq!(confidence["correct"]["rate"], 1.0);
    assert_eq!(rule("plugin:vip")["unnecessary"]["count"], 1);
    assert_eq!(rule("builtin:sentiment")["missed"], 1);
    assert_eq!(rule("builtin:human_request")["reviewed"], 0);
    assert_eq!(
        r["reviews"],
        json!({"escalations_reviewed": 2, "correct": 1, "unnecessary": 1,
               "others_reviewed": 1, "missed": 1})
    );

    // Shadowed: d1a (stay → escalate), d1b, d3 (stay → escalate), d4
    // (stay → offer), d5; every decision counts, c1's two included. d8's
    // flip is after the window. Enforced escalations d1b, d5; would-be
    // d1a, d1b, d3, d5. Shipping flipped more than billing, so it leads.
    assert_eq!(
        r["shadow"],
        json!({
            "decisions_with_shadow": 5,
            "flips": 3,
            "flip_rate": 0.6,
            "escalation_rate": {
                "enforced": {"count": 2, "of": 5, "rate": 0.4},
                "would_be": {"count": 4, "of": 5, "rate": 0.8},
                "delta_points": 40.0,
            },
            "transitions": [
                {"from": "stay", "to": "escalate", "count": 2},
                {"from": "stay", "to": "offer", "count": 1},
            ],
            "by_category": [
                {"category": "shipping", "decisions": 3, "flips": 2,
                 "escalations": 1, "would_be_escalations": 2},
                {"category": "billing", "decisions": 2, "flips": 1,
                 "escalations": 1, "would_be_escalations": 2},
            ],
        })
    );
}

/// The shadow section when no decision of the report had a shadow
/// evaluation: present, zeros and nulls.
fn check_no_shadow(r: &Report) {
    assert_eq!(
        serde_json::to_value(&r.shadow).unwrap(),
        json!({
            "decisions_with_shadow": 0,
            "flips": 0,
            "flip_rate": null,
            "escalation_rate": {
                "enforced": {"count": 0, "of": 0, "rate": null},
                "would_be": {"count": 0, "of": 0, "rate": null},
                "delta_points": null,
            },
            "transitions": [],
            "by_category": [],
        })
    );
}

/// `report` as a table and as CSV.
fn rendered(report: &Report) -> (String, String) {
    let mut table = Vec::new();
    escalator::kpi::render::table(report, &mut table).unwrap();
    let mut csv = Vec::new();
    escalator::kpi::render::csv(report, &mut csv).unwrap();
    (
        String::from_utf8(table).unwrap(),
        String::from_utf8(csv).unwrap(),
    )
}

async fn check_store(db: &Db) -> Value {
    fill(db).await;
    let october_report = report(db, october()).await;
    let whole = serde_json::to_value(&october_report).unwrap();
    check_october(&whole);
    let (table, csv) = rendered(&october_report);
    assert!(
        table.contains("\nShadow rules (would-be effect on live traffic)\n"),
        "{table}"
    );
    assert!(table.contains("60.0% (3/5)"), "{table}");
    assert!(
        table.contains("40.0% (2/5) → 80.0% (4/5) (+40.0 points)"),
        "{table}"
    );
    for line in [
        "shadow.decisions_with_shadow,5",
        "shadow.flip_rate,0.6",
        "shadow.escalation_rate.delta_points,40.0",
        "shadow.transitions[stay->escalate].count,2",
        "shadow.transitions[stay->offer].to,offer",
        "shadow.by_category[shipping].flips,2",
        "shadow.by_category[billing].would_be_escalations,2",
    ] {
        assert!(csv.contains(&format!("\n{line}\n")), "{line}: {csv}");
    }

    let billing = report(
        db,
        WindowArgs {
            category: Some("billing"),
            ..october()
        },
    )
    .await;
    assert_eq!(billing.contacts, 3);
    assert_eq!(billing.escalation.escalated.count, 2);
    // c1's two decisions; c2 and c7 had no shadow rule.
    let sh = &billing.shadow;
    assert_eq!((sh.decisions_with_shadow, sh.flips), (2, 1));
    assert_eq!(sh.flip_rate, Some(0.5));
    assert_eq!(sh.escalation_rate.delta_points, Some(50.0));
    assert_eq!(sh.by_category.len(), 1);
    assert_eq!(sh.by_category[0].category, "billing");
    // With a category filter, c9 (no decision, no category) is left out.
    assert_eq!(billing.utilization.handed_off.conversations, 3);
    assert_eq!(billing.utilization.direct.conversations, 0);
    let email = report(
        db,
        WindowArgs {
            channel: Some("email"),
            ..october()
        },
    )
    .await;
    assert_eq!(email.contacts, 2);
    // c3 and c4, both flipped; none escalated, one would have.
    let sh = &email.shadow;
    assert_eq!((sh.decisions_with_shadow, sh.flips), (2, 2));
    assert_eq!(sh.escalation_rate.enforced.rate, Some(0.0));
    assert_eq!(sh.escalation_rate.would_be.rate, Some(0.5));
    assert_eq!(sh.transitions.len(), 2);
    let none = report(
        db,
        WindowArgs {
            channel: Some("(none)"),
            ..october()
        },
    )
    .await;
    assert_eq!(none.contacts, 1, "c10 has no channel");
    check_no_shadow(&none);
    let (table, csv) = rendered(&none);
    assert!(!table.contains("Shadow rules"), "{table}");
    assert!(csv.contains("\nshadow.decisions_with_shadow,0\n"), "{csv}");
    assert!(csv.contains("\nshadow.flip_rate,\n"), "{csv}");

    let empty = report(
        db,
        WindowArgs {
            from: Some("2025-01-01T00:00:00Z"),
            to: Some("2025-02-01T00:00:00Z"),
            ..WindowArgs::default()
        },
    )
    .await;
    assert!(empty.no_data);
    assert_eq!(empty.contacts, 0);
    assert_eq!(empty.ai_resolution.rate, None);
    assert_eq!(empty.time_to_human.p50_s, None);
    assert_eq!(empty.csat.gap, None);
    assert_eq!(empty.repeat_handoff.mean, None);
    assert!(!empty.repeat_handoff.flagged);
    check_no_shadow(&empty);
    json!({"october": whole, "billing": billing, "empty": empty})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kpi_matches_the_hand_computed_figures_on_sqlite_and_postgres() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::open(&format!("sqlite://{}", dir.path().join("log.db").display()))
        .await
        .unwrap();
    let postgres = Db::open(&pg.new_database()).await.unwrap();
    let a = check_store(&sqlite).await;
    let b = check_store(&postgres).await;
    assert_eq!(a, b, "SQLite and PostgreSQL differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_and_the_command_line_serve_the_report() {
    let server = TestServer::start_with_config_file("", &[]).await;
    let c = json!({
        "conversation_id": "api-1",
        "channel": "chat",
        "now": "2026-10-05T10:00:00Z",
        "topic": {"category": "billing"},
        "messages": [{"role": "customer", "text": "This is useless, get me a human now!",
                      "at": "2026-10-05T09:59:50Z"}],
    });
    let decision = server.decide(&c).await;
    assert_eq!(decision["action"], "escalate", "{decision}");
    eventually(
        std::time::Duration::from_secs(30),
        "the decision is written",
        || async { server.get("/v1/store").await.1["written"].as_u64() >= Some(1) },
    )
    .await;
    let (status, body) = server
        .post(
            "/v1/outcomes",
            &json!({"events": [
                ev("a1", "human_assigned", "api-1", "2026-10-05T10:01:30Z", json!({"agent": "ana"})),
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let query = "/v1/kpis?from=2026-10-05T00:00:00Z&to=2026-10-12T00:00:00Z&bucket=day";
    let (status, r) = server.get(query).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["contacts"], 1);
    assert_eq!(r["escalation"]["escalated"]["rate"], 1.0);
    assert_eq!(r["time_to_human"]["p50_s"], 90.0);

    // The help desk's clock runs 20 s behind the caller's: its assignment
    // is dated before the escalation it answers, and still answers it.
    let mut late_clock = c.clone();
    late_clock["conversation_id"] = json!("api-2");
    assert_eq!(server.decide(&late_clock).await["action"], "escalate");
    eventually(
        std::time::Duration::from_secs(30),
        "the second decision is written",
        || async { server.get("/v1/store").await.1["written"].as_u64() >= Some(2) },
    )
    .await;
    let (status, body) = server
        .post(
            "/v1/outcomes",
            &json!({"events": [
                ev("a2", "human_assigned", "api-2", "2026-10-05T09:59:40Z", json!({"agent": "bo"})),
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, skewed) = server.get(query).await;
    let t = &skewed["time_to_human"];
    assert_eq!(
        (t["assigned"].clone(), t["waiting"].clone()),
        (json!(2), json!(0)),
        "{t}"
    );
    assert_eq!(t["p50_s"], 0.0, "{t}");
    assert_eq!(t["p90_s"], 90.0, "{t}");
    assert_eq!(r["trend"]["buckets"].as_array().unwrap().len(), 7);

    for (bad, field) in [
        ("/v1/kpis?from=soon", "from"),
        ("/v1/kpis?bucket=month", "bucket"),
        (
            "/v1/kpis?from=2026-10-05T00:00:00Z&from=2026-10-06T00:00:00Z",
            "from",
        ),
        ("/v1/kpis?colour=red", "colour"),
    ] {
        let (status, body) = server.get(bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["field"], field, "{bad}: {body}");
    }

    // The command line reads the same store and says the same.
    let config = server.config_path();
    let config = config.to_str().unwrap();
    let args = [
        "kpis",
        "-c",
        config,
        "--from",
        "2026-10-05T00:00:00Z",
        "--to",
        "2026-10-12T00:00:00Z",
    ];
    let (code, json_out) = tokio::task::spawn_blocking({
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        move || {
            let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
            a.extend(["--format", "json"]);
            escalator_integration_tests::escalator_cli(&a)
        }
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{json_out}");
    let cli: Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(cli["contacts"], 2);
    assert_eq!(cli["time_to_human"], skewed["time_to_human"]);
    let (code, table) = tokio::task::spawn_blocking({
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            escalator_integration_tests::escalator_cli(&a)
        }
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{table}");
    assert!(table.contains("escalation rate"), "{table}");
    assert!(table.contains("100.0% (2/2)"), "{table}");
    let (code, csv) = tokio::task::spawn_blocking({
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        move || {
            let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
            a.extend(["--format", "csv"]);
            escalator_integration_tests::escalator_cli(&a)
        }
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{csv}");
    assert!(csv.starts_with("metric,value\n"), "{csv}");
    assert!(csv.contains("\ncontacts,2\n"), "{csv}");
    assert!(csv.contains("\ntime_to_human.p90_s,90.0\n"), "{csv}");
}

fn said(id: &str, category: &str, text: &str) -> Value {
    json!({
        "conversation_id": id,
        "channel": "chat",
        "now": "2026-10-05T10:00:00Z",
        "topic": {"category": category},
        "messages": [{"role": "customer", "text": text, "at": "2026-10-05T09:59:50Z"}],
    })
}

fn cli(args: Vec<String>) -> tokio::task::JoinHandle<(i32, String)> {
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        escalator_integration_tests::escalator_cli(&a)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_queue_mixes_categories_and_its_export_runs_under_escalator_test() {
    let server = TestServer::start_with_config_file("", &[]).await;
    let angry = "This is ridiculous, get me a human now!";
    let mut ids: std::collections::BTreeMap<String, String> = Default::default();
    let plan = [
        ("b1", "billing", angry),
        ("b2", "billing", angry),
        ("b3", "billing", angry),
        ("b4", "billing", angry),
        ("s1", "shipping", angry),
        ("s2", "shipping", angry),
        ("a1", "account", angry),
        ("q1", "billing", "How do I download an invoice?"),
    ];
    for (id, category, text) in plan {
        let d = server.decide(&said(id, category, text)).await;
        let want = if id == "q1" { "stay" } else { "escalate" };
        assert_eq!(d["action"], want, "{id}: {d}");
        ids.insert(id.into(), d["decision_id"].as_str().unwrap().into());
    }
    eventually(
        std::time::Duration::from_secs(30),
        "the decisions are written",
        || async { server.get("/v1/store").await.1["written"].as_u64() >= Some(8) },
    )
    .await;

    // Three items from three categories, though billing has twice the rest.
    let (status, r) = server.get("/v1/review?limit=3&seed=w40").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["pool"], 7, "only escalations are offered: {r}");
    assert_eq!(
        r["strata"],
        json!({"account": 1, "billing": 4, "shipping": 2})
    );
    let items = r["items"].as_array().unwrap();
    let mut cats: Vec<&str> = items
        .iter()
        .map(|i| i["category"].as_str().unwrap())
        .collect();
    cats.sort_unstable();
    assert_eq!(cats, ["account", "billing", "shipping"]);
    for item in items {
        assert!(item["context"]["summary"].is_string(), "{item}");
        assert!(!item["reasons"].as_array().unwrap().is_empty(), "{item}");
        assert!(item["review"].is_null());
    }
    assert_eq!(
        server.get("/v1/review?limit=3&seed=w40").await.1["items"],
        r["items"]
    );
    let (_, shipping) = server.get("/v1/review?category=shipping").await;
    assert_eq!(shipping["items"].as_array().unwrap().len(), 2);
    let (status, bad) = server.get("/v1/review?unreviewed=maybe").await;
    assert_eq!(status, 400, "{bad}");

    // Reviewers judge four decisions; one billing one twice.
    let review = |n: &str, conv: &str, verdict: &str| {
        ev(
            &format!("r-{n}"),
            "review",
            conv,
            "2026-10-06T10:00:00Z",
            json!({"decision_id": ids[conv], "verdict": verdict, "reviewer": "lee"}),
        )
    };
    let mut later = review("b1-again", "b1", "correct");
    later["at"] = json!("2026-10-07T10:00:00Z");
    let (status, body) = server
        .post(
            "/v1/outcomes",
            &json!({"events": [
                review("b1", "b1", "unnecessary"), later, review("b2", "b2", "correct"),
                review("s1", "s1", "unnecessary"), review("q1", "q1", "missed"),
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, open) = server.get("/v1/review?unreviewed=true&limit=50").await;
    assert_eq!(open["pool"], 4, "{open}");
    let (_, all) = server.get("/v1/review?category=billing&limit=50").await;
    let b1 = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["decision_id"] == ids["b1"].as_str())
        .unwrap();
    assert_eq!(
        b1["review"]["verdict"], "correct",
        "the latest verdict: {b1}"
    );

    // The export: one file per verdict.
    // The server's plugins directory is not its config's: the export
    // names it.
    let config = server.config_path();
    let plugins = server.plugin_path("none");
    let plugins = plugins.parent().unwrap();
    let out = tempfile::tempdir().unwrap();
    // A verdict file of an earlier export that this one has no cases for.
    let stale = out.path().join("reviewed-obsolete.test.json");
    std::fs::write(&stale, "left by an earlier export").unwrap();
    let (code, text) = cli(vec![
        "review".into(),
        "export".into(),
        "-c".into(),
        config.display().to_string(),
        "--plugins".into(),
        plugins.display().to_string(),
        "--out".into(),
        out.path().display().to_string(),
    ])
    .await
    .unwrap();
    assert_eq!(code, 0, "{text}");
    let file = |v: &str| out.path().join(format!("reviewed-{v}.test.json"));
    let cases = |v: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(file(v)).unwrap()).unwrap()
    };
    assert_eq!(cases("correct")["cases"].as_array().unwrap().len(), 2);
    assert_eq!(cases("unnecessary")["cases"].as_array().unwrap().len(), 1);
    assert_eq!(cases("missed")["cases"][0]["expect"]["action"], "escalate");
    assert!(!stale.exists(), "an earlier export's file is replaced");

    // The verdicts the rules agree with run green against the same rules;
    // the corrected ones fail, naming what the reviewer wanted, until the
    // rules change.
    let test = |v: &str| cli(vec!["test".into(), file(v).display().to_string()]);
    let (code, text) = test("correct").await.unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("2 passed, 0 failed"), "{text}");
    let (code, text) = test("unnecessary").await.unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("expected one of stay, offer, got escalate"),
        "{text}"
    );
    let (code, text) = test("missed").await.unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("got stay"), "{text}");
}
