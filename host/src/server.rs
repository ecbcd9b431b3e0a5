//! Wiring: the shared state, start-up (load plugins, start the watcher) and
//! the HTTP server with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::live_config::LiveConfig;
use crate::plugin::{Registry, Runtime};
use crate::watch::{self, Watch};

/// State shared by every request.
#[derive(Clone)]
pub struct AppState {
    /// The live configuration.
    pub config: Arc<LiveConfig>,
    /// The plugin sets.
    pub registry: Arc<Registry>,
    /// Bounds concurrent decisions to what the cores can run.
    pub permits: Arc<Semaphore>,
}

/// A started service: state, plus the watcher that keeps plugins fresh.
pub struct Service {
    /// The state handed to the router.
    pub state: AppState,
    _watch: Watch,
}

impl Service {
    /// Loads every plugin in the configured directory and starts watching it.
    /// A plugin that fails to load is reported in its status; it never stops
    /// the service.
    pub fn start(config: LiveConfig) -> anyhow::Result<Service> {
        crate::signals::warm_up();
        let runtime = Runtime::new(config.get().cache_dir.clone())
            .map_err(|e| anyhow::anyhow!("cannot start the Wasm runtime: {e:#}"))?;
        let registry = Arc::new(Registry::new(runtime));
        let current = config.get();
        let dir = &current.plugins_dir;
        if !dir.exists() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create plugins directory {}", dir.display()))?;
            tracing::info!(dir = %dir.display(), "created the plugins directory");
        }
        let summary = registry.reload(&current, std::time::Instant::now());
        tracing::info!(
            dir = %dir.display(),
            generation = summary.generation,
            active = registry.current().active.len(),
            failed = ?summary.failed,
            "plugins loaded"
        );
        let config = Arc::new(config);
        let watch = watch::start(config.clone(), registry.clone(), summary.retry_after)
            .with_context(|| format!("cannot watch {}", dir.display()))?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Service {
            state: AppState {
                config,
                registry,
                permits: Arc::new(Semaphore::new(cores * 2)),
            },
            _watch: watch,
        })
    }

    /// Serves the API on `listener` until `shutdown` completes; in-flight
    /// requests are finished first.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        use axum::serve::ListenerExt;
        let app = crate::api::router(self.state.clone());
        // A decision is one small response; Nagle's algorithm would hold
        // its last segment back waiting for an ACK.
        let listener = listener.tap_io(|stream| {
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!("cannot set TCP_NODELAY: {e}");
            }
        });
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
