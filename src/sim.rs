//! `picktwin sim`: the PTL controller simulator as a standalone process.

use std::io::Write as _;
use std::process::ExitCode;
use twin_sim::{Listen, SimConfig, SimOptions};

use crate::cli::SimArgs;

/// Serves every controller until Ctrl-C or SIGTERM.
pub fn run(args: &SimArgs) -> ExitCode {
    crate::init_logging();
    let Some(site) = crate::load_site(args.layout.as_deref()) else { return ExitCode::FAILURE };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = SimOptions {
        listen: args.listen.map_or(Listen::Layout, Listen::Base),
        speed: args.speed,
        config: SimConfig { seed: args.seed, orders_per_day: args.orders_per_day, ..SimConfig::default() },
    };
    runtime.block_on(async {
        let sim = match twin_sim::start(site.clone(), options).await {
            Ok(sim) => sim,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        {
            // One line per controller on stdout: scripts and tests read the ports from here.
            let mut out = std::io::stdout().lock();
            for (c, addr) in site.layout.controllers.iter().zip(sim.addresses()) {
                let _ = writeln!(out, "{} listening on {addr} (unit {})", c.name, c.unit_id);
            }
            let _ = out.flush();
        }
        tracing::info!(
            "simulating {} modules, {} pickers at {}× (seed {}); Ctrl-C stops",
            site.modules.len(),
            site.layout.pickers.len(),
            args.speed,
            args.seed
        );
        twin_app::shutdown_signal().await;
        tracing::info!("stopping");
        sim.shutdown().await;
        ExitCode::SUCCESS
    })
}
