//! picktwin: composes the capability crates under `plugins/` into the application.
//!
//! `main.rs` parses the command line and hands it to [`run`]; each subcommand lives in its own
//! module here.

pub mod check_layout;
pub mod cli;

use std::process::ExitCode;

use cli::{Cli, Command};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::CheckLayout(args) => check_layout::run(&args),
    }
}
