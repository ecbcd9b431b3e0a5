//! Rule plugins: WebAssembly components loaded from a directory, run in a
//! fresh sandboxed instance per decision, and hot-reloaded when files change.

pub mod bindings;
mod convert;
mod loader;
mod registry;
mod sandbox;
mod settings;
mod watcher;

pub use convert::to_wit_input;
pub use loader::{LoadFailure, LoadStep, LoadedPlugin};
pub use registry::{LoadState, PluginSet, PluginStatus, Registry, ReloadSummary};
pub use sandbox::Runtime;
pub use watcher::{Watch, watch};
