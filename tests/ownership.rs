//! The two-way door, end to end: ownership events in the request, the
//! hand-back question while a human owns the conversation, plugins built
//! against every interface version, and the whole story in the context,
//! prior contacts included when the decision log holds them.

use std::time::Duration;

use escalator_integration_tests::{TestServer, eventually, vote};
use serde_json::{Value, json};

fn msg(role: &str, text: &str, at: &str) -> Value {
    json!({"role": role, "text": text, "at": format!("2026-03-02T14:{at}Z")})
}

fn ai(text: &str, at: &str, confidence: f64) -> Value {
    let mut m = msg("ai", text, at);
    m["ai"] = json!({"confidence": confidence, "outcome": "answered"});
    m
}

fn event(at: &str, event: Value) -> Value {
    json!({"role": "system", "at": format!("2026-03-02T14:{at}Z"), "event": event})
}

/// An angry customer handed to Maria, who fixed it; then `rest`.
fn story(id: &str, customer: &str, rest: Vec<Value>, now: &str) -> Value {
    let mut messages = vec![
        msg(
            "customer",
            "I was charged twice this month!! This is ridiculous.",
            "00:00",
        ),
        ai("Let me check your billing history.", "00:10", 0.5),
        msg("customer", "I want to talk to a human right now.", "01:00"),
        event(
            "01:05",
            json!({"type": "handoff_to_human", "agent": "Maria", "queue": "billing"}),
        ),
        msg(
            "agent",
            "Hi, I'm Maria. I have refunded the duplicate charge.",
            "02:00",
        ),
    ];
    messages.extend(rest);
    json!({
        "conversation_id": id,
        "channel": "chat",
        "now": format!("2026-03-02T14:{now}Z"),
        "customer": {"id": customer, "language": "en"},
        "topic": {"category": "billing", "subcategory": "invoice"},
        "messages": messages,
    })
}

/// Maria handed it back; the customer then writes `text`, and the AI
/// answers confidently.
fn after_handback(id: &str, text: &str) -> Value {
    story(
        id,
        "c-1",
        vec![
            msg("customer", "Thank you, that worked.", "03:00"),
            event(
                "05:00",
                json!({"type": "handback_to_ai", "agent": "Maria", "reason": "refund issued"}),
            ),
            msg("customer", text, "25:00"),
        ],
        "25:30",
    )
}

/// Maria still owns it; the customer writes `text` and the AI drafts a
/// confident answer in the background.
fn with_human(id: &str, text: &str) -> Value {
    story(
        id,
        "c-1",
        vec![
            msg("customer", text, "03:00"),
            ai(
                "Go to Billing > Invoices and click Download.",
                "03:05",
                0.95,
            ),
        ],
        "03:30",
    )
}

