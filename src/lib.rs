//! picktwin: composes the capability crates under `plugins/` into the application.
//!
//! `main.rs` parses the command line and hands it to [`run`]; each subcommand lives in its own
//! module here.

pub mod check_layout;
pub mod cli;
pub mod sim;

use std::process::ExitCode;

use cli::{Cli, Command};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::CheckLayout(args) => check_layout::run(&args),
        Command::Sim(args) => sim::run(&args),
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default level (info).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM (how service managers stop a process).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot watch SIGTERM ({e}); Ctrl-C still stops");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
