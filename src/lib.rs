//! picktwin: composes the capability crates under `plugins/` into the application.
//!
//! `main.rs` parses the command line and hands it to [`run`]; each subcommand lives in its own
//! module here.

pub mod check_layout;
pub mod cli;
pub mod gateway;
pub mod record;
pub mod replay;
pub mod sim;
pub mod snapshot;
pub mod twin;
pub mod view;

use std::process::ExitCode;

use cli::{Cli, Command};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        None => twin::run(&cli.twin),
        Some(Command::CheckLayout(args)) => check_layout::run(&args),
        Some(Command::Sim(args)) => sim::run(&args),
        Some(Command::Snapshot(args)) => snapshot::run(&args),
        Some(Command::Record(args)) => record::run(&args),
        Some(Command::Replay(args)) => replay::run(&args),
        Some(Command::Gateway(args)) => gateway::run(&args),
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

/// Loads a layout, printing what is wrong on failure.
pub fn load_site(path: &std::path::Path) -> Option<std::sync::Arc<twin_model::Site>> {
    match twin_model::Site::load(path) {
        Ok(site) => Some(std::sync::Arc::new(site)),
        Err(twin_model::LayoutError::Io { path, source }) => {
            eprintln!("error: cannot read layout {path}: {source}");
            None
        }
        Err(e) => {
            eprintln!("{e}");
            None
        }
    }
}

/// Resolves `NAME=HOST:PORT` overrides to controller indexes; unknown names are an error
/// listing the known ones.
pub fn controller_overrides(
    site: &twin_model::Site,
    overrides: &[(String, String)],
) -> Result<std::collections::HashMap<usize, String>, String> {
    overrides
        .iter()
        .map(|(name, endpoint)| {
            site.controller_index(name).map(|i| (i, endpoint.clone())).ok_or_else(|| {
                let known: Vec<&str> = site.layout.controllers.iter().map(|c| c.name.as_str()).collect();
                format!(
                    "--controller {name}=...: the layout has no controller {name:?} (known: {})",
                    known.join(", ")
                )
            })
        })
        .collect()
}
