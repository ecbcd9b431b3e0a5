//! `GET /metrics`: every family appears in the Prometheus text format and
//! moves with what the service does, and no label carries an id.
//!
//! The recorder is process-wide, and several servers run in this process:
//! each test compares two scrapes (counters and histograms by how much they
//! grew), and the tests take turns, since gauges are set from the state of
//! the server being scraped.

use std::collections::HashSet;
use std::time::Duration;

use escalator_integration_tests::{TestServer, eventually, example_plugin, vote};
use prometheus_parse::{Sample, Scrape, Value};
use serde_json::json;

/// The tests take turns: a scrape sets the gauges from its own server.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A store nobody answers at (nothing listens on port 1), so decisions go
/// to the spool.
const DOWN: &str = "postgres://escalator@127.0.0.1:1/escalator";

/// One scrape: the text as served, and parsed.
struct Metrics {
    text: String,
    samples: Vec<Sample>,
}

impl Metrics {
    async fn scrape(server: &TestServer) -> Metrics {
        let r = server
            .client
            .get(format!("{}/metrics", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        let text = r.text().await.unwrap();
        let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
        Metrics {
            text,
            samples: scrape.samples,
        }
    }

    /// The samples of family `name` whose labels include `labels`.
    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&str, &str)],
    ) -> impl Iterator<Item = &'a Sample> {
        self.samples.iter().filter(move |s| {
            s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
        })
    }

    /// The sum over those samples: a counter's or gauge's value, a
    /// histogram's observation count.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels)
            .map(|s| match &s.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
                Value::Histogram(buckets) => buckets
                    .iter()
                    .find(|b| b.less_than.is_infinite())
                    .map_or(0.0, |b| b.count),
                Value::Summary(_) => panic!("{name} is a summary, not a histogram"),
            })
            .sum()
    }

    /// Whether family `name` has a sample with `labels`.
    fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.matching(name, labels).next().is_some()
    }

    /// Every label value of every sample.
    fn label_values(&self) -> impl Iterator<Item = &str> {
        self.samples
            .iter()
            .flat_map(|s| s.labels.values().map(String::as_str))
    }
}

/// Asserts that family `name` (the samples with `labels`) is in `after`
/// and grew by at least `by` since `before`.
fn grew(before: &Metrics, after: &Metrics, name: &str, labels: &[(&str, &str)], by: f64) {
    assert!(
        after.has(name, labels),
        "{name} {labels:?} missing from the scrape"
    );
    let (b, a) = (before.value(name, labels), after.value(name, labels));
    assert!(
        a - b >= by,
        "{name} {labels:?} went from {b} to {a}, expected a rise of at least {by}"
    );
}

/// A conversation `id` whose latest customer message is `text`, which
/// the `misbehave` fixture obeys.
fn asking(id: &str, text: &str) -> serde_json::Value {
    json!({
        "conversation_id": id,
        "channel": "chat",
        "now": "2026-01-01T00:01:00Z",
        "messages": [
            {"role": "customer", "text": "I want to cancel my plan", "at": "2026-01-01T00:00:00Z"},
            {"role": "customer", "text": text, "at": "2026-01-01T00:00:30Z"},
        ],
    })
}

