//! The link behind a slow device (10 ms per request, one request at a time): a full sweep that
//! takes longer than three poll intervals is stale, never "ok"; with change counters the same
//! controller stays fresh and a register change arrives in well under a second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy_app::{App, TaskPoolPlugin};
use twin_link::{LightModule, Link, LinkHealth, LinkPlugin, LinkReceiver, LinkSite, ModuleEntities};
use twin_model::Site;
use twin_sim::{Listen, SimConfig, SimOptions};

/// One controller with 1,000 modules; `maps` may define a map without change counters.
fn site(map: &str, maps: &str) -> Arc<Site> {
    let racks: String = (0..20)
        .map(|i| {
            format!(
                "Rack(id: \"R{i:02}\", aisle: \"A\", origin: (x: {}.0, y: 4.0), facing: North, bays: 5, levels: 5, \
                 slots_per_level: 2, bay_width: 1.2, level_height: 0.4, depth: 0.6, controller: \"plc\"),",
                1 + i * 7
            )
        })
        .collect();
    let src = format!(
        r##"Site(name: "slow", floor: (width: 150.0, depth: 12.0), location_format: "{{id}}", register_maps: [{maps}],
        zones: [Zone(name: "Z", kind: Ambient, colour: "#4f8fd8", area: (x: 0.0, y: 0.0, width: 150.0, depth: 12.0))],
        aisles: [Aisle(name: "A", zone: "Z", area: (x: 0.0, y: 5.0, width: 150.0, depth: 2.0))],
        racks: [{racks}],
        controllers: [Controller(name: "plc", address: "127.0.0.1:1", register_map: "{map}")])"##
    );
    Arc::new(Site::from_ron(&src, "<slow>").unwrap_or_else(|e| panic!("{e}")))
}

struct Run {
    stale_seen: bool,
    latency: Duration,
}

fn run(site: &Arc<Site>) -> Run {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = SimConfig { orders_per_day: 0.0, ..SimConfig::default() };
    let options = SimOptions { listen: Listen::Base("127.0.0.1:0".parse().unwrap()), speed: 1.0, config };
    let sim = rt.block_on(twin_sim::start(site.clone(), options)).unwrap();
    let slow =
        rt.block_on(twin_sim::slow::delay_proxy(sim.addresses()[0], Duration::from_millis(10))).unwrap();
    let mut link = Link::builder(site.clone()).endpoint(0, slow.to_string()).spawn().unwrap();
    let mut app = App::new();
    app.add_plugins((TaskPoolPlugin::default(), LinkPlugin))
        .insert_resource(LinkSite(site.clone()))
        .insert_resource(LinkReceiver(link.take_view().unwrap()));
    let health =
        |app: &App| app.world().resource::<LinkHealth>().controllers.first().copied().unwrap_or_default();
    let frames = |app: &mut App, until: Instant, stale: &mut bool| {
        while Instant::now() < until {
            app.update();
            *stale |= health(app).stale && health(app).polls > 0;
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let mut stale_seen = false;
    // Connected and read in full (the first cycle is a full sweep either way), then watched.
    let deadline = Instant::now() + Duration::from_secs(20);
    while health(&app).polls < 2 && Instant::now() < deadline {
        app.update();
        std::thread::sleep(Duration::from_millis(10));
    }
    frames(&mut app, Instant::now() + Duration::from_secs(3), &mut stale_seen);
    let entity = app.world().resource::<ModuleEntities>().0[777];
    let written = {
        let mut c = sim.controllers()[0].lock().unwrap();
        let q = c.image_map().command_register(777, 1) as u16;
        c.write_registers(q, &[4321], 123).unwrap();
        Instant::now()
    };
    while app.world().get::<LightModule>(entity).unwrap().reading.quantity != 4321 {
        assert!(written.elapsed() < Duration::from_secs(20), "the change never arrived");
        app.update();
        stale_seen |= health(&app).stale;
        std::thread::sleep(Duration::from_millis(10));
    }
    let latency = written.elapsed();
    link.stop();
    rt.block_on(sim.shutdown());
    Run { stale_seen, latency }
}

#[test]
fn a_sweep_slower_than_three_intervals_is_stale_and_change_counters_keep_it_fresh() {
    // 1,000 modules, no counters: 3 + 1 + 100 + 67 reads × 10 ms ≈ 1.7 s per cycle, over three
    // 200 ms intervals: stale, though every request is answered.
    let naive = run(&site(
        "no-counters",
        r#"RegisterMap(name: "no-counters", changes: None, header: (change_counter: None))"#,
    ));
    assert!(naive.stale_seen, "a 1.7 s cycle must not look fresh");
    // The same controller with change counters: fresh throughout, the change in well under 1 s.
    let counted = run(&site("picktwin-v1", ""));
    assert!(!counted.stale_seen, "change-driven cycles stay within three intervals");
    assert!(counted.latency < Duration::from_millis(900), "{:?}", counted.latency);
    assert!(naive.latency > counted.latency, "{:?} vs {:?}", naive.latency, counted.latency);
}
