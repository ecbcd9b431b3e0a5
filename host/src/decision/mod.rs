//! The decision pipeline, stage by stage: [`input`] (the request, validated)
//! → [`signals`] and [`emotion`] (sentiment, trajectory, confidence, elapsed
//! time) → [`triggers`] (the built-in votes) → [`merge`] (with the plugins'
//! votes, which `plugin` adds) → [`tier`], [`route`], [`reasons`] and
//! [`context`] → the [`Decision`] returned to the caller.
//!
//! Nothing here knows about plugins or HTTP: `crate::decide` composes this
//! pipeline with the plugin set.

pub mod clock;
pub mod context;
pub mod emotion;
pub mod input;
pub mod merge;
pub mod reasons;
pub mod response;
pub mod route;
pub mod signals;
pub mod source;
pub mod tier;
pub mod triggers;
pub mod vote;

pub use reasons::Reason;
pub use response::Decision;
