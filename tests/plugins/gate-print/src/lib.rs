//! Test fixture: misbehaves inside the load gate, mode `print` (see `tests/plugins/gate/rule.rs`).

const MODE: &str = "print";

include!("../../gate/rule.rs");
