//! The second map shape end to end against picktwin's simulator (one unit per module behind a
//! gateway, other codes, numeric locations), and the backoff that only a good cycle resets.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bevy_app::{App, TaskPoolPlugin};
use tokio::net::TcpListener;
use twin_link::{
    LightModule, Link, LinkHealth, LinkOptions, LinkPlugin, LinkReceiver, LinkSite, ModuleEntities,
};
use twin_model::Site;
use twin_model::codes::ModuleState;
use twin_model::register_map::Table;
use twin_sim::{Listen, SimConfig, SimOptions};

fn layout(name: &str) -> Arc<Site> {
    let path = format!("{}/../../layouts/{name}", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn the_simulator_serves_the_per_unit_map_and_the_twin_shows_its_lights() {
    let rt = runtime();
    let site = layout("unit_gateway.ron");
    let config = SimConfig { seed: 5, orders_per_day: 3000.0, ..SimConfig::default() };
    let options = SimOptions { listen: Listen::Base("127.0.0.1:0".parse().unwrap()), speed: 600.0, config };
    let sim = rt.block_on(twin_sim::start(site.clone(), options)).unwrap();
    let mut builder = Link::builder(site.clone());
    for (i, a) in sim.addresses().iter().enumerate() {
        builder = builder.endpoint(i, a.to_string());
    }
    let mut link = builder.spawn().unwrap();
    let mut app = App::new();
    app.add_plugins((TaskPoolPlugin::default(), LinkPlugin))
        .insert_resource(LinkSite(site.clone()))
        .insert_resource(LinkReceiver(link.take_view().unwrap()));
    let mut matched = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(40);
    let gateways = |matched: &std::collections::HashSet<usize>| {
        matched.iter().map(|&i| site.modules[i].controller).collect::<std::collections::HashSet<u16>>().len()
    };
    while (matched.len() < 8 || gateways(&matched) < 2) && Instant::now() < deadline {
        app.update();
        std::thread::sleep(Duration::from_millis(10));
        let entities = app.world().resource::<ModuleEntities>().0.clone();
        for (i, m) in site.modules.iter().enumerate() {
            let r = app.world().get::<LightModule>(entities[i]).unwrap().reading;
            if r.state != ModuleState::Lit as u16 {
                continue;
            }
            let c = sim.controllers()[usize::from(m.controller)].lock().unwrap();
            let image = c.image_map().clone();
            let cmd =
                c.read_registers(Table::Holding, image.command_register(m.address, 0) as u16, 5).unwrap();
            let wire = c.map();
            // The same command as the simulator holds now, decoded from the device's codes.
            if c.module_state(m.address) == Some(ModuleState::Lit) && cmd[1] == r.quantity {
                assert_eq!(r.colour, wire.values.colour_from_device(cmd[3]), "colour of {}", m.location);
                assert_eq!(r.location.as_str(), format!("{:04}", m.id.0), "numeric location");
                assert_eq!(&*m.location, m.id.0.to_string());
                matched.insert(i);
            }
        }
    }
    assert!(matched.len() >= 8, "only {} lit modules matched in 40 s", matched.len());
    assert_eq!(gateways(&matched), 2, "both gateways seen lit");
    let health = app.world().resource::<LinkHealth>().controllers.clone();
    assert!(health.iter().all(|h| h.is_fresh() && h.missing_blocks == 0), "{health:?}");
    link.stop();
    rt.block_on(sim.shutdown());
}

#[test]
fn a_device_that_accepts_then_resets_is_retried_with_growing_backoff() {
    let rt = runtime();
    let site = layout("demo.ron");
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let accepts = Arc::new(AtomicU32::new(0));
    let counter = accepts.clone();
    rt.spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::Relaxed);
            drop(s); // accepted, then closed before any answer
        }
    });
    let options = LinkOptions {
        timeout: Duration::from_millis(300),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        ..LinkOptions::default()
    };
    let link = Link::builder(site).endpoint(0, addr.to_string()).options(options).spawn().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    link.stop();
    let n = accepts.load(Ordering::Relaxed);
    // 50, 100, 200, 400, 400 ... ms: about 9 attempts in 3 s (a reset on connect made ~60).
    assert!((4..=14).contains(&n), "{n} connections in 3 s");
}
