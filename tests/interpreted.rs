//! Plugins in Python (componentize-py) and JavaScript (componentize-js),
//! built from source by their real toolchains, in the real server and under
//! `escalator test` and `escalator new`.

use escalator_integration_tests::{
    TestServer, conversation, escalator_cli, interpreted_plugins_dir, vote, workspace_root,
};
use serde_json::json;

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn python_and_javascript_plugins_vote_in_the_real_server() {
    let built = interpreted_plugins_dir();
    let dir = tempfile::tempdir().unwrap();
    for name in ["billing-dispute", "business-hours"] {
        std::fs::copy(
            built.join(format!("{name}.wasm")),
            dir.path().join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    let server = TestServer::start_in("", dir).await;
    for name in ["billing-dispute", "business-hours"] {
        let s = server.plugin_status(name).await.unwrap();
        assert_eq!(s["status"], "active", "{s}");
        assert_eq!(s["interface"], "escalator:rules@0.3.0");
    }

    // A large double charge during São Paulo business hours: the Python rule
    // escalates to billing, the JavaScript rule has no objection.
    let mut c = conversation(&[("customer", "I was charged twice, $1,500 each time", None)]);
    c["now"] = json!("2026-03-04T15:00:00Z");
    c["messages"][0]["at"] = json!("2026-03-04T14:59:00Z");
    c["customer"] = json!({ "timezone": "America/Sao_Paulo" });
    let d = server.decide(&c).await;
    let bd = vote(&d, "plugin:billing-dispute");
    assert_eq!(bd["reason"], "billing_dispute", "{bd}");
    assert_eq!(bd["hard"], true);
    assert_eq!(vote(&d, "plugin:business-hours")["verdict"], "abstain");
    assert_eq!(d["route"]["queue"], "billing");
    assert!(bd["fuel_used"].as_u64().unwrap() > 0);

    // The AI is unsure at night in Tokyo: the JavaScript rule pulls the
    // escalation down to an offer (a callback).
    let mut night = conversation(&[
        ("customer", "How do I export my data?", None),
        ("ai", "Maybe settings?", Some(0.4)),
    ]);
    night["now"] = json!("2026-03-04T15:00:00Z");
    night["messages"][0]["at"] = json!("2026-03-04T14:58:00Z");
    night["messages"][1]["at"] = json!("2026-03-04T14:59:00Z");
    night["customer"] = json!({ "timezone": "Asia/Tokyo" });
    let d = server.decide(&night).await;
    assert_eq!(
        vote(&d, "plugin:business-hours")["reason"],
        "outside_business_hours"
    );
    assert_eq!(d["action"], "offer", "{d}");
}

#[test]
fn the_interpreted_plugins_pass_their_own_fixtures() {
    let built = interpreted_plugins_dir();
    let examples = workspace_root().join("example-plugins");
    for dir in ["billing-dispute-py", "business-hours-js"] {
        let (code, out) =
            escalator_cli(&["test", "--plugins", path(built), path(&examples.join(dir))]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(" passed, 0 failed"), "{out}");
    }
}

#[test]
fn new_python_and_javascript_skeletons_build_and_pass_their_sample_tests() {
    let built = interpreted_plugins_dir();
    let tools = built
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("plugin-toolchains");
    let dir = tempfile::tempdir().unwrap();

    let py = dir.path().join("py-rule");
    let (code, out) = escalator_cli(&["new", "py-rule", "--lang", "python", "--dir", path(&py)]);
    assert_eq!(code, 0, "{out}");
    let venv_bin = tools.join("componentize-py/bin");
    let status = std::process::Command::new(py.join("build.sh"))
        .env(
            "PATH",
            format!("{}:{}", venv_bin.display(), std::env::var("PATH").unwrap()),
        )
        .status()
        .unwrap();
    assert!(status.success(), "the Python skeleton did not build");
    let (code, out) = escalator_cli(&["test", path(&py)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 passed, 0 failed"), "{out}");

    let js = dir.path().join("js-rule");
    let (code, out) = escalator_cli(&["new", "js-rule", "--lang", "js", "--dir", path(&js)]);
    assert_eq!(code, 0, "{out}");
    // Reuse the example's installed toolchain rather than a second npm install.
    let modules = workspace_root().join("example-plugins/business-hours-js/node_modules");
    std::os::unix::fs::symlink(&modules, js.join("node_modules")).unwrap();
    let status = std::process::Command::new("node")
        .arg("build.mjs")
        .current_dir(&js)
        .status()
        .unwrap();
    assert!(status.success(), "the JavaScript skeleton did not build");
    let (code, out) = escalator_cli(&["test", path(&js)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 passed, 0 failed"), "{out}");
}
