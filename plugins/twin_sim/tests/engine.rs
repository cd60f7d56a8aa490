//! The simulation without the network: determinism, order rate, plausible picking, and pickers
//! that walk the aisles instead of through racks.

use std::sync::Arc;

use twin_model::layout::Rect;
use twin_model::{Site, codes::ModuleState};
use twin_sim::{Engine, SimConfig, SimEvent, TimedEvent, controllers_for};

fn site(name: &str) -> Arc<Site> {
    let path = format!("{}/../../layouts/{name}", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")))
}

fn run(site: &Arc<Site>, config: SimConfig, until_ms: u64) -> (Engine, Vec<TimedEvent>) {
    let mut engine = Engine::new(site.clone(), controllers_for(site), config);
    let mut events = Vec::new();
    while engine.now_ms() < until_ms {
        engine.advance_to((engine.now_ms() + 600_000).min(until_ms));
        events.extend(engine.drain_events());
    }
    (engine, events)
}

const HOUR: u64 = 3_600_000;

#[test]
fn same_seed_same_events_other_seed_other_events() {
    let site = site("demo.ron");
    let config = SimConfig { seed: 42, ..SimConfig::default() };
    let (_, a) = run(&site, config.clone(), 9 * HOUR);
    let (_, b) = run(&site, config.clone(), 9 * HOUR);
    assert!(a.len() > 500, "a busy morning: {} events", a.len());
    assert_eq!(a, b);
    let (_, c) = run(&site, SimConfig { seed: 43, ..config }, 9 * HOUR);
    assert_ne!(a, c);
}

#[test]
fn a_day_releases_the_configured_orders_within_ten_percent() {
    let site = site("pharma_dc.ron");
    let config = SimConfig { seed: 7, start_ms: 0, ..SimConfig::default() };
    let (_, events) = run(&site, config.clone(), 24 * HOUR);
    let released = events.iter().filter(|e| matches!(e.event, SimEvent::OrderReleased { .. })).count() as f64;
    let expected = config.orders_per_day;
    assert!((released - expected).abs() <= 0.1 * expected, "{released} orders, expected {expected} ± 10 %");
    // Nothing at night.
    assert!(
        events.iter().all(|e| !matches!(e.event, SimEvent::OrderReleased { .. })
            || (6 * HOUR..22 * HOUR).contains(&e.at_ms))
    );
    // Orders are picked, lines confirmed, a few short.
    let picked = events.iter().filter(|e| matches!(e.event, SimEvent::OrderPicked { .. })).count() as f64;
    assert!(picked >= 0.95 * released, "{picked} of {released} orders picked by midnight");
    let lines: Vec<(u16, u16)> = events
        .iter()
        .filter_map(|e| match e.event {
            SimEvent::LineDone { asked, picked, .. } => Some((asked, picked)),
            _ => None,
        })
        .collect();
    let short = lines.iter().filter(|(a, p)| p < a).count() as f64 / lines.len() as f64;
    assert!((0.002..0.03).contains(&short), "short-pick rate {short}");
    let per_order = lines.len() as f64 / picked;
    assert!((2.0..6.0).contains(&per_order), "{per_order} lines per order");
}

#[test]
fn pickers_walk_the_aisles_not_through_racks() {
    for name in ["demo.ron", "pharma_dc.ron"] {
        let site = site(name);
        let footprints: Vec<Rect> = site.layout.racks.iter().map(|r| r.footprint()).collect();
        let mut engine =
            Engine::new(site.clone(), controllers_for(&site), SimConfig { seed: 3, ..SimConfig::default() });
        let mut moved = 0;
        let mut last = engine.picker_positions();
        for _ in 0..(2 * HOUR / 1000) {
            engine.advance_to(engine.now_ms() + 1000);
            let now = engine.picker_positions();
            for (p, (a, b)) in now.iter().zip(&last).enumerate() {
                if a != b {
                    moved += 1;
                }
                for (r, f) in footprints.iter().enumerate() {
                    let inside = a[0] > f.x + 0.01
                        && a[0] < f.max_x() - 0.01
                        && a[1] > f.y + 0.01
                        && a[1] < f.max_y() - 0.01;
                    assert!(
                        !inside,
                        "{name}: picker {p} at {a:?} inside rack {} ({f})",
                        site.layout.racks[r].id
                    );
                }
                // At most 1.2 m per simulated second.
                let d = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
                assert!(d <= 1.2 + 1e-3, "{name}: picker {p} jumped {d} m");
            }
            last = now;
        }
        assert!(moved > 1000, "{name}: pickers barely moved ({moved})");
    }
}

#[test]
fn lit_modules_go_through_the_registers() {
    let site = site("demo.ron");
    let controllers = controllers_for(&site);
    let mut engine =
        Engine::new(site.clone(), controllers.clone(), SimConfig { seed: 5, ..SimConfig::default() });
    let mut seen_lit = false;
    for _ in 0..3600 {
        engine.advance_to(engine.now_ms() + 1000);
        for e in engine.drain_events() {
            if let SimEvent::LineLit { module, .. } = e.event {
                let (_, m) = site.module_by_id(twin_model::ModuleId(module)).unwrap();
                let c = controllers[usize::from(m.controller)].lock().unwrap();
                assert_eq!(c.module_state(m.address), Some(ModuleState::Lit));
                seen_lit = true;
            }
        }
    }
    assert!(seen_lit);
}

#[test]
fn a_site_ordering_more_than_it_picks_holds_orders_back_instead_of_growing_without_end() {
    // The demo orders ~1,200 a day and its pickers pick ~550: three days would queue ~2,000.
    let site = site("demo.ron");
    let config = SimConfig { seed: 5, max_backlog: 120, ..SimConfig::default() };
    let (_, events) = run(&site, config, 3 * 24 * HOUR);
    let mut waiting = 0i64;
    let mut most = 0;
    for e in &events {
        match e.event {
            SimEvent::OrderReleased { .. } => waiting += 1,
            SimEvent::OrderAssigned { .. } => waiting -= 1,
            _ => {}
        }
        most = most.max(waiting);
    }
    assert!(most <= 120, "at most the backlog waits: {most}");
    assert!(most >= 100, "the demo does fill it: {most}");
}
