//! `escalator serve`: the configuration from the file (watched) or the
//! defaults, with the command line's overrides, then the service.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::config::Config;
use crate::config::live::{LiveConfig, Overrides};

/// The options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The TOML configuration file (watched and hot-reloaded).
    #[arg(long, short, env = "ESCALATOR_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on, overriding the file (port 0 picks a free port).
    #[arg(long, env = "ESCALATOR_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Plugins directory, overriding the file.
    #[arg(long, env = "ESCALATOR_PLUGINS")]
    pub plugins: Option<PathBuf>,
}

/// Runs the service until SIGINT or SIGTERM.
pub fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let overrides = Overrides {
        listen: args.listen,
        plugins_dir: args.plugins,
    };
    let live = match &args.config {
        Some(path) => LiveConfig::from_file(path, overrides)?,
        None => {
            let mut cfg = Config::default();
            cfg.listen = overrides.listen.unwrap_or(cfg.listen);
            cfg.plugins_dir = overrides.plugins_dir.unwrap_or(cfg.plugins_dir);
            LiveConfig::fixed(cfg)
        }
    };
    crate::server::run(live)
}
