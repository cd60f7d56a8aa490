//! picktwin's PTL controller simulator: one real Modbus TCP server per controller of a layout,
//! and a simulated WCS and pickers that light, pick and confirm through those registers.
//!
//! It is the embedded default (a living floor with no hardware), the target of tests and
//! benchmarks, and what trainers rehearse with. `picktwin sim` runs it standalone.

pub mod controller;
pub mod engine;
pub mod rng;
pub mod server;
pub mod slow;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use twin_model::Site;

pub use controller::{Command, ControllerSim, Exception};
pub use engine::{Engine, SimConfig, SimEvent, TimedEvent};
pub use server::{ControllerService, SharedController};

/// Fastest time acceleration.
pub const MAX_SPEED: f64 = 600.0;
/// Host watchdog timeout the simulated WCS sets on every controller.
pub const WATCHDOG_TIMEOUT_MS: u16 = 5000;

/// The emulated controllers of a site, one per layout controller, in layout order.
pub fn controllers_for(site: &Site) -> Vec<SharedController> {
    site.controllers
        .iter()
        .map(|plan| {
            let map = site.maps[plan.map].clone();
            let addresses: Vec<u16> =
                plan.modules.iter().map(|&m| site.modules[m as usize].address).collect();
            Arc::new(Mutex::new(ControllerSim::new(map, &addresses)))
        })
        .collect()
}

/// Where the controllers listen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// Each controller at the address the layout gives it.
    Layout,
    /// Controller `i` at this address's port + `i` (port 0: every controller an ephemeral port).
    Base(SocketAddr),
}

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Where to listen.
    pub listen: Listen,
    /// Time acceleration, 1 to [`MAX_SPEED`].
    pub speed: f64,
    /// The simulation itself.
    pub config: SimConfig,
}

/// The listening address of every controller for `listen`.
pub fn listen_addresses(site: &Site, listen: &Listen) -> Result<Vec<SocketAddr>, String> {
    site.layout
        .controllers
        .iter()
        .enumerate()
        .map(|(i, c)| match listen {
            Listen::Base(base) if base.port() == 0 => Ok(*base),
            Listen::Base(base) => {
                let port = u16::try_from(usize::from(base.port()) + i)
                    .map_err(|_| format!("controller {:?}: port {} + {i} is past 65535", c.name, base.port()))?;
                Ok(SocketAddr::new(base.ip(), port))
            }
            Listen::Layout => c.address.parse::<SocketAddr>().map_err(|_| {
                format!(
                    "controller {:?}: cannot listen on {:?} from the layout (an IP address and port are needed); \
                     use --listen 127.0.0.1:1502 to serve every controller on consecutive local ports",
                    c.name, c.address
                )
            }),
        })
        .collect()
}

/// A running simulator: its servers, the engine task, and their addresses.
pub struct RunningSim {
    addresses: Vec<SocketAddr>,
    controllers: Vec<SharedController>,
    tasks: JoinSet<()>,
}

impl RunningSim {
    /// Where each controller (layout order) listens.
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.addresses
    }

    /// The emulated controllers, for in-process inspection.
    pub fn controllers(&self) -> &[SharedController] {
        &self.controllers
    }

    /// Stops the servers and the simulation; open connections are closed.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}

