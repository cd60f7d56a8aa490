//! The twin's data source: the built-in simulator (started in-process on loopback and reached
//! over real TCP, the same path a site's controllers take) unless controllers are given, the
//! live link polling them, with lossless subscribers (recorder, gateway) as asked, and the
//! site data sources the layout declares (WMS database, RTLS, inferred pickers). The embedded
//! simulator writes its WMS into a SQLite file the connector then reads, as a site's would.

use std::collections::HashMap;
use std::sync::Arc;

use twin_link::{Link, LinkMessage, LinkOptions};
use twin_model::Site;
use twin_model::sources::{OrderSource, PickerSource, WmsSql};
use twin_sim::{Listen, SimConfig, SimExtras, SimOptions};
use twin_sources::{RunningSources, SourceOverrides};

/// What to poll and how.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    /// `NAME=HOST:PORT` controllers to poll; none: simulate every controller.
    pub controllers: Vec<(String, String)>,
    /// Simulator time acceleration.
    pub speed: f64,
    /// Simulator seed.
    pub seed: u64,
    /// Lossless subscribers to attach.
    pub lossless: usize,
    /// Simulator clock at start, ms since midnight (None: the start of the day, 06:00). Later
    /// than that, the simulator first runs the day up to it (`SimConfig::warm_up_from_ms`).
    pub start_ms: Option<u64>,
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
    sources: Option<RunningSources>,
    /// The embedded simulator's WMS directory, removed on stop.
    sim_dir: Option<std::path::PathBuf>,
}

/// A fresh directory for the embedded simulator's WMS database.
fn sim_dir() -> Result<std::path::PathBuf, String> {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("picktwin-sim-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
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
        // No --controller: every controller is simulated in-process on loopback, and the WMS
        // the layout declares is the simulator's SQLite file (in the reference schema).
        let mut overrides = SourceOverrides::default();
        let mut dir = None;
        let sim = if options.controllers.is_empty() {
            let sim_options = SimOptions {
                listen: Listen::Base(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
                speed: options.speed,
                config: {
                    let day = SimConfig::default();
                    let start_ms = options.start_ms.unwrap_or(day.start_ms);
                    SimConfig { seed: options.seed, start_ms, warm_up_from_ms: Some(day.start_ms), ..day }
                },
            };
            let mut extras = SimExtras::default();
            if let OrderSource::WmsSql(w) = &site.layout.sources.orders {
                let d = sim_dir()?;
                let path = d.join("wms.sqlite");
                overrides.wms = Some(WmsSql {
                    url: format!("sqlite:{}", path.display()),
                    poll_ms: w.poll_ms,
                    max_open: w.max_open,
                    max_lines: w.max_lines,
                    utc_offset: w.utc_offset.clone(),
                    ..WmsSql::new("")
                });
                extras.wms = Some(path);
                dir = Some(d);
            }
            // An RTLS declared: the simulator plays it on the layout's broker.
            if let PickerSource::RtlsMqtt(r) = &site.layout.sources.pickers {
                extras.rtls = twin_sim::mqtt_host_port(&r.broker);
            }
            let sim = runtime
                .block_on(twin_sim::start_with(site.clone(), sim_options, extras))
                .map_err(|e| format!("cannot start the simulator: {e}"))?;
            endpoints = sim.addresses().iter().enumerate().map(|(i, a)| (i, a.to_string())).collect();
            tracing::info!("simulating {} controllers in-process", sim.addresses().len());
            Some(sim)
        } else {
            None
        };
        // Read-only, always: the app issues no command (the wire test in tests/read_only.rs).
        let mut builder = Link::builder(site.clone()).options(LinkOptions::default());
        for (i, endpoint) in endpoints {
            builder = builder.endpoint(i, endpoint);
        }
        let lossless = (0..options.lossless).map(|_| builder.lossless()).collect();
        let stream = twin_sources::needs_stream(site).then(|| builder.lossless());
        let link = builder.spawn().map_err(|e| format!("cannot start the link: {e}"))?;
        tracing::info!("read-only: nothing is written to any controller");
        let sources = twin_sources::start(site.clone(), &overrides, link.publisher(), stream)
            .map_err(|e| format!("cannot start the site data sources: {e}"))?;
        Ok(Self { runtime, sim, link, lossless, sources: Some(sources), sim_dir: dir })
    }

    /// Stops the site data sources, the link, then the simulator.
    pub fn stop(mut self) {
        if let Some(s) = self.sources.take() {
            s.stop();
        }
        self.link.stop();
        if let Some(sim) = self.sim {
            self.runtime.block_on(sim.shutdown());
        }
        if let Some(d) = self.sim_dir {
            let _ = std::fs::remove_dir_all(d);
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
