//! Test fixture: misbehaves inside the load gate, mode `panic` (see `tests/plugins/gate/rule.rs`).

const MODE: &str = "panic";

include!("../../gate/rule.rs");
