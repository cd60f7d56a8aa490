//! What the gateway's end-to-end tests share: layouts, a Mosquitto on a free loopback port, a
//! simulator + link + gateway on one runtime, and waiting for a condition.
#![allow(dead_code, reason = "each test binary uses some of the helpers")]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use twin_gateway::{BrokerUrl, Connection, GatewayOptions, GatewayStats, Viewer, ViewerOptions};
use twin_link::Link;
use twin_model::Site;
use twin_model::codes;
use twin_sim::{Listen, RunningSim, SimConfig, SimOptions};

pub fn layout(name: &str) -> Arc<Site> {
    let path = format!("{}/../../layouts/{name}", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[path = "../../../../tests/support/mosquitto.rs"]
pub mod mosquitto;
pub use mosquitto::Broker;

impl Broker {
    /// The URL of site `test` on it.
    pub fn url(&self) -> BrokerUrl {
        format!("mqtt://127.0.0.1:{}/test", self.port).parse().unwrap()
    }
}

pub struct Gateway {
    pub rt: tokio::runtime::Runtime,
    sim: Option<RunningSim>,
    link: Option<Link>,
    stop: Arc<AtomicBool>,
    stats: Arc<Mutex<GatewayStats>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Gateway {
    pub fn start(site: &Arc<Site>, broker: BrokerUrl, orders_per_day: f64) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let config = SimConfig { seed: 9, orders_per_day, ..SimConfig::default() };
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let sim = rt
            .block_on(twin_sim::start(
                site.clone(),
                SimOptions { listen: Listen::Base(addr), speed: 60.0, config },
            ))
            .unwrap();
        let mut builder = Link::builder(site.clone()).endpoint(0, sim.addresses()[0].to_string());
        let rx = builder.lossless();
        let mut link = builder.spawn().unwrap();
        drop(link.take_view());
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Mutex::new(GatewayStats::default()));
        let mut options =
            GatewayOptions::new(Connection { broker, site: "test".into(), ca_pem: None, client_auth: None });
        options.keyframe_every = Duration::from_secs(2);
        let task =
            rt.spawn(twin_gateway::gateway::run(site.clone(), rx, options, stats.clone(), stop.clone()));
        Self { rt, sim: Some(sim), link: Some(link), stop, stats, task: Some(task) }
    }

    pub fn stats(&self) -> GatewayStats {
        self.stats.lock().unwrap().clone()
    }

    pub fn sim(&self) -> &RunningSim {
        self.sim.as_ref().unwrap()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(l) = self.link.take() {
            l.stop();
        }
        if let Some(t) = self.task.take() {
            let _ = self.rt.block_on(t);
        }
        if let Some(s) = self.sim.take() {
            self.rt.block_on(s.shutdown());
        }
    }
}

pub fn light(sim: &RunningSim, address: u16, quantity: u16, seq: u16) {
    let mut c = sim.controllers()[0].lock().unwrap();
    let mut block = vec![0u16; 12];
    block[0] = codes::Mode::Pick as u16;
    block[1] = quantity;
    codes::text_to_registers("E2E", &mut block[2..6]);
    block[6] = 2;
    block[11] = seq;
    c.write_registers(100 + 12 * address, &block, 123).unwrap();
}

#[path = "../../../../tests/support/wait.rs"]
mod wait;
pub use wait::until;

pub fn viewer(site: &Arc<Site>, broker: &Broker) -> Viewer {
    Viewer::spawn(
        site.clone(),
        ViewerOptions { broker: broker.url(), site: "test".into(), ca_pem: None, client_auth: None },
        None,
    )
    .unwrap()
}

/// Module by module: the viewer's modules equal a direct poll of the simulator.
pub fn matches_snapshot(site: &Site, viewer: &Viewer, gateway: &Gateway) -> bool {
    let endpoints: HashMap<usize, String> = HashMap::from([(0, gateway.sim().addresses()[0].to_string())]);
    let snap = gateway.rt.block_on(twin_link::snapshot(site, &endpoints, Duration::from_secs(2))).unwrap();
    let state = viewer.state();
    snap.modules.iter().zip(&state.modules).all(|(a, b)| {
        // `stale` is the link's own mark, not a controller register.
        twin_link::ModuleReading { stale: false, ..*a } == twin_link::ModuleReading { stale: false, ..*b }
    })
}
