//! Rule plugins: WebAssembly components loaded from a directory, run in a
//! fresh sandboxed instance per decision, and swapped as a whole set when
//! files change.

pub mod bindings;
mod breaker;
pub mod cache;
mod convert;
pub mod interface;
mod loader;
mod registry;
mod sandbox;
mod settings;

pub use breaker::{BreakerState, Health};
pub use convert::to_wit_input;
pub use loader::{
    LoadFailure, LoadStep, LoadedPlugin, SMOKE, alone, check_cost, compile, sha256_hex,
};
pub use registry::{
    Attempt, AttemptOutcome, LoadState, PluginSet, PluginStatus, Registry, ReloadSummary,
    SETTLE_GRACE,
};
pub use sandbox::Runtime;
pub use settings::to_json as settings_json;
