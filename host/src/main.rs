//! The `escalator` command: parses the command line, sets up logging and
//! hands over to the library.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use escalator::cli::{Cli, Command};
use escalator::config::Config;
use escalator::live_config::{LiveConfig, Overrides};
use escalator::server::{Service, bind};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Logs go to stderr, so the author commands' reports on stdout stay clean.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("escalator: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        command @ (Command::Check { .. }
        | Command::Eval { .. }
        | Command::Test { .. }
        | Command::New { .. }) => {
            let code = escalator::cli::run(command, &mut std::io::stdout().lock());
            std::process::exit(code);
        }
        Command::Serve {
            config,
            listen,
            plugins,
        } => {
            let overrides = Overrides {
                listen,
                plugins_dir: plugins,
            };
            let live = match &config {
                Some(path) => LiveConfig::from_file(path, overrides)?,
                None => {
                    let mut cfg = Config::default();
                    cfg.listen = overrides.listen.unwrap_or(cfg.listen);
                    cfg.plugins_dir = overrides.plugins_dir.unwrap_or(cfg.plugins_dir);
                    LiveConfig::fixed(cfg)
                }
            };
            serve(live)
        }
    }
}

fn serve(config: LiveConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let addr = config.get().listen;
        let service = Service::start(config)?;
        let (listener, local) = bind(addr).await?;
        tracing::info!("escalator listening on http://{local}");
        service.serve(listener, shutdown_signal()).await
    })
}

async fn shutdown_signal() {
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