fn reason_codes(d: &Value) -> Vec<&str> {
    d["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_built_against_interface_0_1_still_loads_and_votes() {
    let server = TestServer::start(
        "[store]\nenabled = false\n",
        &["legacy-v01", "vip-accounts"],
    )
    .await;
    let legacy = server.plugin_status("legacy-v01").await.unwrap();
    assert_eq!(legacy["status"], "active", "{legacy}");
    assert_eq!(legacy["interface"], "escalator:rules@0.1.0");
    let current = server.plugin_status("vip-accounts").await.unwrap();
    assert_eq!(current["interface"], "escalator:rules@0.3.0");

    // It sees every message, the event-only ones included (with empty
    // text), and its escalation carries the decision.
    let body = after_handback("legacy-1", "Is there a legacy plan I can switch to?");
    let d = server.decide(&body).await;
    let v = vote(&d, "plugin:legacy-v01");
    assert_eq!(v["verdict"], "escalate", "{v}");
    assert_eq!(v["reason"], "keyword");
    let n = body["messages"].as_array().unwrap().len();
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("({n} messages")),
        "{v}"
    );
    assert!(v["error"].is_null(), "{v}");
    assert_eq!(d["action"], "escalate", "{d}");
    assert_eq!(reason_codes(&d), ["legacy-v01/keyword"]);

    // While a human owns it, its `stay` says nothing about taking it back:
    // the conversation goes back on the built-in test alone.
    let d = server
        .decide(&with_human(
            "legacy-2",
            "Thanks, that worked. How do I download my invoice?",
        ))
        .await;
    assert_eq!(vote(&d, "plugin:legacy-v01")["verdict"], "stay");
    assert_eq!(d["action"], "hand_back", "{}", d["context"]["summary"]);

    // Its `escalate` is a vote to keep the human: one against one stays.
    let d = server
        .decide(&with_human(
            "legacy-3",
            "Thanks, that worked. How do I download my legacy invoice?",
        ))
        .await;
    assert_eq!(d["action"], "stay_with_human", "{d}");
    assert_eq!(reason_codes(&d), ["legacy-v01/keyword"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_built_against_interface_0_2_still_loads_and_votes() {
    let config =
        "[store]\nenabled = false\n[plugins.legacy-v02]\nsettings = { keyword = \"plan\" }\n";
    let server = TestServer::start(config, &["legacy-v02"]).await;
    let legacy = server.plugin_status("legacy-v02").await.unwrap();
    assert_eq!(legacy["status"], "active", "{legacy}");
    assert_eq!(legacy["interface"], "escalator:rules@0.2.0");
    // Its declaration is read through 0.2's `describe`: nothing secret.
    assert_eq!(legacy["settings"], json!({"keyword": "plan"}), "{legacy}");

    // It is handed the whole input: every message, the events, where the
    // AI's stretch begins; and its vote carries the decision.
    let body = after_handback("legacy-v02-1", "Is there a cheaper plan I can switch to?");
    let d = server.decide(&body).await;
    let v = vote(&d, "plugin:legacy-v02");
    assert_eq!(v["verdict"], "escalate", "{v}");
    assert_eq!(v["reason"], "keyword");
    assert_eq!(v["priority"], 56);
    assert!(v["error"].is_null(), "{v}");
    let n = body["messages"].as_array().unwrap().len();
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("({n} messages, 2 events, segment from ")),
        "{v}"
    );
    assert!(!detail.contains("segment from 0,"), "{v}");
    assert_eq!(d["action"], "escalate", "{d}");
    assert_eq!(reason_codes(&d), ["legacy-v02/keyword"]);

    // Without its keyword it says stay; while a human owns the
    // conversation, its 0.2 `hand-back` verdict reaches the merge.
    let d = server
        .decide(&after_handback("legacy-v02-2", "Where is my parcel?"))
        .await;
    assert_eq!(vote(&d, "plugin:legacy-v02")["verdict"], "stay", "{d}");
    let d = server
        .decide(&with_human(
            "legacy-v02-3",
            "Thanks, that worked. How do I download my invoice?",
        ))
        .await;
    assert_eq!(vote(&d, "plugin:legacy-v02")["verdict"], "hand_back", "{d}");
    assert_eq!(d["action"], "hand_back", "{}", d["context"]["summary"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_decides_the_hand_back_when_the_routine_test_is_its_own() {
    let config = "[handback]\nroutine = \"plugin\"\n[store]\nenabled = false\n";
    let server = TestServer::start(config, &["handback-vote"]).await;

    let d = server
        .decide(&with_human(
            "p-1",
            "Thanks, that worked. Where is my invoice?",
        ))
        .await;
    assert_eq!(d["action"], "hand_back", "{d}");
    assert_eq!(reason_codes(&d), ["handback-vote/routine_billing"]);
    // The plugin was told who owns it and where the human's stretch began.
    assert_eq!(
        vote(&d, "plugin:handback-vote")["detail"],
        "Maria owns it since message 3 (1 changes)"
    );
    assert_eq!(d["tier"], "ai_assisted");

    // No plugin says it is routine: it stays, however confident the AI.
    let d = server
        .decide(&with_human(
            "p-2",
            "Thanks, that worked. Can you merge my two accounts?",
        ))
        .await;
    assert_eq!(d["action"], "stay_with_human", "{d}");
    assert_eq!(reason_codes(&d), ["not_routine"]);

    // A plugin's vote to keep the human outweighs nothing built in here,
    // but nothing hands it back either.
    let d = server
        .decide(&with_human("p-3", "Thanks. My lawyer asked about it."))
        .await;
    assert_eq!(d["action"], "stay_with_human", "{d}");
    assert!(
        reason_codes(&d).contains(&"handback-vote/legal_words"),
        "{d}"
    );

    // While the AI owns the conversation the plugin abstains and the usual
    // question is answered.
    let d = server
        .decide(&after_handback("p-4", "How do I download my invoice?"))
        .await;
    assert_eq!(d["action"], "stay", "{d}");
    assert_eq!(vote(&d, "plugin:handback-vote")["verdict"], "abstain");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_context_tells_the_whole_story() {
    let server = TestServer::start("[store]\nenabled = false\n", &[]).await;
    let mut body = after_handback(
        "story-1",
        "This is ridiculous, the invoice is wrong again and I'm furious!!",
    );
    let messages = body["messages"].as_array_mut().unwrap();
    messages[0]["attachments"] = json!([
        {"name": "statement.pdf", "type": "application/pdf", "url": "https://files.example/s.pdf"}
    ]);
    let d = server.decide(&body).await;
    assert_eq!(d["action"], "escalate");
    // Only the new segment's reasons: the old request for a human and the
    // turns before the hand-back do not count.
    assert_eq!(reason_codes(&d), ["negative_sentiment"]);
    let c = &d["context"];
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(
            "Second handoff: Maria handed the conversation back to the AI at 14:05 UTC \
             (refund issued); now angry again about billing/invoice"
        ),
        "{summary}"
    );
    let owners: Vec<&str> = c["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["owner"].as_str().unwrap())
        .collect();
    assert_eq!(owners, ["ai", "human", "ai"]);
    assert_eq!(c["segments"][1]["agent"], "Maria");
    assert_eq!(c["segments"][2]["reason"], "refund issued");
    assert_eq!(
        c["customer_statement"]["text"],
        "I was charged twice this month!! This is ridiculous."
    );
    assert_eq!(
        c["attachments"],
        json!([{"message": 0, "role": "customer", "name": "statement.pdf",
                "type": "application/pdf", "url": "https://files.example/s.pdf"}])
    );
    assert_eq!(d["ownership"]["owner"], "ai");
    assert_eq!(d["ownership"]["changes"], 2);
    // No decision log here: no prior contacts, and no error either.
    assert!(c.get("prior_contacts").is_none(), "{c}");
}

#[tokio::test(flavor = "multi_thread")]
async fn prior_contacts_come_from_the_decision_log() {
    let server = TestServer::start("[store]\nflush_interval_ms = 20\n", &[]).await;
    eventually(Duration::from_secs(30), "the store opens", || async {
        server.get("/v1/store").await.1["connected"] == true
    })
    .await;
    // An earlier conversation of customer c-9: escalated, resolved, rated 2.
    let earlier = story("earlier", "c-9", vec![], "02:30");
    let mut earlier = earlier;
    earlier["messages"].as_array_mut().unwrap().truncate(3);
    earlier["now"] = json!("2026-03-01T10:00:00Z");
    for m in earlier["messages"].as_array_mut().unwrap() {
        let at = m["at"]
            .as_str()
            .unwrap()
            .replace("2026-03-02T14", "2026-03-01T09");
        m["at"] = json!(at);
    }
    let first = server.decide(&earlier).await;
    assert_eq!(first["action"], "escalate", "{first}");
    let (status, _) = server
        .post(
            "/v1/outcomes",
            &json!({"events": [
                {"event_id": "e1", "type": "resolved", "conversation_id": "earlier",
                 "at": "2026-03-01T10:30:00Z", "by": "human"},
                {"event_id": "e2", "type": "csat", "conversation_id": "earlier",
                 "at": "2026-03-01T10:40:00Z", "score": 2},
            ]}),
        )
        .await;
    assert_eq!(status, 200);
    eventually(
        Duration::from_secs(30),
        "the decision is written",
        || async { server.get("/v1/store").await.1["written"].as_u64() >= Some(1) },
    )
    .await;

    // Now the same customer is escalated again: the human sees the history.
    let now = after_handback("later", "This is ridiculous, I'm furious!! Wrong again!");
    let mut now = now;
    now["customer"]["id"] = json!("c-9");
    let d = server.decide(&now).await;
    assert_eq!(d["action"], "escalate");
    let prior = &d["context"]["prior_contacts"];
    assert_eq!(prior["count"], 1, "{prior}");
    assert_eq!(prior["days"], 30);
    let c = &prior["contacts"][0];
    assert_eq!(c["conversation_id"], "earlier");
    assert_eq!(c["category"], "billing/invoice");
    assert_eq!(c["escalated"], true);
    assert_eq!(c["resolved"], true);
    assert_eq!(c["reopened"], false);
    assert_eq!(c["csat"], 2);
    let summary = d["context"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("Prior contacts: 1 in 30 days, 1 escalated, lowest CSAT 2."),
        "{summary}"
    );

    // A customer with no history gets an empty list, not an error; a
    // decision that keeps the AI does not look.
    let mut stranger = now.clone();
    stranger["customer"]["id"] = json!("c-new");
    let d = server.decide(&stranger).await;
    assert_eq!(d["context"]["prior_contacts"]["count"], 0);
    let calm = after_handback("calm", "How do I download my invoice?");
    let mut calm = calm;
    calm["customer"]["id"] = json!("c-9");
    let msgs = calm["messages"].as_array_mut().unwrap();
    msgs.push(ai("Billing > Invoices > Download.", "25:10", 0.95));
    let d = server.decide(&calm).await;
    assert_eq!(d["action"], "stay", "{d}");
    assert!(d["context"].get("prior_contacts").is_none());

    // A blank customer id is no id: anonymous callers are not pooled.
    let mut anonymous = now.clone();
    anonymous["customer"]["id"] = json!("  ");
    anonymous["conversation_id"] = json!("anon-1");
    server.decide(&anonymous).await;
    eventually(Duration::from_secs(30), "it is written", || async {
        server.get("/v1/store").await.1["written"].as_u64() >= Some(5)
    })
    .await;
    anonymous["conversation_id"] = json!("anon-2");
    let d = server.decide(&anonymous).await;
    assert_eq!(d["action"], "escalate");
    assert!(d["context"].get("prior_contacts").is_none(), "{d}");
}
