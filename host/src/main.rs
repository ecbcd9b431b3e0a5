//! The `escalator` command: parses the command line, sets up logging and
//! hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use escalator::cli::{self, Cli, Command};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Logs go to stderr, so the author commands' reports on stdout stay clean.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(args) => match cli::serve(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("escalator: {e:#}");
                ExitCode::FAILURE
            }
        },
        author => {
            let code = cli::run(author, &mut std::io::stdout().lock());
            ExitCode::from(u8::try_from(code).unwrap_or(2))
        }
    }
}
