//! Command-line interface: the subcommands and their arguments (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Real-time 3D digital twin of a pick-to-light distribution centre.
#[derive(Debug, Parser)]
#[command(name = "picktwin", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// picktwin's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate site layouts and print a summary of each (exit code 1 if any is invalid).
    ///
    /// Errors name the file, line and column, what is wrong and how to fix it.
    CheckLayout(CheckLayoutArgs),
}

/// Arguments of `picktwin check-layout`.
#[derive(Debug, clap::Args)]
pub struct CheckLayoutArgs {
    /// Layout files (RON), e.g. layouts/pharma_dc.ron.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}
