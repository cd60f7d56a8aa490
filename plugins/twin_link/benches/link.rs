//! The link against the simulator, in one run:
//! - sweep throughput over pharma_dc.ron (8 controllers) with a map without change counters,
//!   so every cycle is a full sweep: the link's requests per second against a raw tokio-modbus
//!   loop issuing the same planned reads, nothing decoded, on one thread like the link (goal
//!   ≥ 90 %; change-driven cycles read far less, docs/link.md);
//! - data-to-ECS latency: a register written in the simulator until the `LightModule` changes,
//!   with the app at 60 frames a second (goal p99 ≤ poll interval + one frame).
//!
//! Run: `cargo bench --workspace --profile dev --bench link`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bevy_app::{App, TaskPoolPlugin};
use tokio_modbus::client::{Client as _, tcp};
use tokio_modbus::prelude::{Request, Slave};
use twin_link::{
    LightModule, Link, LinkMessage, LinkOptions, LinkPlugin, LinkReceiver, LinkSite, ModuleEntities, Next,
};
use twin_model::Site;
use twin_model::register_map::Table;
use twin_sim::{Listen, SimConfig, SimOptions};

fn site(name: &str) -> Arc<Site> {
    Arc::new(Site::load(format!("{}/../../layouts/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap())
}

/// pharma_dc.ron with every controller on picktwin-v1 minus the change counters: full sweeps.
fn full_sweep_site() -> Arc<Site> {
    let path = format!("{}/../../layouts/pharma_dc.ron", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(path).unwrap();
    let map = r#"register_maps: [RegisterMap(name: "sweep", changes: None, header: (change_counter: None))],
    controllers: ["#;
    let src = src
        .replacen("controllers: [", map, 1)
        .replace("poll_interval_ms: 200)", "poll_interval_ms: 200, register_map: \"sweep\")");
    Arc::new(Site::from_ron(&src, "pharma_dc.ron (full sweeps)").unwrap_or_else(|e| panic!("{e}")))
}

/// The link polling as fast as it can: requests per second over `window`.
fn link_rate(site: &Arc<Site>, endpoints: &[String], window: Duration) -> f64 {
    let mut builder = Link::builder(site.clone())
        .options(LinkOptions { interval_override: Some(Duration::from_millis(1)), ..LinkOptions::default() });
    for (i, e) in endpoints.iter().enumerate() {
        builder = builder.endpoint(i, e.clone());
    }
    let mut link = builder.spawn().unwrap();
    let mut view = link.take_view().unwrap();
    let mut requests: HashMap<u16, u32> = HashMap::new();
    let mut drain = |until: Instant, requests: &mut HashMap<u16, u32>| {
        while Instant::now() < until {
            match view.recv() {
                Next::Message(LinkMessage::Health { controller, health }) => {
                    requests.insert(controller, health.requests);
                }
                Next::Message(_) => {}
                Next::Empty => std::thread::sleep(Duration::from_micros(200)),
                Next::Closed => break,
            }
        }
    };
    drain(Instant::now() + Duration::from_millis(700), &mut requests);
    let before: u32 = requests.values().sum();
    let t = Instant::now();
    drain(t + window, &mut requests);
    let after: u32 = requests.values().sum();
    let rate = f64::from(after - before) / t.elapsed().as_secs_f64();
    link.stop();
    rate
}

/// A raw tokio-modbus loop per controller over the same planned reads, on one thread with a
/// current-thread runtime, as the link runs.
fn raw_rate(site: &Site, endpoints: &[String], window: Duration) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let map: HashMap<usize, String> = endpoints.iter().cloned().enumerate().collect();
    let targets = twin_link::poller::targets(site, &map);
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for t in targets {
        let stop = stop.clone();
        let p = &t.plan;
        let mut reads: Vec<_> =
            p.header.into_iter().chain(p.bits.iter().copied()).chain(p.modules.iter().copied()).collect();
        reads.extend(p.pickers.iter().copied());
        reads.extend(p.board.first().copied());
        tasks.push(rt.spawn(async move {
            let mut ctx = tcp::connect_slave(t.endpoint.parse().unwrap(), Slave(t.unit)).await.unwrap();
            let mut n = 0u64;
            let mut counting = false;
            let started = Instant::now();
            let mut t0 = started;
            while !stop.load(Ordering::Relaxed) {
                if !counting && started.elapsed() > Duration::from_millis(700) {
                    counting = true;
                    n = 0;
                    t0 = Instant::now();
                }
                for r in &reads {
                    let req = match r.table {
                        Table::Holding => Request::ReadHoldingRegisters(r.start, r.count),
                        Table::Input => Request::ReadInputRegisters(r.start, r.count),
                        Table::Discrete => Request::ReadDiscreteInputs(r.start, r.count),
                        Table::Coils => Request::ReadCoils(r.start, r.count),
                    };
                    let _ = ctx.call(req).await.unwrap().unwrap();
                    n += 1;
                }
            }
            n as f64 / t0.elapsed().as_secs_f64()
        }));
    }
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700) + window);
        stop.store(true, Ordering::Relaxed);
    });
    let total = rt.block_on(async {
        let mut sum = 0.0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    stopper.join().unwrap();
    total
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

    // Sweep throughput.
    let pharma = full_sweep_site();
    let options = SimOptions {
        listen: Listen::Base("127.0.0.1:0".parse().unwrap()),
        speed: 1.0,
        config: SimConfig { orders_per_day: 0.0, ..SimConfig::default() },
    };
    let sim = rt.block_on(twin_sim::start(pharma.clone(), options)).unwrap();
    let endpoints: Vec<String> = sim.addresses().iter().map(ToString::to_string).collect();
    let window = Duration::from_secs(2);
    let (mut link, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        raw.push(raw_rate(&pharma, &endpoints, window));
        link.push(link_rate(&pharma, &endpoints, window));
    }
    let (l, r) = (median(link), median(raw));
    println!(
        "sweep pharma_dc (8 controllers): raw tokio-modbus {r:.0} req/s, link {l:.0} req/s ({:.1} %)",
        100.0 * l / r
    );
    rt.block_on(sim.shutdown());

    // Data-to-ECS latency.
    let demo = site("demo.ron");
    let options = SimOptions {
        listen: Listen::Base("127.0.0.1:0".parse().unwrap()),
        speed: 1.0,
        config: SimConfig { orders_per_day: 0.0, ..SimConfig::default() },
    };
    let sim = rt.block_on(twin_sim::start(demo.clone(), options)).unwrap();
    let mut link = Link::builder(demo.clone()).endpoint(0, sim.addresses()[0].to_string()).spawn().unwrap();
    let mut app = App::new();
    app.add_plugins((TaskPoolPlugin::default(), LinkPlugin))
        .insert_resource(LinkSite(demo.clone()))
        .insert_resource(LinkReceiver(link.take_view().unwrap()));
    let frame = Duration::from_secs_f64(1.0 / 60.0);
    let settle = Instant::now() + Duration::from_secs(1);
    while Instant::now() < settle {
        app.update();
        std::thread::sleep(frame);
    }
    let entity = app.world().resource::<ModuleEntities>().0[5];
    let mut samples = Vec::new();
    for k in 1..=100u16 {
        let written = {
            let mut c = sim.controllers()[0].lock().unwrap();
            let _ = c.write_registers(100 + 12 * 5 + 1, &[k], 123);
            Instant::now()
        };
        loop {
            app.update();
            if app.world().get::<LightModule>(entity).unwrap().reading.quantity == k {
                samples.push(written.elapsed().as_secs_f64() * 1e3);
                break;
            }
            std::thread::sleep(frame);
        }
        // A random phase against the poll cycle for the next sample.
        std::thread::sleep(Duration::from_millis(u64::from(k) * 37 % 200));
    }
    samples.sort_by(f64::total_cmp);
    let p50 = samples[samples.len() / 2];
    let p99 = samples[samples.len() * 99 / 100];
    let goal = 200.0 + 1000.0 / 60.0;
    println!(
        "data-to-ECS latency (poll 200 ms, 60 fps): p50 {p50:.1} ms, p99 {p99:.1} ms, max {:.1} ms; goal p99 ≤ {goal:.1} ms ({})",
        samples.last().unwrap(),
        if p99 <= goal { "met" } else { "missed" }
    );
    link.stop();
    rt.block_on(sim.shutdown());
}
