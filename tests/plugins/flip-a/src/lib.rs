//! Test fixture: the flip rule, variant `a` (see `tests/plugins/flip/rule.rs`).

const VARIANT: &str = "a";

include!("../../flip/rule.rs");
