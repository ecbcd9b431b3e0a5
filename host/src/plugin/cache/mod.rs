//! The two caches of compiled plugins, side by side: [`compiled`] keeps
//! components in memory for the running process, [`artifacts`] keeps
//! compiled machine code on disk across restarts.

pub mod artifacts;
pub mod compiled;
