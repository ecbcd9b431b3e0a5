//! Test fixture: the flip rule, variant `strict` (see `tests/plugins/flip/rule.rs`).

const VARIANT: &str = "strict";

include!("../../flip/rule.rs");
