//! Rule plugins: WebAssembly components loaded from a directory, run in a
//! sandboxed instance per decision, and swapped as a whole set when files
//! change.
//!
//! A file's way in: [`file`] (read, bounded, fingerprinted) → [`gate`]
//! (verify its signature, compile, link, describe, settings, smoke test)
//! → a [`LoadedPlugin`] that [`call`]s run in the [`sandbox`], behind its
//! [`breaker`], a decision's plugins side by side ([`fan_out`]). The
//! [`registry`] holds the serving [`PluginSet`] and rebuilds it on every
//! change, compiling each file on a thread of its own ([`compile_jobs`])
//! behind the two [`cache`]s, and keeps each file's [`status`]. A plugin
//! may be built against any [`interface`] version the host still supports;
//! [`abi`] calls each in its own types. What a plugin may observe besides
//! its input (time, random numbers) is a function of the decision
//! ([`entropy`]), so that a logged decision replays to the same votes.

pub mod abi;
pub mod bindings;
pub mod breaker;
pub mod cache;
pub mod call;
pub mod compile_jobs;
pub mod convert;
pub mod entropy;
pub mod fan_out;
pub mod file;
pub mod gate;
pub mod interface;
pub mod loaded;
pub mod registry;
pub mod sandbox;
pub mod secrets;
pub mod settings;
pub mod status;

pub use crate::config::files::sha256_hex;
pub use call::alone;
pub use convert::to_wit_input;
pub use entropy::Entropy;
pub use loaded::LoadedPlugin;
pub use registry::{PluginSet, Registry};
pub use sandbox::Runtime;
