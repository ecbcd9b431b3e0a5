//! Prometheus metrics, served by `GET /metrics`.
//!
//! Every layer records into the `metrics` facade with a one-line call to
//! this module; the recorder is `metrics-exporter-prometheus`'s, installed
//! once per process ([`install`]) and rendered by the API ([`render`]).
//! A process that never installs it (the command line, benchmarks) records
//! into the facade's no-op recorder at no cost.
//!
//! The families, their labels and their buckets are named here, in one
//! place; [`decisions`] records what a decision shows, [`service`] the
//! rest (reloads, config edits, the decision log, HTTP, and the gauges
//! read at scrape time). Label values are bounded: action, tier, verdict,
//! failure class and status are fixed sets; sources are the built-in
//! triggers and the plugin files; routes are the router's templates;
//! reason codes are bounded as [`reason`] says. No conversation id,
//! decision id, customer id or free text is ever a label value.

pub mod decisions;
pub mod reason;
pub mod service;

pub use decisions::decided;

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use metrics_util::MetricKindMask;

/// Decisions answered, by action, tier and leading reason.
pub const DECISIONS: &str = "escalator_decisions_total";
/// Reasons that carried a decision, each counted, by action and reason.
pub const DECISION_REASONS: &str = "escalator_decision_reasons_total";
/// Time to decide, built-in triggers and plugins included.
pub const DECISION_SECONDS: &str = "escalator_decision_duration_seconds";
/// Votes cast, by source and verdict.
pub const VOTES: &str = "escalator_votes_total";
/// Failed votes, by source and failure class.
pub const VOTE_FAILURES: &str = "escalator_vote_failures_total";
/// Time one voter took, by source.
pub const VOTE_SECONDS: &str = "escalator_vote_duration_seconds";
/// Fuel one plugin call burned, by plugin.
pub const PLUGIN_FUEL: &str = "escalator_plugin_fuel_consumed";
/// The circuit breaker's state, by plugin and state (1 for the current one).
pub const BREAKER_STATE: &str = "escalator_plugin_breaker_state";
/// Times a plugin's breaker opened, by plugin.
pub const QUARANTINES: &str = "escalator_plugin_quarantines_total";
/// Plugin directory reloads, by outcome.
pub const RELOADS: &str = "escalator_plugin_reloads_total";
/// Plugin candidates that went live or were refused, by plugin and outcome.
pub const PLUGIN_LOADS: &str = "escalator_plugin_loads_total";
/// The plugin-set generation serving.
pub const GENERATION: &str = "escalator_plugin_generation";
/// Plugin files by status.
pub const PLUGINS: &str = "escalator_plugins";
/// Config file edits, by outcome.
pub const CONFIG_RELOADS: &str = "escalator_config_reloads_total";
/// The configuration version in force.
pub const CONFIG_VERSION: &str = "escalator_config_version";
/// Decisions queued for the decision log's writer.
pub const STORE_QUEUE: &str = "escalator_store_queue_depth";
/// Records waiting in the spool.
pub const STORE_SPOOLED: &str = "escalator_store_spooled_records";
/// The spool's size on disk.
pub const STORE_SPOOL_BYTES: &str = "escalator_store_spool_bytes";
/// Records the decision log lost.
pub const STORE_DROPPED: &str = "escalator_store_dropped_records_total";
/// HTTP requests answered, by method, route and status.
pub const HTTP_REQUESTS: &str = "escalator_http_requests_total";
/// Time to answer an HTTP request (to its response head), by method and route.
pub const HTTP_SECONDS: &str = "escalator_http_request_duration_seconds";

/// Buckets of every `_seconds` histogram: a built-in trigger takes
/// microseconds, a decision with plugins milliseconds, a stalled request
/// seconds.
const SECONDS_BUCKETS: [f64; 19] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Buckets of the fuel histogram, up to and beyond the default budget of
/// 100 million.
const FUEL_BUCKETS: [f64; 13] = [
    1e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7, 3e7, 1e8, 3e8, 1e9, 1e10,
];

/// How often histograms are drained into their buckets between scrapes,
/// so that a process nobody scrapes does not hold every sample.
const UPKEEP: Duration = Duration::from_secs(5);

