//! The state every handler shares.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::audit::Audit;
use crate::config::live::LiveConfig;
use crate::plugin::Registry;
use crate::store::Store;

/// State shared by every request.
#[derive(Clone)]
pub struct AppState {
    /// The live configuration.
    pub config: Arc<LiveConfig>,
    /// The plugin sets.
    pub registry: Arc<Registry>,
    /// Bounds concurrent plugin evaluations to what the cores can run.
    pub permits: Arc<Semaphore>,
    /// Bounds decision requests being read and decided at once
    /// (`server.max_concurrent_requests`), and so the memory their bodies
    /// hold.
    pub requests: Arc<Semaphore>,
    /// The decision log; `None` with `[store] enabled = false`.
    pub store: Option<Arc<Store>>,
    /// The audit trail of changes and operator actions.
    pub audit: Audit,
}
