//! Host-side bindings of the `escalator:rules` world, generated from `wit/`:
//! the current version, and every older one the host still loads.

#![allow(missing_docs)]

/// `escalator:rules@0.1`, frozen in `wit/v0.1`.
pub mod v0_1 {
    wasmtime::component::bindgen!({
        world: "rule",
        path: "../wit/v0.1",
        additional_derives: [PartialEq],
    });
}

/// `escalator:rules@0.2`, frozen in `wit/v0.2`.
pub mod v0_2 {
    wasmtime::component::bindgen!({
        world: "rule",
        path: "../wit/v0.2",
        additional_derives: [PartialEq],
    });
}

/// The current version, in `wit/`.
pub mod v0_3 {
    wasmtime::component::bindgen!({
        world: "rule",
        path: "../wit",
        additional_derives: [PartialEq],
    });
}

pub use self::v0_3::escalator::rules::host::Level;
pub use self::v0_3::escalator::rules::types;
