//! Escalator decides when a customer-support conversation handled by an AI
//! must be handed to a human.
//!
//! The data flow, one module per stage:
//! [`input`] (request JSON, validated) → [`signals`] and [`emotion`]
//! (sentiment, trajectory, confidence, elapsed time) → [`triggers`] (built-in
//! votes) → [`plugin`] (Wasm rule votes) → [`merge`] → [`tier`], [`route`],
//! [`reasons`], [`context`] → [`decision`]; [`decide`] runs it end to end. [`api`] serves it over HTTP, [`config`]
//! and [`live_config`] hold the operator's settings, [`watch`] hot-reloads
//! plugins and configuration, and [`server`] wires everything together.

// Two functions need `unsafe`: deserialising the compiled-plugin cache, and
// asking the allocator to give memory back (`memory`).
#![deny(unsafe_code)]

pub mod api;
pub mod cli;
pub mod config;
pub mod context;
pub mod decide;
pub mod decision;
pub mod emotion;
pub mod files;
pub mod input;
pub mod live_config;
pub mod memory;
pub mod merge;
pub mod plugin;
pub mod policy;
pub mod reasons;
pub mod route;
pub mod server;
pub mod signals;
pub mod tier;
pub mod triggers;
pub mod vote;
pub mod watch;
