//! CPU cost of the overlay per frame: the egui pass (our drawing, egui's layout) plus
//! tessellation, at 1920×1080, with 1,000 orders in the queue, 500 alarms, a shift's KPI series
//! and 8 controllers, against the same pass over an empty model in the same run.
//!
//! `cargo bench --workspace --profile dev --bench overlay_cost [-- --check]`
//! (`--profile dev`: the overlay and egui are optimised there already, and a release build of
//! Bevy would take a quarter of an hour on 2 cores). `--check` fails when the loaded pass
//! averages more than 2 ms.

use std::time::Instant;

use twin_link::{ConnectionState, ControllerHealth, ModuleReading, OrderSlot};
use twin_model::Site;
use twin_model::codes::{ModuleState, NO_PICKER, OrderStatus};
use twin_overlay::ops::{Ops, OpsConfig, PickerCounts};
use twin_overlay::ui::{self, Frame, Inspect, Panels, UiState};

const FRAMES: usize = 400;
const BUDGET_MS: f64 = 2.0;

/// A pharma_dc shift two hours in: `orders` orders on the board, a third each pending, active
/// and done, lit lines, confirmations, alarms.
fn loaded(site: &Site, orders: u32) -> Ops {
    let mut ops = Ops::new(OpsConfig::default());
    let t0 = 6.0 * 3600.0;
    let counts = PickerCounts { busy: 30, present: 40 };
    ops.advance(t0, 0, counts);
    let zones = site.layout.zones.len().max(1) as u16;
    for i in 0..orders {
        let status = [OrderStatus::Pending, OrderStatus::Active, OrderStatus::Done][(i % 3) as usize];
        let slot = OrderSlot {
            order_id: 100_000 + i,
            zone: (i % u32::from(zones)) as u16,
            lines_total: 4,
            lines_done: if status == OrderStatus::Done { 4 } else { (i % 4) as u16 },
            priority: (i % 7 == 0) as u16,
            status: OrderStatus::Pending as u16,
            picker: NO_PICKER,
            release_s: t0 as u32 + i * 7,
            due_s: 0,
            first_job: 1 + i * 4,
        };
        ops.order_slot(i as u16, &slot);
        if status != OrderStatus::Pending {
            ops.order_slot(i as u16, &OrderSlot { status: status as u16, picker: (i % 40) as u16, ..slot });
        }
    }
    let n = site.modules.len() as u32;
    let lit =
        |job: u32| ModuleReading { state: ModuleState::Lit as u16, job, quantity: 4, ..Default::default() };
    for k in 0..600u32 {
        ops.module((k * 7919) % n, &lit(1 + k));
    }
    // Two hours of minutes, with picks (some short) on the way.
    for minute in 1..=120u32 {
        ops.advance(t0 + f64::from(minute) * 60.0, 0, counts);
        for k in 0..5u32 {
            let m = (minute * 31 + k * 977 + 1) % n;
            let job = 10_000 + minute * 5 + k;
            ops.module(m, &lit(job));
            let short = k == 4 && minute % 3 == 0;
            let state = if short { ModuleState::Shortage } else { ModuleState::Confirmed };
            let done =
                ModuleReading { state: state as u16, press_count: 1, confirmed_quantity: 2, ..lit(job) };
            ops.module(m, &done);
            ops.module(m, &ModuleReading { press_count: 1, ..Default::default() });
        }
    }
    for c in 0..500u32 {
        ops.exception((c % 8) as u16, 3, 2, (c * 12) as u16);
    }
    ops.refresh();
    ops
}

fn health() -> Vec<ControllerHealth> {
    (0..8)
        .map(|i| ControllerHealth {
            connection: ConnectionState::Connected,
            polls: 10_000 + i,
            latency_p50_us: 400,
            latency_p99_us: 1800,
            last_good_poll_ms: 1_000,
            ..ControllerHealth::default()
        })
        .collect()
}

/// Mean and p99 milliseconds of `FRAMES` full egui frames (run + tessellate).
fn time_frames(site: &Site, ops: &Ops, kiosk: bool, panels: Panels) -> (f64, f64) {
    let ctx = egui::Context::default();
    let mut state = UiState::new(kiosk);
    state.panels = panels;
    let health = health();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1920.0, 1080.0))),
        ..egui::RawInput::default()
    };
    // The freshness as the draw system computes it each frame.
    let fresh = twin_overlay::ops::freshness(site, &health, 2_000, None, twin_overlay::ops::Judge::Age);
    let mut samples = Vec::with_capacity(FRAMES);
    for i in 0..FRAMES + 20 {
        let start = Instant::now();
        let mut out = ctx.run_ui(input(), |ui| {
            let frame = Frame {
                site,
                ops,
                health: &health,
                inspect: Inspect::Module(0, ModuleReading::default()),
                source: "bench",
                wall_ms: 2_000,
                recording: None,
                fresh: &fresh,
                heat: None,
            };
            std::hint::black_box(ui::draw(ui, &frame, &mut state));
        });
        // A renderer would upload these (the font atlas on the first frame).
        out.textures_delta.clear();
        let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
        std::hint::black_box(prims);
        if i >= 20 {
            samples.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    samples.sort_by(f64::total_cmp);
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    (mean, samples[samples.len() * 99 / 100])
}

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/pharma_dc.ron");
    let site = Site::load(path).unwrap_or_else(|e| panic!("{e}"));
    let empty = Ops::new(OpsConfig::default());
    let full = loaded(&site, 1_000);
    assert_eq!(full.orders.orders().len(), 1_000);

    // Model upkeep per frame at this load: the clock step with its once-a-second scan.
    let mut upkeep = full.clone();
    let start = Instant::now();
    let steps = 2_000;
    for k in 0..steps {
        upkeep.advance(6.0 * 3600.0 + 7200.0 + f64::from(k), 0, PickerCounts { busy: 30, present: 40 });
    }
    let upkeep_ms = start.elapsed().as_secs_f64() * 1e3 / f64::from(steps);

    let all = Panels::default();
    let (base_mean, base_p99) = time_frames(&site, &empty, false, all);
    let (mean, p99) = time_frames(&site, &full, false, all);
    let (kiosk_mean, kiosk_p99) = time_frames(&site, &full, true, all);
    println!(
        "overlay CPU per frame, 1920x1080, pharma_dc ({} modules), {FRAMES} frames each",
        site.modules.len()
    );
    println!("| case | mean ms | p99 ms | vs empty |");
    println!("|---|---:|---:|---:|");
    println!("| empty model (baseline) | {base_mean:.3} | {base_p99:.3} | 1.00 |");
    println!("| 1,000 orders, 500 alarms, 2 h series | {mean:.3} | {p99:.3} | {:.2} |", mean / base_mean);
    println!("| same, kiosk layout | {kiosk_mean:.3} | {kiosk_p99:.3} | {:.2} |", kiosk_mean / base_mean);
    // What each panel adds: the loaded pass with that panel closed.
    for (name, panels) in [
        ("orders", Panels { queue: false, ..all }),
        ("KPIs", Panels { kpis: false, ..all }),
        ("controllers", Panels { health: false, ..all }),
        ("alarms", Panels { alarms: false, ..all }),
    ] {
        let (m, _) = time_frames(&site, &full, false, panels);
        println!("| without {name} | {m:.3} | | {:.2} |", m / base_mean);
    }
    println!("model upkeep per frame (clock step, once-a-second scan and KPIs): {upkeep_ms:.4} ms");
    if check && mean > BUDGET_MS {
        eprintln!("overlay pass {mean:.3} ms > {BUDGET_MS} ms budget");
        std::process::exit(1);
    }
}
