//! The `escalator` command: parses the command line, sets up logging and
//! hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use std::io::IsTerminal;

use escalator::cli::{self, Cli, Command, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging(cli.log_format);
    match cli.command {
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

/// Logs go to stderr, so the author commands' reports on stdout stay clean;
/// in colour only when stderr is a terminal, so a file, a pipe or journald
/// never stores escape sequences; as JSON lines for log pipelines.
fn logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_ansi(false)
            .init(),
    }
}
