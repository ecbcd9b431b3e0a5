//! Test fixture: misbehaves inside the load gate, mode `oom` (see `tests/plugins/gate/rule.rs`).

const MODE: &str = "oom";

include!("../../gate/rule.rs");
