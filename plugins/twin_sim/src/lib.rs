//! picktwin's PTL controller simulator: one real Modbus TCP server per controller of a layout,
//! and a simulated WCS and pickers that light, pick and confirm through those registers.
//!
//! It is the embedded default (a living floor with no hardware), the target of tests and
//! benchmarks, and what trainers rehearse with. `picktwin sim` runs it standalone.

pub mod controller;
pub mod engine;
pub mod rng;
pub mod rtls;
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

/// What the simulator plays beyond its controllers, and test controls.
#[derive(Debug, Clone, Default)]
pub struct SimExtras {
    /// Write the WCS's orders and lines into this SQLite WMS database (reference schema).
    pub wms: Option<std::path::PathBuf>,
    /// Simulated time stands still until this is notified (tests: the twin connects first).
    pub hold: Option<Arc<tokio::sync::Notify>>,
    /// Simulated time stops at this clock (milliseconds since midnight of day 0); the servers
    /// keep answering (tests compare the twin with the simulator at a fixed point).
    pub until_ms: Option<u64>,
    /// Publish the pickers' positions as RTLS JSON to this MQTT broker (`host`, `port`).
    pub rtls: Option<(String, u16)>,
}

/// What the simulation has done so far: its own ground truth.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimTotals {
    /// Simulated clock, milliseconds since midnight of day 0.
    pub now_ms: u64,
    /// Orders released.
    pub released: u32,
    /// Orders with every line done.
    pub orders_done: u32,
    /// Lines done (confirmed, in full or short).
    pub lines_done: u32,
    /// Lines picked short.
    pub lines_short: u32,
    /// Whether `until_ms` was reached.
    pub stopped: bool,
}

impl SimTotals {
    fn record(&mut self, e: &TimedEvent) {
        match e.event {
            SimEvent::OrderReleased { .. } => self.released += 1,
            SimEvent::OrderPicked { .. } => self.orders_done += 1,
            SimEvent::LineDone { asked, picked, .. } => {
                self.lines_done += 1;
                self.lines_short += u32::from(picked < asked);
            }
            _ => {}
        }
    }
}

pub use twin_model::sources::mqtt_host_port;

/// Days since 1970-01-01 of today (UTC): simulated day 0 of the WMS's timestamps.
fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 86_400) as i64)
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
    totals: Arc<Mutex<SimTotals>>,
    positions: Arc<Mutex<Vec<[f32; 2]>>>,
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

    /// The simulation's ground truth so far.
    pub fn totals(&self) -> SimTotals {
        self.totals.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Where each picker is (plan metres), as last published to the RTLS (kept only when the
    /// simulator plays one; else the positions at start).
    pub fn picker_positions(&self) -> Vec<[f32; 2]> {
        self.positions.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Stops the servers and the simulation; open connections are closed.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}

/// Binds every controller's server and starts the simulation on the current tokio runtime.
pub async fn start(site: Arc<Site>, options: SimOptions) -> io::Result<RunningSim> {
    start_with(site, options, SimExtras::default()).await
}

/// [`start`] with a WMS database to write and test controls.
pub async fn start_with(site: Arc<Site>, options: SimOptions, extras: SimExtras) -> io::Result<RunningSim> {
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
    let start_ms = options.config.start_ms;
    let from_ms = options.config.warm_up_from_ms.filter(|&f| f < start_ms);
    let config = SimConfig { start_ms: from_ms.unwrap_or(start_ms), ..options.config };
    let mut engine = Engine::new(site.clone(), controllers.clone(), config);
    if let Some(path) = &extras.wms {
        engine.write_wms(path, today()).map_err(io::Error::other)?;
    }
    if let Some(from) = from_ms {
        let took = Instant::now();
        engine.advance_to(start_ms);
        // A floor in a lull (everyone packing) still opens on lit modules: a few simulated
        // minutes more, at most, until one is.
        let lull_limit = start_ms + 10 * 60_000;
        while engine.lit_modules() == 0 && engine.now_ms() < lull_limit {
            engine.step();
        }
        let events = engine.drain_events().len();
        let hm = |ms: u64| format!("{:02}:{:02}", ms / 3_600_000 % 24, ms / 60_000 % 60);
        tracing::info!(
            "simulated the day from {} to {} ({events} events) in {:.1} s",
            hm(from),
            hm(engine.now_ms()),
            took.elapsed().as_secs_f64()
        );
    }
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
    let totals = Arc::new(Mutex::new(SimTotals { now_ms: engine.now_ms(), ..SimTotals::default() }));
    let positions = Arc::new(Mutex::new(engine.picker_positions()));
    if let Some(broker) = extras.rtls.clone() {
        tasks.spawn(rtls::publish(site.clone(), broker, positions.clone(), Duration::from_millis(500)));
    }
    tasks.spawn(drive(engine, controllers.clone(), options.speed, extras, totals.clone(), positions.clone()));
    Ok(RunningSim { addresses, controllers, totals, positions, tasks })
}

/// Runs the engine at `speed` against the wall clock and keeps the controllers' clocks, the
/// heartbeat and the host watchdog going.
async fn drive(
    mut engine: Engine,
    controllers: Vec<SharedController>,
    speed: f64,
    extras: SimExtras,
    totals: Arc<Mutex<SimTotals>>,
    positions: Arc<Mutex<Vec<[f32; 2]>>>,
) {
    if let Some(hold) = &extras.hold {
        hold.notified().await;
    }
    let until = extras.until_ms.unwrap_or(u64::MAX);
    let publish_positions = extras.rtls.is_some();
    let started = Instant::now();
    let sim_start = engine.now_ms();
    let mut interval = tokio::time::interval(Duration::from_millis(20));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut watchdog: u16 = 0;
    let mut stats = HourStats::default();
    loop {
        interval.tick().await;
        let real = started.elapsed();
        let target = (sim_start + (real.as_secs_f64() * speed * 1000.0) as u64).min(until);
        // Bounded work per tick: if the machine can't keep up, simulated time slips instead of
        // starving the servers.
        let mut steps = 0;
        while engine.now_ms() + engine::STEP_MS <= target && steps < 2_000 {
            engine.step();
            steps += 1;
        }
        let events = engine.drain_events();
        {
            let mut t = totals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for e in &events {
                t.record(e);
            }
            t.now_ms = engine.now_ms();
            if publish_positions {
                *positions.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                    engine.picker_positions();
            }
            t.stopped = engine.now_ms() + engine::STEP_MS > until;
        }
        for e in events {
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
