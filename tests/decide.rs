//! Built-in triggers and the merge, over HTTP against a real server.

use escalator_integration_tests::{TestServer, conversation, vote};
use serde_json::json;

const ANGRY: &str = "This is absolutely terrible, I hate your useless service!";

#[tokio::test(flavor = "multi_thread")]
async fn angry_customer_is_escalated_by_the_sentiment_trigger_to_a_senior_agent() {
    let server = TestServer::start("", &[]).await;
    let d = server
        .decide(&conversation(&[
            ("customer", "Hi, my order never arrived", None),
            ("ai", "I am sorry to hear that. Let me check.", Some(0.9)),
            ("customer", ANGRY, None),
        ]))
        .await;
    assert_eq!(d["action"], "escalate");
    assert_eq!(d["escalate"], true);
    let v = vote(&d, "builtin:sentiment");
    assert_eq!(v["verdict"], "escalate");
    assert_eq!(v["reason"], "negative_sentiment");
    assert_eq!(d["route"]["senior"], true);
    assert_eq!(d["reasons"][0]["source"], "builtin:sentiment");
    assert_eq!(d["reasons"][0]["code"], "negative_sentiment");
    assert!(d["decision_id"].as_str().unwrap().len() >= 32);
}

#[tokio::test(flavor = "multi_thread")]
async fn calm_confident_conversation_stays_with_every_builtin_abstaining() {
    let server = TestServer::start("", &[]).await;
    let d = server
        .decide(&conversation(&[
            ("customer", "Hi, where is my order?", None),
            ("ai", "It ships tomorrow.", Some(0.92)),
            ("customer", "Great, thanks!", None),
        ]))
        .await;
    assert_eq!(d["action"], "stay");
    assert_eq!(d["escalate"], false);
    assert_eq!(d["score"], 0.0);
    assert_eq!(vote(&d, "builtin:confidence")["verdict"], "abstain");
    assert_eq!(vote(&d, "builtin:sentiment")["verdict"], "abstain");
    assert!(d["reasons"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn confidence_trigger_fires_below_the_threshold_only() {
    let server = TestServer::start("", &[]).await;
    let decide = |c: f64| {
        conversation(&[
            ("customer", "How do I export my invoices?", None),
            ("ai", "I think you can try settings.", Some(c)),
        ])
    };
    let low = server.decide(&decide(0.3)).await;
    assert_eq!(low["action"], "escalate");
    assert_eq!(vote(&low, "builtin:confidence")["reason"], "low_confidence");
    // The threshold itself is not "below".
    let at = server.decide(&decide(0.55)).await;
    assert_eq!(vote(&at, "builtin:confidence")["verdict"], "abstain");
    assert_eq!(at["action"], "stay");
    // Only the latest AI turn counts: a low turn followed by a confident one is fine.
    let recovered = server
        .decide(&conversation(&[
            ("customer", "How do I export invoices?", None),
            ("ai", "Not sure.", Some(0.2)),
            ("customer", "The export button?", None),
            ("ai", "Yes, Billing > Export.", Some(0.95)),
        ]))
        .await;
    assert_eq!(vote(&recovered, "builtin:confidence")["verdict"], "abstain");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_streak_of_negative_messages_escalates_but_one_only_offers() {
    let server = TestServer::start("", &[]).await;
    // Each scores between -0.6 and -0.3: negative, not very negative.
    let one = "The app is slow and that is annoying";
    let two = "That is a bad answer";
    let d = server
        .decide(&conversation(&[("customer", one, None)]))
        .await;
    assert_eq!(vote(&d, "builtin:sentiment")["reason"], "frustrated", "{d}");
    assert_eq!(d["action"], "offer", "{d}");
    let d = server
        .decide(&conversation(&[
            ("customer", one, None),
            ("ai", "Sorry about that.", Some(0.8)),
            ("customer", two, None),
        ]))
        .await;
    let v = vote(&d, "builtin:sentiment");
    assert_eq!(v["reason"], "frustration_streak", "{d}");
    assert_eq!(d["action"], "escalate");
}

#[tokio::test(flavor = "multi_thread")]
async fn thresholds_and_weights_come_from_the_config_file() {
    let server = TestServer::start(
        "[triggers.confidence]\nthreshold = 0.2\n[triggers.sentiment]\nenabled = false\n",
        &[],
    )
    .await;
    let d = server
        .decide(&conversation(&[
            ("customer", ANGRY, None),
            ("ai", "Maybe?", Some(0.3)),
        ]))
        .await;
    assert_eq!(vote(&d, "builtin:confidence")["verdict"], "abstain");
    assert!(
        d["votes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["source"] != "builtin:sentiment")
    );
    assert_eq!(d["action"], "stay");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lighter_weight_lands_in_the_offer_band() {
    let server = TestServer::start("[triggers.confidence]\nweight = 0.6\n", &[]).await;
    let d = server
        .decide(&conversation(&[
            ("customer", "Can I change plans?", None),
            ("ai", "Hmm", Some(0.1)),
        ]))
        .await;
    assert_eq!(d["action"], "offer");
    assert_eq!(d["escalate"], false);
    assert_eq!(d["score"], 0.6);
    assert_eq!(d["reasons"][0]["code"], "low_confidence");

    // Two lighter votes add up past the escalate threshold.
    let both = server
        .decide(&conversation(&[
            ("customer", ANGRY, None),
            ("ai", "Hmm", Some(0.1)),
        ]))
        .await;
    assert_eq!(both["action"], "escalate");
    assert_eq!(both["score"], 1.6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hard_escalate_wins_whatever_the_score() {
    // The VIP plugin's weight is zero, so the score stays 0, below both
    // thresholds; its vote is hard, so the conversation escalates anyway.
    let server = TestServer::start(
        "[triggers.account]\nenabled = false\n[plugins.vip-accounts]\nweight = 0.0\n",
        &["vip-accounts"],
    )
    .await;
    let mut c = conversation(&[("customer", "Great, thanks!", None)]);
    c["customer"] = json!({ "tier": "enterprise" });
    let d = server.decide(&c).await;
    assert_eq!(d["score"], 0.0);
    assert_eq!(d["hard"], true);
    assert_eq!(d["action"], "escalate");
    assert_eq!(d["reasons"][0]["code"], "vip-accounts/vip_account");
    assert_eq!(d["priority"], 90);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_decision_does_not_depend_on_plugin_order() {
    // The same plugins under names that sort in opposite orders.
    let forward = tempfile::tempdir().unwrap();
    let backward = tempfile::tempdir().unwrap();
    let plugins = ["vip-accounts", "topic-guard", "loop-detector"];
    for (i, p) in plugins.iter().enumerate() {
        let src = escalator_integration_tests::example_plugin(p);
        std::fs::copy(&src, forward.path().join(format!("{i}-{p}.wasm"))).unwrap();
        std::fs::copy(&src, backward.path().join(format!("{}-{p}.wasm", 9 - i))).unwrap();
    }
    let a = TestServer::start_in("", forward).await;
    let b = TestServer::start_in("", backward).await;
    let mut c = conversation(&[
        ("customer", "I want to cancel my subscription", None),
        ("ai", "Why?", Some(0.4)),
        ("customer", "Let me talk to a human", None),
    ]);
    c["customer"] = json!({ "account_rank": 3 });
    let (da, db) = (a.decide(&c).await, b.decide(&c).await);
    for key in ["action", "score", "hard", "priority", "route"] {
        assert_eq!(da[key], db[key], "{key}");
    }
    let codes = |d: &serde_json::Value| {
        let mut v: Vec<String> = d["reasons"]
            .as_array()
            .unwrap()
            .iter()
            // Plugin codes are namespaced by plugin name, which differs here.
            .map(|r| {
                r["code"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(codes(&da), codes(&db));
    assert_eq!(da["action"], "escalate");
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_shows_every_trigger_with_what_it_saw() {
    let server = TestServer::start("[triggers.budget]\nenabled = false\n", &[]).await;
    let body = conversation(&[
        ("customer", "Where is my parcel?", None),
        ("ai", "On its way.", Some(0.9)),
    ]);
    let plain = server.decide(&body).await;
    assert!(plain.get("explain").is_none());

    let r = server
        .client
        .post(format!("{}/v1/decide?explain=true", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    let d: serde_json::Value = r.json().await.unwrap();
    let explain = d["explain"].as_array().unwrap();
    let names: Vec<&str> = explain
        .iter()
        .map(|r| r["trigger"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "confidence",
            "sentiment",
            "topic",
            "account",
            "budget",
            "human_request"
        ]
    );
    let confidence = &explain[0];
    assert_eq!(confidence["fired"], false);
    assert_eq!(confidence["observed"]["latest_confidence"], 0.9);
    assert_eq!(confidence["thresholds"]["threshold"], 0.55);
    assert_eq!(explain[4]["enabled"], false);

    let (status, err) = {
        let r = server
            .client
            .post(format!("{}/v1/decide?explain=maybe", server.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            r.json::<serde_json::Value>().await.unwrap(),
        )
    };
    assert_eq!(status, 400);
    assert_eq!(err["error"]["field"], "explain");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_context_package_tells_the_human_what_happened() {
    let server = TestServer::start("", &[]).await;
    let mut c = json!({
        "conversation_id": "ctx",
        "now": "2026-01-01T00:05:30Z",
        "customer": {"id": "c-1", "tier": "pro", "language": "pt-BR", "timezone": "America/Sao_Paulo"},
        "topic": {"category": "billing", "subcategory": "refund"},
        "messages": [
            {"role": "customer", "text": "Hi, I need a refund for order 7", "at": "2026-01-01T00:00:00Z"},
            {"role": "ai", "text": "Could you share the order number?", "at": "2026-01-01T00:00:10Z",
             "ai": {"confidence": 0.9, "intent": "refund", "outcome": "answered"}},
            {"role": "customer", "text": "Hmm, not sure that answers it", "at": "2026-01-01T00:03:14Z"},
            {"role": "ai", "text": "Sorry, I did not get that.", "at": "2026-01-01T00:03:20Z",
             "ai": {"confidence": 0.3, "outcome": "fallback"}},
            {"role": "customer", "text": "This is the third time I'm asking!!!", "at": "2026-01-01T00:05:08Z"}
        ]
    });
    let d = server.decide(&c).await;
    let ctx = &d["context"];
    assert_eq!(
        ctx["trajectory"],
        "neutral at 0:00, frustrated at 3:14, angry at 5:08"
    );
    assert_eq!(ctx["category"], "billing/refund");
    assert_eq!(ctx["elapsed"], "5:30");
    assert_eq!(ctx["customer_turns"], 3);
    let attempts = ctx["ai_attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["failed"], false);
    assert_eq!(attempts[1]["failed"], true);
    assert_eq!(attempts[1]["outcome"], "fallback");
    let fired: Vec<&str> = ctx["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["trigger"].as_str().unwrap())
        .collect();
    assert_eq!(fired, ["confidence", "sentiment"]);
    let summary = ctx["summary"].as_str().unwrap();
    for part in [
        "Pro customer c-1 (pt-BR) needs a human",
        "3 messages over 5:30",
        "billing/refund",
        "angry at 5:08",
        "1 failed",
    ] {
        assert!(summary.contains(part), "{part:?} missing from {summary:?}");
    }
    assert_eq!(d["re_evaluate_at"], "2026-01-01T00:06:00Z");
    // The tier moves with the conversation: the same customer, calm, stays with the AI.
    c["messages"] = json!([{"role": "customer", "text": "Hi, I need a refund for order 7", "at": "2026-01-01T00:00:00Z"}]);
    c["now"] = json!("2026-01-01T00:00:30Z");
    let calm = server.decide(&c).await;
    assert_eq!(calm["tier"], "ai_resolved");
    assert_eq!(d["tier"], "human_led");
}
