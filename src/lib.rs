//! picktwin: the command line and the wiring of the capability crates under `plugins/`.
//!
//! `main.rs` parses the command line and hands it to [`run`]; each subcommand's module here
//! only turns its options into the plugins' and the app shell's (`twin_app`) settings.

pub mod check_layout;
pub mod cli;
pub mod gateway;
pub mod record;
pub mod replay;
pub mod report;
pub mod sim;
pub mod snapshot;
pub mod twin;

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
        Some(Command::Report(args)) => report::run(&args),
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

/// The demo site, built in so that `picktwin` runs from any directory.
pub const DEMO_LAYOUT: &str = include_str!("../layouts/demo.ron");

/// Loads a layout (the built-in demo without a path), printing what is wrong on failure.
pub fn load_site(path: Option<&std::path::Path>) -> Option<std::sync::Arc<twin_model::Site>> {
    let loaded = match path {
        Some(path) => twin_model::Site::load(path),
        None => twin_model::Site::from_ron(DEMO_LAYOUT, "<built-in demo.ron>"),
    };
    match loaded {
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
