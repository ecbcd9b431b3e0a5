//! Host-side bindings of the `escalator:rules` world, generated from `wit/`.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    world: "rule",
    path: "../wit",
});

pub use escalator::rules::host::Level;
pub use escalator::rules::types;
