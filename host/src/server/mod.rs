//! Wiring: start-up (the watcher loads the plugins off the async runtime)
//! and the HTTP server — connection limits, timeouts, and a graceful
//! shutdown with a bounded grace period. Connections are tracked in
//! `connection`, files watched in [`watch`], signals handled in `signal`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower_service::Service as _;

use crate::api::state::AppState;
use crate::audit::Audit;
use crate::config::ServerConfig;
use crate::config::live::LiveConfig;
use crate::plugin::{Registry, Runtime};
use crate::store::Store;
use connection::{Busy, Tracked};
use watch::Watch;

mod connection;
mod signal;
pub mod tls;
pub mod watch;

pub use signal::{run, shutdown_signal};

/// A started service: state, plus the watcher that keeps plugins fresh.
pub struct Service {
    /// The state handed to the router.
    pub state: AppState,
    _watch: Watch,
}

impl Service {
    /// Starts the service without waiting for its plugins (nor for the
    /// decision log's database, which opens in the background): the reload thread
    /// loads them (each file compiled on its own thread), `/healthz` says
    /// `starting` and `/readyz` answers 503 until the first plugin set is
    /// live. Loading never runs on the async runtime, where a plugin that
    /// prints would make WASI's blocking output panic the process.
    pub fn start(config: LiveConfig) -> anyhow::Result<Service> {
        crate::decision::signals::warm_up();
        crate::api::memory::start_trimmer();
        crate::telemetry::install();
        let runtime = Runtime::new(config.get().cache_dir.clone())?;
        let registry = Arc::new(Registry::new(runtime));
        let current = config.get();
        let dir = &current.plugins_dir;
        if !dir.exists() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create plugins directory {}", dir.display()))?;
            tracing::info!(dir = %dir.display(), "created the plugins directory");
        }
        let store = if current.store.enabled {
            Some(Arc::new(
                Store::start(&current.store).context("cannot start the decision log")?,
            ))
        } else {
            None
        };
        let audit = Audit::start(store.clone());
        let status = config.status();
        audit.record(crate::audit::Change {
            actor: "service".into(),
            action: "service.start",
            target: current.listen.to_string(),
            outcome: crate::audit::Outcome::Applied,
            before: None,
            after: status.sha256,
            detail: Some(format!("escalator {}", env!("CARGO_PKG_VERSION"))),
        });
        let config = Arc::new(config);
        let watch = watch::start(config.clone(), registry.clone(), audit.clone())
            .with_context(|| format!("cannot watch {}", dir.display()))?;
        Ok(Service {
            state: AppState {
                permits: registry.runtime().permits().clone(),
                requests: Arc::new(Semaphore::new(
                    current.server.max_concurrent_requests as usize,
                )),
                config,
                registry,
                store,
                audit,
            },
            _watch: watch,
        })
    }

    /// Serves the API on `listener` until `shutdown` completes. Requests in
    /// flight then get `server.shutdown_grace_ms` to finish; connections
    /// still open after that are closed.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let limits = self.state.config.get().server;
        let app = crate::api::router(self.state.clone());
        let connections = Arc::new(Semaphore::new(connection_limit(&limits)));
        let graceful = GracefulShutdown::new();
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            // hyper's clock starts when it waits for a request head, on a
            // new connection or an idle keep-alive one alike.
            .header_read_timeout(Duration::from_millis(limits.header_read_timeout_ms))
            // Heads up to this size reach the API, which answers 414 and
            // 431 in its own JSON shape; beyond it hyper answers a bare 431.
            .max_buf_size(crate::api::MAX_HEAD_BUFFER)
            .max_headers(crate::api::MAX_HEADERS * 4);
        let idle = Duration::from_millis(limits.idle_timeout_ms);
        let handshake = Duration::from_millis(limits.header_read_timeout_ms);
        let tls = match &self.state.config.get().tls {
            Some(config) => Some(tls::acceptor(config)?),
            None => None,
        };
        let mut tasks = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            while tasks.try_join_next().is_some() {}
            let permit = tokio::select! {
                permit = connections.clone().acquire_owned() => permit?,
                () = &mut shutdown => break,
            };
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors, most likely: wait for
                        // connections to close rather than spin.
                        tracing::warn!("cannot accept a connection: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // A decision is one small response; Nagle's algorithm would hold
            // its last segment back waiting for an ACK.
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!("cannot set TCP_NODELAY: {e}");
            }
            let stream = Tracked::new(stream);
            let activity = stream.activity.clone();
            let busy = activity.busy.clone();
            let app = app.clone();
            // A request waiting its turn (for a request slot or a core) moves
            // no byte, and must not count as idle.
            let service = hyper::service::service_fn(move |request| {
                let guard = Busy::enter(&busy);
                let mut app = app.clone();
                async move {
                    let response = app.call(request).await;
                    drop(guard);
                    response
                }
            });
            let watcher = graceful.watcher();
            let http = http.clone();
            let tls = tls.clone();
            tasks.spawn(async move {
                match tls {
                    None => {
                        let connection =
                            watcher.watch(http.serve_connection(TokioIo::new(stream), service));
                        drive(connection, &activity, idle).await;
                    }
                    Some(acceptor) => {
                        // The handshake gets the time a request head gets: a
                        // client that opens and says nothing is let go.
                        match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
                            Ok(Ok(stream)) => {
                                let connection = watcher
                                    .watch(http.serve_connection(TokioIo::new(stream), service));
                                drive(connection, &activity, idle).await;
                            }
                            Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                            Err(_) => tracing::debug!("TLS handshake timed out"),
                        }
                    }
                }
                drop(permit);
            });
        }
        drop(listener);
        let grace = Duration::from_millis(limits.shutdown_grace_ms);
        if tokio::time::timeout(grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                open = tasks.len(),
                "shutdown grace period over; closing the connections still open"
            );
        }
        tasks.shutdown().await;
        // Every answered decision is queued by now: flush it.
        self.state.audit.close().await;
        if let Some(store) = &self.state.store {
            store.close().await;
        }
        Ok(())
    }
}

/// Serves one connection until it ends or has been idle for `idle`.
async fn drive<F, E>(connection: F, activity: &connection::Activity, idle: Duration)
where
    F: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    tokio::select! {
        result = connection => {
            if let Err(e) = result {
                tracing::debug!("connection ended: {e}");
            }
        }
        () = activity.idle_for(idle) => {
            tracing::debug!("closing a connection idle for {} ms", idle.as_millis());
        }
    }
}

/// `server.max_connections`, kept below the process's open-file limit so
/// that connections can never exhaust the descriptors that plugin files,
/// the config file and the watcher need.
fn connection_limit(limits: &ServerConfig) -> usize {
    /// Descriptors kept for everything but connections.
    const RESERVED: u64 = 64;
    let configured = limits.max_connections as usize;
    match rustix::process::getrlimit(rustix::process::Resource::Nofile).current {
        Some(files) => {
            let room = files.saturating_sub(RESERVED).max(files / 2).max(1) as usize;
            if room < configured {
                tracing::warn!(
                    configured,
                    open_file_limit = files,
                    serving = room,
                    "server.max_connections is above what the open-file limit allows"
                );
            }
            configured.min(room)
        }
        None => configured,
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
