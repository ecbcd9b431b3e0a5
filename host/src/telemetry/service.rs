//! The running service: plugin reloads and quarantines, config edits, the
//! decision log, HTTP requests, and the gauges read at scrape time.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use metrics::{counter, gauge, histogram};

use super::{
    BREAKER_STATE, CONFIG_RELOADS, CONFIG_VERSION, GENERATION, HTTP_REQUESTS, HTTP_SECONDS,
    PLUGIN_LOADS, PLUGINS, QUARANTINES, RELOADS, STORE_DROPPED, STORE_QUEUE, STORE_SPOOL_BYTES,
    STORE_SPOOLED,
};
use crate::plugin::PluginSet;
use crate::plugin::breaker::BreakerState;
use crate::plugin::registry::ReloadSummary;
use crate::plugin::status::LoadState;

/// The route label of a request no route matched.
pub const UNMATCHED: &str = "unmatched";

/// A plugin's circuit breaker opened.
pub fn quarantined(plugin: &str) {
    counter!(QUARANTINES, "plugin" => plugin.to_owned()).increment(1);
}

/// A scan of the plugins directory by the live service: `swapped` (a new
/// generation went live), `pending` (a file is compiling or still being
/// written; a later scan finishes it) or `unchanged`; and each new file
/// that went live or was refused.
pub fn plugins_reloaded(summary: &ReloadSummary) {
    let outcome = if summary.swapped {
        "swapped"
    } else if !summary.compiling.is_empty() || summary.retry_after.is_some() {
        "pending"
    } else {
        "unchanged"
    };
    counter!(RELOADS, "outcome" => outcome).increment(1);
    for name in &summary.loaded {
        counter!(PLUGIN_LOADS, "plugin" => name.clone(), "outcome" => "loaded").increment(1);
    }
    for name in &summary.failed {
        counter!(PLUGIN_LOADS, "plugin" => name.clone(), "outcome" => "failed").increment(1);
    }
}

/// A config file edit was `applied` or `refused`.
pub fn config_edit(outcome: &'static str) {
    counter!(CONFIG_RELOADS, "outcome" => outcome).increment(1);
}

/// `records` decision-log records were lost.
pub fn store_dropped(records: u64) {
    counter!(STORE_DROPPED).increment(records);
}

/// An HTTP request was answered. `route` is the router's template of the
/// route that matched (`None` for none): never the raw path, which holds
/// ids.
pub fn http_request(method: &Method, route: Option<&str>, status: StatusCode, took: Duration) {
    let method = bounded_method(method);
    let route = route.unwrap_or(UNMATCHED).to_owned();
    counter!(
        HTTP_REQUESTS,
        "method" => method,
        "route" => route.clone(),
        "status" => status.as_u16().to_string()
    )
    .increment(1);
    histogram!(HTTP_SECONDS, "method" => method, "route" => route).record(took.as_secs_f64());
}

/// Methods are a fixed set; an extension method any client can make up is
/// `other`.
fn bounded_method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// At scrape time: the generation serving, plugin files by status, and the
/// breaker state of every active plugin.
pub fn observe_plugins(set: &PluginSet) {
    gauge!(GENERATION).set(set.generation as f64);
    for (state, label) in [
        (LoadState::Active, "active"),
        (LoadState::Failed, "failed"),
        (LoadState::Disabled, "disabled"),
    ] {
        let n = set.status.iter().filter(|s| s.status == state).count();
        gauge!(PLUGINS, "status" => label).set(n as f64);
    }
    for p in &set.active {
        let current = p.breaker.health().breaker;
        for (state, label) in [
            (BreakerState::Closed, "closed"),
            (BreakerState::Open, "open"),
            (BreakerState::HalfOpen, "half_open"),
        ] {
            let on = if current == state { 1.0 } else { 0.0 };
            gauge!(BREAKER_STATE, "plugin" => p.name.to_string(), "state" => label).set(on);
        }
    }
}

/// At scrape time: the configuration version in force.
pub fn observe_config(version: u64) {
    gauge!(CONFIG_VERSION).set(version as f64);
}

/// At scrape time: the decision log's queue and spool.
pub fn observe_store(queued: u64, spooled: u64, spool_bytes: u64) {
    gauge!(STORE_QUEUE).set(queued as f64);
    gauge!(STORE_SPOOLED).set(spooled as f64);
    gauge!(STORE_SPOOL_BYTES).set(spool_bytes as f64);
}
