//! Test fixture: the flip rule, variant `b` (see `tests/plugins/flip/rule.rs`).

const VARIANT: &str = "b";

include!("../../flip/rule.rs");