/// Binds every controller's server and starts the simulation on the current tokio runtime.
pub async fn start(site: Arc<Site>, options: SimOptions) -> io::Result<RunningSim> {
    if !(1.0..=MAX_SPEED).contains(&options.speed) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("speed {} is outside 1..={MAX_SPEED}", options.speed),
        ));
    }
    let wanted = listen_addresses(&site, &options.listen)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut listeners = Vec::with_capacity(wanted.len());
    for (addr, c) in wanted.iter().zip(&site.layout.controllers) {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            io::Error::new(e.kind(), format!("controller {:?}: cannot listen on {addr}: {e}", c.name))
        })?;
        listeners.push(listener);
    }
    // Controllers are complete (watchdog set, clock running) before the first client connects.
    let controllers = controllers_for(&site);
    let engine = Engine::new(site.clone(), controllers.clone(), options.config);
    for c in &controllers {
        let mut c = c.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        c.set_watchdog_timeout(WATCHDOG_TIMEOUT_MS);
        c.tick(0, (engine.now_ms() / 1000) as u32, options.speed.round() as u16);
    }
    let mut tasks = JoinSet::new();
    let mut addresses = Vec::with_capacity(wanted.len());
    for ((listener, controller), c) in listeners.into_iter().zip(&controllers).zip(&site.layout.controllers) {
        let local = listener.local_addr()?;
        tracing::info!(controller = %c.name, %local, unit = c.unit_id, "serving Modbus TCP");
        addresses.push(local);
        let (controller, unit, name) = (controller.clone(), c.unit_id, c.name.clone());
        tasks.spawn(async move {
            if let Err(e) = server::serve(listener, controller, unit).await {
                tracing::error!(controller = %name, "server stopped: {e}");
            }
        });
    }
    tasks.spawn(drive(engine, controllers.clone(), options.speed));
    Ok(RunningSim { addresses, controllers, tasks })
}

/// Runs the engine at `speed` against the wall clock and keeps the controllers' clocks, the
/// heartbeat and the host watchdog going.
async fn drive(mut engine: Engine, controllers: Vec<SharedController>, speed: f64) {
    let started = Instant::now();
    let sim_start = engine.now_ms();
    let mut interval = tokio::time::interval(Duration::from_millis(20));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut watchdog: u16 = 0;
    let mut stats = HourStats::default();
    loop {
        interval.tick().await;
        let real = started.elapsed();
        let target = sim_start + (real.as_secs_f64() * speed * 1000.0) as u64;
        // Bounded work per tick: if the machine can't keep up, simulated time slips instead of
        // starving the servers.
        let mut steps = 0;
        while engine.now_ms() + engine::STEP_MS <= target && steps < 2_000 {
            engine.step();
            steps += 1;
        }
        for e in engine.drain_events() {
            stats.record(&e);
            tracing::debug!(at_ms = e.at_ms, event = ?e.event);
        }
        stats.report_if_hour_passed(engine.now_ms());
        watchdog = watchdog.wrapping_add(1);
        let real_ms = real.as_millis() as u64;
        let clock_s = (engine.now_ms() / 1000) as u32;
        for c in &controllers {
            let mut c = c.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            c.feed_watchdog(watchdog);
            c.tick(real_ms, clock_s, speed.round() as u16);
        }
    }
}

/// Hourly summary for the log.
#[derive(Debug, Default)]
struct HourStats {
    hour: Option<u64>,
    released: u32,
    lines: u32,
    short: u32,
    mispicks: u32,
    picked: u32,
}

impl HourStats {
    fn record(&mut self, e: &TimedEvent) {
        match e.event {
            SimEvent::OrderReleased { .. } => self.released += 1,
            SimEvent::LineDone { asked, picked, .. } => {
                self.lines += 1;
                self.short += u32::from(picked < asked);
            }
            SimEvent::MisPick { .. } => self.mispicks += 1,
            SimEvent::OrderPicked { .. } => self.picked += 1,
            _ => {}
        }
    }

    fn report_if_hour_passed(&mut self, now_ms: u64) {
        let hour = now_ms / 3_600_000;
        match self.hour {
            None => self.hour = Some(hour),
            Some(h) if h != hour => {
                tracing::info!(
                    "day {} {:02}:00–{:02}:00: {} orders released, {} picked, {} lines ({} short), {} mis-picks",
                    h / 24,
                    h % 24,
                    (h % 24) + 1,
                    self.released,
                    self.picked,
                    self.lines,
                    self.short,
                    self.mispicks
                );
                *self = Self { hour: Some(hour), ..Self::default() };
            }
            Some(_) => {}
        }
    }
}
