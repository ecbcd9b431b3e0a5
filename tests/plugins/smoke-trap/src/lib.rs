//! Test fixture: the flip rule, variant `smoke-trap` (see `tests/plugins/flip/rule.rs`).

const VARIANT: &str = "smoke-trap";

include!("../../flip/rule.rs");
