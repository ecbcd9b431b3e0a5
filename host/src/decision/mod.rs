//! The decision pipeline, stage by stage: [`input`] (the request, validated)
//! → [`signals`] and [`emotion`] (sentiment, trajectory, confidence, elapsed
//! time) → [`triggers`] (the built-in votes) → [`merge`] (with the plugins'
//! votes, which `plugin` adds) → [`tier`], [`route`], [`reasons`] and
//! [`context`] → the [`Decision`] returned to the caller. [`ownership`]
//! reads who owns the conversation from its events, which decides what the
//! triggers judge and which question the merge answers; [`story`] tells the
//! human what happened on the way.
//!
//! Nothing here runs plugins or speaks HTTP: a plugin is only a voter
//! (its vote, source and failure class are defined here), and
//! `crate::decide` composes this pipeline with the plugin set.

pub mod clock;
pub mod context;
pub mod emotion;
pub mod input;
pub mod memo;
pub mod merge;
pub mod ownership;
pub mod reading;
pub mod reasons;
pub mod response;
pub mod route;
pub mod settled;
pub mod signals;
pub mod source;
pub mod story;
pub mod tier;
pub mod triggers;
pub mod vote;

pub use reasons::Reason;
pub use response::Decision;
