//! Wiring: the shared state, start-up (load plugins, start the watcher) and
//! the HTTP server with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use arc_swap::ArcSwap;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::plugin::{Registry, Runtime, watch};

/// State shared by every request.
#[derive(Clone)]
pub struct AppState {
    /// The live configuration.
    pub config: Arc<ArcSwap<Config>>,
    /// The plugin sets.
    pub registry: Arc<Registry>,
    /// Bounds concurrent decisions to what the cores can run.
    pub permits: Arc<Semaphore>,
}

/// A started service: state, plus the watcher that keeps plugins fresh.
pub struct Service {
    /// The state handed to the router.
    pub state: AppState,
    _watch: Option<crate::plugin::Watch>,
}

impl Service {
    /// Loads every plugin in the configured directory and starts watching it.
    /// A plugin that fails to load is reported in its status; it never stops
    /// the service.
    pub fn start(config: Config) -> anyhow::Result<Service> {
        crate::signals::warm_up();
        let runtime =
            Runtime::new().map_err(|e| anyhow::anyhow!("cannot start the Wasm runtime: {e:#}"))?;
        let registry = Arc::new(Registry::new(runtime));
        if !config.plugins_dir.exists() {
            std::fs::create_dir_all(&config.plugins_dir).with_context(|| {
                format!(
                    "cannot create plugins directory {}",
                    config.plugins_dir.display()
                )
            })?;
            tracing::info!(dir = %config.plugins_dir.display(), "created the plugins directory");
        }
        let summary = registry.reload(&config);
        tracing::info!(
            dir = %config.plugins_dir.display(),
            generation = summary.generation,
            active = registry.current().active.len(),
            failed = ?summary.failed,
            "plugins loaded"
        );
        let dir = config.plugins_dir.clone();
        let config = Arc::new(ArcSwap::from_pointee(config));
        let watch = watch(&dir, registry.clone(), config.clone())
            .with_context(|| format!("cannot watch plugins directory {}", dir.display()))?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Service {
            state: AppState {
                config,
                registry,
                permits: Arc::new(Semaphore::new(cores * 2)),
            },
            _watch: Some(watch),
        })
    }

    /// Serves the API on `listener` until `shutdown` completes; in-flight
    /// requests are finished first.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = crate::api::router(self.state.clone());
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("HTTP server failed")
    }
}

/// Binds `addr` (port 0 picks a free port) and returns the listener and the
/// address actually bound.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}
