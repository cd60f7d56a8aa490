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

    /// Run the PTL controller simulator: a Modbus TCP server per controller of the layout, with
    /// a simulated WCS releasing orders and pickers picking them. Stop with Ctrl-C.
    ///
    /// Without --listen each controller listens on the address the layout gives it; with
    /// --listen HOST:PORT controller i listens on PORT + i (port 0: any free ports, printed).
    Sim(SimArgs),
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

/// Arguments of `picktwin sim`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Site layout (RON).
    #[arg(long, value_name = "FILE", default_value = "layouts/demo.ron")]
    pub layout: PathBuf,

    /// Base listening address: controller i listens on its port + i.
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Option<std::net::SocketAddr>,

    /// Seed of every random choice: the same seed replays the same shift.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Time acceleration, 1 to 600; the controllers' clock follows it.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// Orders released per day (06:00–22:00).
    #[arg(long, value_name = "N", default_value_t = 1200.0)]
    pub orders_per_day: f64,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (1.0..=twin_sim::MAX_SPEED).contains(&v) {
        Ok(v)
    } else {
        Err(format!("speed must be from 1 to {}", twin_sim::MAX_SPEED))
    }
}
