//! The `picktwin` binary: parses the command line and runs it.

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    picktwin::run(picktwin::cli::Cli::parse())
}
