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
async fn a_streak_of_negative_messages_escalates_but_one_does_not() {
    let server = TestServer::start("", &[]).await;
    // Each scores between -0.6 and -0.3: negative, not very negative.
    let one = "The app is slow and that is annoying";
    let two = "That is a bad answer";
    assert_eq!(
        vote(
            &server
                .decide(&conversation(&[("customer", one, None)]))
                .await,
            "builtin:sentiment"
        )["verdict"],
        "abstain"
    );
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