/// A gauge nobody set for this long leaves the output: the breaker state of
/// a plugin removed from the directory goes, while every gauge of the
/// running service is set again at each scrape.
const GAUGE_IDLE: Duration = Duration::from_secs(600);

/// The recorder's handle, once installed.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Whether [`install`] has run. Handles to series are kept across calls
/// only once it has: taken before, they would be the no-op recorder's for
/// good.
fn installed() -> bool {
    HANDLE.get().is_some()
}

/// Installs the Prometheus recorder as the process's metrics recorder,
/// once: later calls (a second server in the same process, as the tests
/// start them) get the same handle, and every server then renders the
/// same process-wide counters.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = builder().build_recorder();
        let handle = recorder.handle();
        if let Err(e) = metrics::set_global_recorder(recorder) {
            // Someone else's recorder came first: `/metrics` stays empty
            // rather than the service failing to start.
            tracing::warn!("metrics recorder not installed: {e}");
        }
        describe();
        zero();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("escalator-metrics".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP);
                    upkeep.run_upkeep();
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("no metrics upkeep thread; histograms drain at each scrape: {e}");
        }
        handle
    })
}

/// The metrics in the Prometheus text format.
pub fn render() -> String {
    install().render()
}

fn builder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(PLUGIN_FUEL.into()), &FUEL_BUCKETS))
        .expect("the bucket lists are not empty")
        .idle_timeout(MetricKindMask::GAUGE, Some(GAUGE_IDLE))
}

/// Counters of rare events are shown at zero from the start, so that an
/// alert on their rise sees the first one.
fn zero() {
    use metrics::counter;
    counter!(STORE_DROPPED).increment(0);
    for outcome in ["applied", "refused"] {
        counter!(CONFIG_RELOADS, "outcome" => outcome).increment(0);
    }
    for outcome in ["swapped", "unchanged", "pending"] {
        counter!(RELOADS, "outcome" => outcome).increment(0);
    }
}

/// The `# HELP` line of every family.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        DECISIONS,
        "Decisions answered, by action, tier and leading reason (the heaviest vote that carried it; none when none did)"
    );
    describe_counter!(
        DECISION_REASONS,
        "Reasons that carried a decision, each counted, by action and reason"
    );
    describe_histogram!(
        DECISION_SECONDS,
        "Time to decide, built-in triggers and plugins included"
    );
    describe_counter!(
        VOTES,
        "Votes cast, by source (builtin:NAME or plugin:NAME) and verdict"
    );
    describe_counter!(VOTE_FAILURES, "Failed votes, by source and failure class");
    describe_histogram!(VOTE_SECONDS, "Time one voter took, by source");
    describe_histogram!(
        PLUGIN_FUEL,
        "Fuel one plugin call consumed (about one unit per Wasm instruction), by plugin"
    );
    describe_gauge!(
        BREAKER_STATE,
        "Circuit breaker state of each active plugin: 1 for its current state (closed, open, half_open), 0 for the others"
    );
    describe_counter!(QUARANTINES, "Times a plugin's circuit breaker opened");
    describe_counter!(
        RELOADS,
        "Plugin directory reloads, by outcome (swapped, unchanged, pending)"
    );
    describe_counter!(
        PLUGIN_LOADS,
        "New plugin files that went live (loaded) or were refused (failed), by plugin"
    );
    describe_gauge!(GENERATION, "The plugin-set generation serving");
    describe_gauge!(PLUGINS, "Plugin files by status (active, failed, disabled)");
    describe_counter!(
        CONFIG_RELOADS,
        "Config file edits, by outcome (applied, refused)"
    );
    describe_gauge!(CONFIG_VERSION, "The configuration version in force");
    describe_gauge!(
        STORE_QUEUE,
        "Decisions queued for the decision log's writer"
    );
    describe_gauge!(STORE_SPOOLED, "Records waiting in the decision log's spool");
    describe_gauge!(STORE_SPOOL_BYTES, "The decision log spool's size on disk");
    describe_counter!(
        STORE_DROPPED,
        "Decision log records lost: queue full, spool at its cap or unwritable, or torn by a crash"
    );
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route template (unmatched for no route) and status"
    );
    describe_histogram!(
        HTTP_SECONDS,
        "Time to answer an HTTP request, up to its response head, by method and route"
    );
}
