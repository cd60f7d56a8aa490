//! The twin's data source: the built-in simulator (started in-process on loopback and reached
//! over real TCP, the same path a site's controllers take) unless controllers are given, and
//! the live link polling them, with lossless subscribers (recorder, gateway) as asked.

use std::collections::HashMap;
use std::sync::Arc;

use twin_link::{Link, LinkMessage, LinkOptions};
use twin_model::Site;
use twin_sim::{Listen, SimConfig, SimOptions};

/// What to poll and how.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    /// `NAME=HOST:PORT` controllers to poll; none: simulate every controller.
    pub controllers: Vec<(String, String)>,
    /// Writes to controllers allowed (never by default).
    pub allow_writes: bool,
    /// Simulator time acceleration.
    pub speed: f64,
    /// Simulator seed.
    pub seed: u64,
    /// Lossless subscribers to attach.
    pub lossless: usize,
}

/// The running data source.
pub struct Source {
    /// The async runtime the simulator and signal handling run on.
    pub runtime: tokio::runtime::Runtime,
    sim: Option<twin_sim::RunningSim>,
    /// The link.
    pub link: Link,
    /// Subscribers to every message, never coalesced (as many as asked for).
    pub lossless: Vec<crossbeam_channel::Receiver<LinkMessage>>,
}

impl Source {
    /// Starts the simulator (no controllers given) and the link; the error says what failed.
    pub fn start(site: &Arc<Site>, options: &SourceOptions) -> Result<Self, String> {
        let mut endpoints = controller_overrides(site, &options.controllers)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        // No --controller: every controller is simulated in-process on loopback.
        let sim = if options.controllers.is_empty() {
            let sim_options = SimOptions {
                listen: Listen::Base(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
                speed: options.speed,
                config: SimConfig { seed: options.seed, ..SimConfig::default() },
            };
            let sim = runtime
                .block_on(twin_sim::start(site.clone(), sim_options))
                .map_err(|e| format!("cannot start the simulator: {e}"))?;
            endpoints = sim.addresses().iter().enumerate().map(|(i, a)| (i, a.to_string())).collect();
            tracing::info!("simulating {} controllers in-process", sim.addresses().len());
            Some(sim)
        } else {
            None
        };
        let mut builder = Link::builder(site.clone())
            .options(LinkOptions { allow_writes: options.allow_writes, ..LinkOptions::default() });
        for (i, endpoint) in endpoints {
            builder = builder.endpoint(i, endpoint);
        }
        let lossless = (0..options.lossless).map(|_| builder.lossless()).collect();
        let link = builder.spawn().map_err(|e| format!("cannot start the link: {e}"))?;
        if !options.allow_writes {
            tracing::info!("read-only: nothing is written to any controller (--allow-writes to change)");
        }
        Ok(Self { runtime, sim, link, lossless })
    }

    /// Stops the link, then the simulator.
    pub fn stop(self) {
        self.link.stop();
        if let Some(sim) = self.sim {
            self.runtime.block_on(sim.shutdown());
        }
    }
}

/// Resolves `NAME=HOST:PORT` overrides to controller indexes; unknown names are an error
/// listing the known ones.
pub fn controller_overrides(
    site: &Site,
    overrides: &[(String, String)],
) -> Result<HashMap<usize, String>, String> {
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
