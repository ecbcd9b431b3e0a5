//! Test fixture: built against `escalator:rules@0.4.0`, which this host does
//! not implement.

#![allow(missing_docs)]

wit_bindgen::generate!({ world: "rule", path: "wit" });

struct Future;

impl Guest for Future {
    fn evaluate(conversation_id: String) -> String {
        escalator::rules::host::log(&conversation_id);
        "escalate".to_owned()
    }
}

export!(Future);
