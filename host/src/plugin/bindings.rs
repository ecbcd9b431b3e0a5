//! Host-side bindings of the `escalator:rules` world, generated from `wit/`.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    world: "rule",
    path: "../wit",
    additional_derives: [PartialEq],
});

pub use self::escalator::rules::host::Level;
pub use self::escalator::rules::types;
