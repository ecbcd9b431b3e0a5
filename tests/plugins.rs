//! The example plugins, built from source and run in the real server.

use escalator_integration_tests::{
    TestServer, conversation, example_plugin, plugin_sources, sha256_file, vote,
};
use serde_json::json;

const ALL: [&str; 3] = ["loop-detector", "topic-guard", "vip-accounts"];

#[tokio::test(flavor = "multi_thread")]
async fn every_example_plugin_loads_and_reports_its_status() {
    let server = TestServer::start("", &ALL).await;
    let body = server.plugins().await;
    assert_eq!(body["generation"], 1);
    let plugins = body["plugins"].as_array().unwrap();
    assert_eq!(plugins.len(), 3);
    for (p, name) in plugins.iter().zip(ALL) {
        assert_eq!(p["name"], name);
        assert_eq!(p["status"], "active", "{p}");
        assert_eq!(p["version"], "0.1.0");
        assert_eq!(p["sha256"], sha256_file(&example_plugin(name)));
        assert!(p["error"].is_null());
        assert!(
            p["file"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{name}.wasm"))
        );
    }
    assert_eq!(plugins[2]["settings"]["top_n"], 100);
    let (status, health) = server.get("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(health["plugins_active"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_plugin_votes_with_its_reason_code() {
    let server = TestServer::start("", &ALL).await;

    let cancel = server
        .decide(&conversation(&[(
            "customer",
            "Please close my account today.",
            None,
        )]))
        .await;
    let v = vote(&cancel, "plugin:topic-guard");
    assert_eq!(v["reason"], "cancellation");
    assert_eq!(v["hard"], true);
    assert_eq!(v["routing"]["queue"], "retention");
    assert_eq!(v["sha256"], sha256_file(&example_plugin("topic-guard")));
    assert_eq!(cancel["action"], "escalate");
    assert_eq!(cancel["route"]["queue"], "retention");

    let mut vip = conversation(&[("customer", "Hello", None)]);
    vip["customer"] = json!({ "account_rank": 12 });
    let d = server.decide(&vip).await;
    assert_eq!(vote(&d, "plugin:vip-accounts")["reason"], "vip_account");
    assert_eq!(d["priority"], 90);

    let human = server
        .decide(&conversation(&[(
            "customer",
            "Can I speak to a person please?",
            None,
        )]))
        .await;
    assert_eq!(
        vote(&human, "plugin:loop-detector")["reason"],
        "asked_for_human"
    );

    let looping = server
        .decide(&conversation(&[
            ("customer", "My refund has not arrived", None),
            ("ai", "Refunds take 5 days.", Some(0.9)),
            ("customer", "my refund has not arrived!", None),
            ("ai", "Refunds take 5 days.", Some(0.9)),
            ("customer", "My refund has NOT arrived.", None),
        ]))
        .await;
    assert_eq!(
        vote(&looping, "plugin:loop-detector")["reason"],
        "customer_repeating"
    );

    // Nothing to say: every plugin abstains and the AI keeps the conversation.
    let calm = server
        .decide(&conversation(&[(
            "customer",
            "What are your opening hours?",
            None,
        )]))
        .await;
    for p in ALL {
        assert_eq!(vote(&calm, &format!("plugin:{p}"))["verdict"], "abstain");
    }
    assert_eq!(calm["action"], "stay");
}

#[tokio::test(flavor = "multi_thread")]
async fn copies_of_one_plugin_each_vote_with_their_own_settings_in_concurrent_decisions() {
    // The same component under two names with different `top_n`: in every
    // decision (many at once, fresh and reused instances) each copy must see
    // its own settings, never the other's.
    let dir = tempfile::tempdir().unwrap();
    for name in ["vip-wide", "vip-narrow"] {
        std::fs::copy(
            example_plugin("vip-accounts"),
            dir.path().join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    let server = std::sync::Arc::new(
        TestServer::start_in(
            "[plugins.vip-wide]\nsettings = { top_n = 100 }\n\
             [plugins.vip-narrow]\nsettings = { top_n = 5 }\ninstances = \"reuse\"\n",
            dir,
        )
        .await,
    );
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let rank = [3, 50, 500][i as usize % 3];
            let mut c = conversation(&[("customer", "Hello", None)]);
            c["customer"] = json!({ "account_rank": rank });
            let d = server.decide(&c).await;
            let expect = |inside: bool| if inside { "escalate" } else { "abstain" };
            assert_eq!(
                vote(&d, "plugin:vip-wide")["verdict"],
                expect(rank <= 100),
                "rank {rank}"
            );
            assert_eq!(
                vote(&d, "plugin:vip-narrow")["verdict"],
                expect(rank <= 5),
                "rank {rank}"
            );
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_settings_and_weights_come_from_the_config_file() {
    let server = TestServer::start(
        "[plugins.vip-accounts]\nsettings = { top_n = 10, tiers = [\"platinum\"] }\n",
        &["vip-accounts"],
    )
    .await;
    let with = |customer: serde_json::Value| {
        let mut c = conversation(&[("customer", "Hello", None)]);
        c["customer"] = customer;
        c
    };
    let outside = server.decide(&with(json!({ "account_rank": 50 }))).await;
    assert_eq!(vote(&outside, "plugin:vip-accounts")["verdict"], "abstain");
    let inside = server.decide(&with(json!({ "account_rank": 10 }))).await;
    assert_eq!(vote(&inside, "plugin:vip-accounts")["verdict"], "escalate");
    let tier = server.decide(&with(json!({ "tier": "Platinum" }))).await;
    assert_eq!(vote(&tier, "plugin:vip-accounts")["verdict"], "escalate");
    let old_tier = server.decide(&with(json!({ "tier": "enterprise" }))).await;
    assert_eq!(vote(&old_tier, "plugin:vip-accounts")["verdict"], "abstain");
    let status = server.plugin_status("vip-accounts").await.unwrap();
    assert_eq!(status["settings"]["top_n"], 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_a_plugin_rejects_fail_that_plugin_only() {
    let server = TestServer::start(
        "[plugins.vip-accounts]\nsettings = { top_n = -1 }\n\
         [plugins.loop-detector]\nsettings = { repeat = 3 }\n",
        &ALL,
    )
    .await;
    let vip = server.plugin_status("vip-accounts").await.unwrap();
    assert_eq!(vip["status"], "failed");
    assert_eq!(vip["error"]["step"], "validate");
    assert!(
        vip["error"]["message"].as_str().unwrap().contains("top_n"),
        "{vip}"
    );

    let looped = server.plugin_status("loop-detector").await.unwrap();
    assert_eq!(looped["status"], "failed");
    assert_eq!(looped["error"]["step"], "settings");
    assert!(
        looped["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown setting `repeat`")
    );

    // The healthy plugin still votes, the failed ones are absent.
    let d = server
        .decide(&conversation(&[("customer", "I was hacked!", None)]))
        .await;
    assert_eq!(
        vote(&d, "plugin:topic-guard")["reason"],
        "account_compromise"
    );
    assert!(!plugin_sources(&d).contains(&"plugin:vip-accounts".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disabled_plugin_does_not_vote() {
    let server = TestServer::start("[plugins.topic-guard]\nenabled = false\n", &ALL).await;
    assert_eq!(
        server.plugin_status("topic-guard").await.unwrap()["status"],
        "disabled"
    );
    let d = server
        .decide(&conversation(&[("customer", "I want to cancel", None)]))
        .await;
    assert!(
        d["votes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["source"] != "plugin:topic-guard")
    );
}
