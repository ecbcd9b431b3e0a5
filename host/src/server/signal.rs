//! Running the service until the process is told to stop.

use anyhow::Context;

use super::{Service, bind};
use crate::config::live::LiveConfig;

/// Runs the service with `config` on a new async runtime until SIGINT or
/// SIGTERM, then shuts down gracefully.
pub fn run(config: LiveConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let addr = config.get().listen;
        let auth = &config.get().auth;
        auth.check_exposure(addr).map_err(anyhow::Error::msg)?;
        if !auth.enabled() {
            tracing::warn!(
                "AUTHENTICATION IS OFF: no [auth] tokens are configured, so every caller may \
                 decide, read the decision log and the configuration. Listening on {addr} only; \
                 create tokens with `escalator token new` before exposing the service"
            );
        }
        let tls = config.get().tls.is_some();
        let service = Service::start(config)?;
        let (listener, local) = bind(addr).await?;
        let scheme = if tls { "https" } else { "http" };
        tracing::info!("escalator listening on {scheme}://{local}");
        service.serve(listener, shutdown_signal()).await
    })
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down after in-flight requests");
}
