//! Escalator decides when a customer-support conversation handled by an AI
//! must be handed to a human.
//!
//! The tree follows the data flow:
//!
//! - [`config`]: the operator's settings — the file, validated, and the live
//!   copy that hot-reloads ([`config::live`]).
//! - [`decision`]: the pipeline from a request to a decision: input,
//!   signals, built-in triggers, merge, tier, route, reasons, context.
//! - [`plugin`]: Wasm rule plugins — the load gate, the sandbox, calling a
//!   plugin, the plugin set and its reloads, the compiled caches.
//! - [`decide`]: one decision end to end, composing `decision` and `plugin`.
//! - [`outcome`]: what happened after a decision (pick-up, transfer,
//!   hand-back, resolution, rating, review), validated.
//! - [`store`]: the decision log — every decision recorded off the request
//!   path, outcome events beside it, SQLite or PostgreSQL, with a spool for
//!   outages, masking and retention.
//! - [`kpi`]: the handoff KPIs computed from the store, and the review
//!   loop that turns reviewers' verdicts into fixtures.
//! - [`replay`]: changing rules safely — logged decisions decided again
//!   with a candidate rule set, and what would change.
//! - [`api`]: the HTTP API over it: routes, request extraction, errors.
//! - [`server`]: wiring — start-up, connections, the file watcher, shutdown.
//! - [`cli`]: the `escalator` command line (`serve`, and the plugin-author
//!   commands `check`, `eval`, `test`, `new`).
//! - [`signing`]: signed plugins — keys, the signature document beside a
//!   plugin file, and checking it; it depends on nothing else here.
//! - [`telemetry`]: Prometheus metrics (`GET /metrics`), recorded with a
//!   one-line call from each layer.
//!
//! Ownership is read from the request (`decision::ownership`); the outcome
//! events record what happened after. Shadow rules run inside `decide`
//! (their votes recorded, never merged). Home for what comes next: the
//! browser console's assets and routes in `api/console/`.
//!
//! Dependencies point one way: `config` ← `decision` ← `plugin` ← `decide`
//! ← `outcome` ← `store` ← `kpi` ← `replay` ← `api` ← `server` ← `cli`.
//! `telemetry` stands aside: every layer records into it, and it reads
//! only the decision and plugin types it labels.

// Two functions need `unsafe`: deserialising the compiled-plugin cache, and
// asking the allocator to give memory back (`api::memory`).
#![deny(unsafe_code)]

pub mod api;
pub mod audit;
pub mod cli;
pub mod config;
pub mod decide;
pub mod decision;
pub mod kpi;
pub mod outcome;
pub mod plugin;
pub mod replay;
pub mod server;
pub mod signing;
pub mod store;
pub mod telemetry;
