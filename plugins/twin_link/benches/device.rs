//! The link at real device speed: a 2,000-module controller behind a proxy that answers one
//! request at a time per connection and adds 10 ms to each (a PLC's scan time plus network),
//! with the simulator's normal pick traffic running. Measures register-change-to-ECS latency:
//! - change-driven (change counters; 4 connections, and 1 for reference): goal p99 ≤ 500 ms;
//! - the naive full sweep at the same latency (the same map without change counters: every
//!   module block every cycle, as before), the baseline of the ratio;
//! - the per-unit gateway map (`ptl-unit-v1`, 200 devices, 2 connections): sweep and change
//!   latency, which cost one request per device and block.
//!
//! Run: `cargo bench --workspace --profile dev --bench device` (about two minutes).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy_app::{App, TaskPoolPlugin};
use twin_link::{LightModule, Link, LinkHealth, LinkPlugin, LinkReceiver, LinkSite, ModuleEntities};
use twin_model::Site;
use twin_sim::{Listen, SimConfig, SimOptions};

const DELAY: Duration = Duration::from_millis(10);

/// A site of one controller with `racks` × 50 modules; `map` and `connections` as given.
fn site(racks: usize, map: &str, maps: &str, connections: u8, unit: u8) -> Arc<Site> {
    let rack = |i: usize| {
        format!(
            "Rack(id: \"R{i:02}\", aisle: \"A\", origin: (x: {x}.0, y: 4.0), facing: North, bays: 5, levels: 5, \
             slots_per_level: 2, bay_width: 1.2, level_height: 0.4, depth: 0.6, controller: \"plc\"),",
            x = 1 + i * 7
        )
    };
    let width = 8 + racks * 7;
    let racks: String = (0..racks).map(rack).collect();
    let src = format!(
        r##"Site(name: "bench", floor: (width: {w}.0, depth: 12.0), location_format: "{{id}}",
        register_maps: [{maps}],
        zones: [Zone(name: "Z", kind: Ambient, colour: "#4f8fd8", area: (x: 0.0, y: 0.0, width: {w}.0, depth: 12.0))],
        aisles: [Aisle(name: "A", zone: "Z", area: (x: 0.0, y: 5.0, width: {w}.0, depth: 2.0))],
        racks: [{racks}],
        controllers: [Controller(name: "plc", address: "127.0.0.1:1", unit_id: {unit}, register_map: "{map}", connections: {connections})],
        pickers: [Picker(id: "P1", name: "A", home_zone: "Z"), Picker(id: "P2", name: "B", home_zone: "Z")],
        stations: [Station(id: "S", kind: Pack, zone: "Z", area: (x: 0.0, y: 0.0, width: 2.0, depth: 2.0))])"##,
        w = width
    );
    Arc::new(Site::from_ron(&src, "<bench>").unwrap_or_else(|e| panic!("{e}")))
}

struct Run {
    p50: f64,
    p99: f64,
    cycle_ms: u32,
}

/// Latency from a register write in the simulator to the `LightModule`, `samples` times.
fn measure(rt: &tokio::runtime::Runtime, site: &Arc<Site>, samples: usize) -> Run {
    let config = SimConfig { seed: 3, orders_per_day: 20_000.0, ..SimConfig::default() };
    let options = SimOptions { listen: Listen::Base("127.0.0.1:0".parse().unwrap()), speed: 1.0, config };
    let sim = rt.block_on(twin_sim::start(site.clone(), options)).unwrap();
    let slow = rt.block_on(twin_sim::slow::delay_proxy(sim.addresses()[0], DELAY)).unwrap();
    let mut link = Link::builder(site.clone()).endpoint(0, slow.to_string()).spawn().unwrap();
    let mut app = App::new();
    app.add_plugins((TaskPoolPlugin::default(), LinkPlugin))
        .insert_resource(LinkSite(site.clone()))
        .insert_resource(LinkReceiver(link.take_view().unwrap()));
    let frame = Duration::from_secs_f64(1.0 / 60.0);
    // Settle: connected and one full read done.
    let settle = Instant::now() + Duration::from_secs(60);
    while app.world().resource::<LinkHealth>().controllers.first().map_or(0, |h| h.polls) < 2
        && Instant::now() < settle
    {
        app.update();
        std::thread::sleep(frame);
    }
    let entities = app.world().resource::<ModuleEntities>().0.clone();
    let n = site.modules.len();
    let mut out = Vec::with_capacity(samples);
    let mut x = 0x2545_f491_u64;
    for k in 0..samples {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let index = (x % n as u64) as usize;
        let m = &site.modules[index];
        let value = 9000 + k as u16;
        let written = {
            let mut c = sim.controllers()[0].lock().unwrap();
            let image = c.image_map().clone();
            let r = image.command_register(m.address, image.module_commands.quantity) as u16;
            let _ = c.write_registers(r, &[value], 123);
            Instant::now()
        };
        let deadline = written + Duration::from_secs(30);
        loop {
            app.update();
            if app.world().get::<LightModule>(entities[index]).unwrap().reading.quantity == value {
                out.push(written.elapsed().as_secs_f64() * 1e3);
                break;
            }
            if Instant::now() > deadline {
                out.push(f64::INFINITY);
                break;
            }
            std::thread::sleep(frame);
        }
        // A random phase against the poll cycle for the next sample.
        std::thread::sleep(Duration::from_millis(x % 300));
    }
    let cycle_ms = app.world().resource::<LinkHealth>().controllers[0].cycle_ms;
    link.stop();
    rt.block_on(sim.shutdown());
    out.sort_by(f64::total_cmp);
    let at = |q: f64| out[((out.len() - 1) as f64 * q).round() as usize];
    Run { p50: at(0.5), p99: at(0.99), cycle_ms }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let print = |name: &str, r: &Run| {
        println!("{name}: p50 {:.0} ms, p99 {:.0} ms, last cycle {} ms", r.p50, r.p99, r.cycle_ms);
    };
    let naive_map = r#"RegisterMap(name: "no-counters", changes: None, header: (change_counter: None))"#;
    let naive = measure(&rt, &site(40, "no-counters", naive_map, 1, 1), 8);
    print("2,000 modules, 10 ms/request, naive full sweep, 1 connection", &naive);
    let one = measure(&rt, &site(40, "picktwin-v1", "", 1, 1), 60);
    print("2,000 modules, 10 ms/request, change-driven, 1 connection", &one);
    let four = measure(&rt, &site(40, "picktwin-v1", "", 4, 1), 100);
    print("2,000 modules, 10 ms/request, change-driven, 4 connections", &four);
    let verdict = |r: &Run| if r.p99 <= 500.0 { "met" } else { "missed" };
    println!(
        "p99 ratio naive / change-driven: {:.1}× (1 connection), {:.1}× (4 connections); goal p99 ≤ 500 ms: {} with 1 connection, {} with 4",
        naive.p99 / one.p99,
        naive.p99 / four.p99,
        verdict(&one),
        verdict(&four)
    );
    let unit = measure(&rt, &site(4, "ptl-unit-v1", "", 2, 247), 20);
    print("200 devices behind a gateway (ptl-unit-v1), 10 ms/request, 2 connections", &unit);
}