/// Asserts that no label value holds any of `ids`, nor, to be sure, any
/// line of the text.
fn no_label_holds(metrics: &Metrics, ids: &[String]) {
    for id in ids {
        assert!(
            !metrics.text.contains(id.as_str()),
            "the id {id:?} is in the scrape"
        );
    }
    for value in metrics.label_values() {
        for id in ids {
            assert!(
                !value.contains(id.as_str()),
                "label value {value:?} holds the id {id:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_family_appears_and_moves_between_two_scrapes() {
    let _turn = TURN.lock().await;
    let config = format!(
        "[breaker]\nfailures = 2\nbackoff_ms = 600000\nmax_backoff_ms = 600000\n\n\
         [store]\nurl = {DOWN:?}\n"
    );
    let server = TestServer::start_with_config_file(&config, &["misbehave", "topic-guard"]).await;
    let before = Metrics::scrape(&server).await;
    let generation = server.generation().await;

    // A decision topic-guard escalates, two on which misbehave traps (on
    // distinct inputs, which opens its breaker), one it is then skipped on.
    let conversation = "metrics-conv-5b1e9c";
    let mut ids = vec![conversation.to_owned()];
    for (text, kind) in [
        ("hello", None),
        ("panic", Some("trap")),
        ("trap", Some("trap")),
        ("error", Some("quarantined")),
    ] {
        let d = server.decide(&asking(conversation, text)).await;
        assert_eq!(d["action"], "escalate", "{d}");
        assert_eq!(
            vote(&d, "plugin:misbehave")["error"]["kind"].as_str(),
            kind,
            "{d}"
        );
        ids.push(d["decision_id"].as_str().unwrap().to_owned());
    }
    // A route with an id in its path, and a path no route matches.
    let (status, _) = server.get(&format!("/v1/decisions/{}", ids[1])).await;
    assert_eq!(status, 503, "the store is down");
    let (status, _) = server.get(&format!("/nothing/{conversation}")).await;
    assert_eq!(status, 404);

    // A plugin reload, an applied config edit and a refused one.
    std::fs::copy(
        example_plugin("vip-accounts"),
        server.plugin_path("vip-accounts"),
    )
    .unwrap();
    server.wait_generation_after(generation).await;
    let path = server.config_path();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n[decision]\ndeadline_ms = 3000\n")).unwrap();
    eventually(Duration::from_secs(30), "the edit applies", || async {
        server.config().await["version"] == 2
    })
    .await;
    std::fs::write(
        &path,
        format!("{text}\n[decision]\ndeadline_ms = \"soon\"\n"),
    )
    .unwrap();
    eventually(Duration::from_secs(30), "the edit is refused", || async {
        !server.config().await["last_error"].is_null()
    })
    .await;
    // The decisions reach the spool once the writer gives up on the store.
    eventually(Duration::from_secs(30), "the spool fills", || async {
        Metrics::scrape(&server)
            .await
            .value("escalator_store_spooled_records", &[])
            >= 4.0
    })
    .await;

    let after = Metrics::scrape(&server).await;
    // Decisions.
    grew(
        &before,
        &after,
        "escalator_decisions_total",
        &[("action", "escalate"), ("tier", "human_led")],
        4.0,
    );
    grew(
        &before,
        &after,
        "escalator_decision_reasons_total",
        &[
            ("action", "escalate"),
            ("reason", "topic-guard/cancellation"),
        ],
        4.0,
    );
    grew(
        &before,
        &after,
        "escalator_decision_duration_seconds",
        &[],
        4.0,
    );
    // Votes, per built-in trigger and per plugin.
    grew(
        &before,
        &after,
        "escalator_votes_total",
        &[("source", "plugin:misbehave"), ("verdict", "abstain")],
        3.0,
    );
    grew(
        &before,
        &after,
        "escalator_votes_total",
        &[("source", "plugin:topic-guard"), ("verdict", "escalate")],
        4.0,
    );
    let builtin = after
        .samples
        .iter()
        .filter_map(|s| s.labels.get("source"))
        .find(|s| s.starts_with("builtin:"))
        .expect("a built-in trigger's votes")
        .to_owned();
    grew(
        &before,
        &after,
        "escalator_votes_total",
        &[("source", &builtin)],
        4.0,
    );
    grew(
        &before,
        &after,
        "escalator_vote_duration_seconds",
        &[("source", &builtin)],
        4.0,
    );
    grew(
        &before,
        &after,
        "escalator_vote_failures_total",
        &[("source", "plugin:misbehave"), ("kind", "trap")],
        2.0,
    );
    grew(
        &before,
        &after,
        "escalator_vote_failures_total",
        &[("source", "plugin:misbehave"), ("kind", "quarantined")],
        1.0,
    );
    grew(
        &before,
        &after,
        "escalator_vote_duration_seconds",
        &[("source", "plugin:topic-guard")],
        4.0,
    );
    grew(
        &before,
        &after,
        "escalator_plugin_fuel_consumed",
        &[("plugin", "topic-guard")],
        4.0,
    );
    // The breaker opened.
    grew(
        &before,
        &after,
        "escalator_plugin_quarantines_total",
        &[("plugin", "misbehave")],
        1.0,
    );
    let open = [("plugin", "misbehave"), ("state", "open")];
    assert_eq!(before.value("escalator_plugin_breaker_state", &open), 0.0);
    assert_eq!(after.value("escalator_plugin_breaker_state", &open), 1.0);
    // The reload, and the config edits.
    grew(
        &before,
        &after,
        "escalator_plugin_reloads_total",
        &[("outcome", "swapped")],
        1.0,
    );
    grew(
        &before,
        &after,
        "escalator_plugin_loads_total",
        &[("plugin", "vip-accounts"), ("outcome", "loaded")],
        1.0,
    );
    grew(&before, &after, "escalator_plugin_generation", &[], 1.0);
    grew(
        &before,
        &after,
        "escalator_plugins",
        &[("status", "active")],
        1.0,
    );
    grew(
        &before,
        &after,
        "escalator_config_reloads_total",
        &[("outcome", "applied")],
        1.0,
    );
    grew(
        &before,
        &after,
        "escalator_config_reloads_total",
        &[("outcome", "refused")],
        1.0,
    );
    grew(&before, &after, "escalator_config_version", &[], 1.0);
    // The decision log: the spool filled; the queue is drained by now, and
    // nothing was lost (the next test makes it lose records).
    grew(&before, &after, "escalator_store_spooled_records", &[], 4.0);
    grew(&before, &after, "escalator_store_spool_bytes", &[], 1.0);
    assert!(after.has("escalator_store_queue_depth", &[]));
    assert!(after.has("escalator_store_dropped_records_total", &[]));
    // HTTP, by route template.
    grew(
        &before,
        &after,
        "escalator_http_requests_total",
        &[
            ("method", "POST"),
            ("route", "/v1/decide"),
            ("status", "200"),
        ],
        4.0,
    );
    // prometheus-parse skips a sample whose label value holds a `}` (its
    // pattern ends the label set at the first one), so the templated route
    // is looked for in the text.
    let templated = |m: &Metrics| {
        m.text.lines().any(|l| {
            l.starts_with("escalator_http_requests_total{")
                && l.contains(r#"route="/v1/decisions/{id}",status="503""#)
        })
    };
    assert!(!templated(&before) && templated(&after), "{}", after.text);
    grew(
        &before,
        &after,
        "escalator_http_requests_total",
        &[("route", "unmatched"), ("status", "404")],
        1.0,
    );
    grew(
        &before,
        &after,
        "escalator_http_request_duration_seconds",
        &[("route", "/v1/decide")],
        4.0,
    );
    grew(
        &before,
        &after,
        "escalator_http_requests_total",
        &[("route", "/metrics")],
        1.0,
    );

    // No id in any label; routes are templates.
    no_label_holds(&after, &ids);
    let routes: HashSet<&str> = after
        .matching("escalator_http_requests_total", &[])
        .filter_map(|s| s.labels.get("route"))
        .collect();
    for route in routes {
        assert!(
            route == "unmatched" || route.starts_with('/') && !route.contains("metrics-conv"),
            "route label {route:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn records_the_decision_log_loses_are_counted() {
    let _turn = TURN.lock().await;
    // No store and nowhere to spool: a file stands where the spool's
    // directory would go.
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("spool"), "not a directory").unwrap();
    let config = format!(
        "[store]\nurl = {DOWN:?}\ndata_dir = {:?}\n",
        data.path().display().to_string()
    );
    let server = TestServer::start(&config, &[]).await;
    let before = Metrics::scrape(&server).await;
    let conversation = "metrics-conv-lost-41d2";
    let d = server.decide(&asking(conversation, "hello")).await;
    let ids = [
        conversation.to_owned(),
        d["decision_id"].as_str().unwrap().to_owned(),
    ];
    let dropped = before.value("escalator_store_dropped_records_total", &[]);
    eventually(Duration::from_secs(30), "the record is dropped", || async {
        Metrics::scrape(&server)
            .await
            .value("escalator_store_dropped_records_total", &[])
            > dropped
    })
    .await;
    let after = Metrics::scrape(&server).await;
    grew(
        &before,
        &after,
        "escalator_store_dropped_records_total",
        &[],
        1.0,
    );
    assert_eq!(after.value("escalator_store_spool_bytes", &[]), 0.0);
    no_label_holds(&after, &ids);
}
