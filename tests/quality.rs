//! `escalator quality`: a policy judged on labelled conversations — the
//! counts, the breakdowns, the misses, the thresholds that fail a CI run,
//! and clear errors for a corpus that cannot be read.

use escalator_integration_tests::{escalator_cli, workspace_root};
use serde_json::{Value, json};

/// A corpus line: `text` is the customer's only message.
fn line(id: &str, expect: &str, lang: &str, category: &str, text: &str) -> String {
    json!({
        "id": id,
        "expect": expect,
        "lang": lang,
        "category": category,
        "note": format!("{category} case"),
        "conversation": {
            "conversation_id": id,
            "channel": "chat",
            "now": "2026-05-04T10:00:20Z",
            "messages": [
                {"role": "customer", "text": text, "at": "2026-05-04T10:00:00Z"},
            ],
        },
    })
    .to_string()
}

fn corpus(lines: &[String]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("labelled.jsonl"), lines.join("\n")).unwrap();
    let path = dir.path().to_str().unwrap().to_owned();
    (dir, path)
}

#[test]
fn counts_recall_needless_escalations_and_misses_by_language() {
    let (_dir, path) = corpus(&[
        line(
            "h1",
            "escalate",
            "en",
            "human_request",
            "Can I talk to a human please?",
        ),
        line(
            "h2",
            "escalate",
            "pt",
            "human_request",
            "quero falar com um atendente",
        ),
        // Nothing in it reaches a human: a miss the report must show.
        line("m1", "escalate", "en", "anger", "hm."),
        line(
            "s1",
            "stay",
            "en",
            "routine",
            "What are your opening hours?",
        ),
        // A needless escalation.
        line(
            "s2",
            "stay",
            "es",
            "routine",
            "quiero hablar con una persona",
        ),
    ]);
    let (code, out) = escalator_cli(&["quality", &path, "--json"]);
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let all = &report["overall"];
    assert_eq!(all["total"], 5);
    assert_eq!(all["must_escalate"], 3);
    assert_eq!(all["caught"], 2);
    assert_eq!(all["should_stay"], 2);
    assert_eq!(all["needless"], 1);
    assert_eq!(all["agreed"], 3);
    assert_eq!(report["by_lang"]["pt"]["caught"], 1);
    assert_eq!(report["by_lang"]["es"]["needless"], 1);
    assert_eq!(report["by_category"]["anger"]["caught"], 0);
    let misses: Vec<&str> = report["misses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(misses, ["m1", "s2"]);
    assert_eq!(
        report["misses"][1]["reasons"],
        json!(["customer_requested_human"])
    );

    // The text report says the same, with the misses and their notes.
    let (code, text) = escalator_cli(&["quality", &path]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("66.7%"), "recall 2/3:\n{text}");
    assert!(text.contains("misses (2)"), "{text}");
    assert!(text.contains("anger case"), "{text}");
}

#[test]
fn thresholds_fail_the_run() {
    let (_dir, path) = corpus(&[
        line("h1", "escalate", "en", "human_request", "agent please"),
        line("m1", "escalate", "en", "anger", "hm."),
    ]);
    let (code, _) = escalator_cli(&["quality", &path, "--min-recall", "0.5"]);
    assert_eq!(code, 0);
    let (code, _) = escalator_cli(&["quality", &path, "--min-recall", "0.9"]);
    assert_eq!(code, 1);
    let (code, _) = escalator_cli(&["quality", &path, "--max-needless", "0"]);
    assert_eq!(code, 0, "no stay conversation, nothing needless");
}

#[test]
fn a_bad_corpus_is_refused_naming_file_and_line() {
    let good = line("ok", "stay", "en", "routine", "hello");
    let cases = [
        ("{not json", "labelled.jsonl:2"),
        (
            r#"{"id":"x","expect":"maybe","conversation":{}}"#,
            "labelled.jsonl:2",
        ),
        (
            r#"{"id":"x","expect":"stay","conversation":{"conversation_id":"x","messages":[]}}"#,
            "no `now`",
        ),
        (
            r#"{"id":"ok","expect":"stay","conversation":{"conversation_id":"x","now":"2026-01-01T00:00:00Z","messages":[]}}"#,
            "used twice",
        ),
        (
            r#"{"id":"y","expect":"stay","conversation":{"conversation_id":"x","now":"2026-01-01T00:00:00Z","messages":[],"custmer":{}}}"#,
            "custmer",
        ),
    ];
    for (bad, says) in cases {
        let (_dir, path) = corpus(&[good.clone(), bad.to_owned()]);
        let (code, out) = escalator_cli(&["quality", &path]);
        assert_eq!(code, 2, "{bad}: {out}");
        assert!(out.contains(says), "{bad}: expected {says:?} in {out}");
    }
    let (code, out) = escalator_cli(&["quality", "/nonexistent/corpus"]);
    assert_eq!(code, 2, "{out}");
}

#[test]
fn the_committed_corpus_reads_and_is_labelled_in_three_languages() {
    let corpus = workspace_root().join("corpus");
    let (code, out) = escalator_cli(&["quality", corpus.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert!(report["overall"]["total"].as_u64().unwrap() >= 300);
    for lang in ["en", "pt", "es"] {
        assert!(
            report["by_lang"][lang]["total"].as_u64().unwrap() >= 60,
            "{lang}: {}",
            report["by_lang"][lang]
        );
    }
}
