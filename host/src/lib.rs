//! Escalator.
