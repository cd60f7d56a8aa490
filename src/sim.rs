//! `picktwin sim`: the PTL controller simulator as a standalone process.

use std::io::Write as _;
use std::process::ExitCode;
use twin_model::sources::{OrderSource, PickerSource};
use twin_sim::{Listen, SimConfig, SimExtras, SimOptions};

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
    // The WMS and the RTLS the layout declares, unless given: a twin on the same layout reads
    // what this simulator writes.
    let wms = args.wms.clone().or_else(|| match &site.layout.sources.orders {
        OrderSource::WmsSql(w) => w.url.strip_prefix("sqlite:").map(std::path::PathBuf::from),
        _ => None,
    });
    let rtls_url = args.rtls.clone().or_else(|| match &site.layout.sources.pickers {
        PickerSource::RtlsMqtt(r) => Some(r.broker.clone()),
        _ => None,
    });
    let rtls = match rtls_url.as_deref().map(|u| (u, twin_sim::mqtt_host_port(u))) {
        None => None,
        Some((_, Some(hp))) => Some(hp),
        Some((u, None)) => {
            eprintln!("error: --rtls {u:?}: write the broker as mqtt://HOST:PORT");
            return ExitCode::FAILURE;
        }
    };
    if let Some(p) = &wms {
        tracing::info!("writing the simulated WMS into {}", p.display());
    }
    let extras = SimExtras { wms, rtls, ..SimExtras::default() };
    runtime.block_on(async {
        let sim = match twin_sim::start_with(site.clone(), options, extras).await {
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
