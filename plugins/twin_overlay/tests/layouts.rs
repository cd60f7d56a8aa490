//! The wall layout's legibility, measured from egui's own layout of a kiosk frame at
//! 1920×1080: every glyph of a capital letter or digit is at least the cap height that
//! subtends 16 arc-minutes at 5 m on a 55-inch panel (ISO 11064), headline figures 22; and
//! the panels leave the floor at least half of the screen. And the normal layout on a
//! 1366×768 laptop, with a full order queue, leaves the floor at least half the width.

use egui::epaint::Shape;
use twin_link::{ConnectionState, ControllerHealth};
use twin_model::Site;
use twin_overlay::ops::{AlarmKind, Freshness, Ops, OpsConfig, PickerCounts, Place};
use twin_overlay::ui::{self, Frame, Inspect, KioskType, UiState, Wall};

fn pharma() -> Site {
    Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/pharma_dc.ron")).expect("layout")
}

/// Cap height (points) of the caps and digits of each text shape, with its font size.
fn cap_heights(shapes: &[egui::epaint::ClippedShape]) -> Vec<(f32, f32, String)> {
    fn walk(shape: &Shape, out: &mut Vec<(f32, f32, String)>) {
        match shape {
            Shape::Vec(v) => v.iter().for_each(|s| walk(s, out)),
            Shape::Text(t) => {
                let size =
                    t.galley.job.sections.iter().map(|s| s.format.font_id.size).fold(f32::MAX, f32::min);
                let mut cap: f32 = 0.0;
                for row in &t.galley.rows {
                    for g in &row.row.glyphs {
                        // Capitals and digits without descenders stand on the baseline at cap height.
                        if (g.chr.is_ascii_uppercase() && !"QJ".contains(g.chr)) || g.chr.is_ascii_digit() {
                            cap = cap.max(g.uv_rect.size.y);
                        }
                    }
                }
                if cap > 0.0 {
                    out.push((cap, size, t.galley.job.text.clone()));
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    shapes.iter().for_each(|s| walk(&s.shape, &mut out));
    out
}

/// Draws the whole overlay `passes` times in a `size` window at one pixel per point, as the
/// running twin does; the last pass's shapes.
fn draw_frames(
    site: &Site,
    ops: &Ops,
    health: &[ControllerHealth],
    state: &mut UiState,
    size: egui::Vec2,
    passes: usize,
) -> Vec<egui::epaint::ClippedShape> {
    let fresh = Freshness::default();
    let frame = Frame {
        site,
        ops,
        health,
        inspect: Inspect::None,
        source: "simulator ×1 (in process)",
        wall_ms: 0,
        recording: None,
        fresh: &fresh,
        heat: None,
    };
    let ctx = egui::Context::default();
    ctx.set_pixels_per_point(1.0);
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, size);
    let mut shapes = Vec::new();
    for _ in 0..passes {
        let input = egui::RawInput { screen_rect: Some(screen), ..Default::default() };
        let mut out = ctx.run_ui(input, |ui| {
            ui::draw(ui, &frame, state);
        });
        shapes = std::mem::take(&mut out.shapes);
        out.drop_without_applying_deltas();
    }
    shapes
}

#[test]
fn kiosk_text_meets_the_wall_rule_and_the_floor_keeps_half_the_screen() {
    let site = pharma();
    let mut ops = Ops::new(OpsConfig::default());
    ops.advance(10.0 * 3600.0, 0, PickerCounts::default());
    for (k, kind) in [AlarmKind::MisPick, AlarmKind::ControllerOffline].into_iter().enumerate() {
        ops.alarms.raise(kind, Place::Controller(k as u16), "test".into(), 36_000.0, 0);
    }
    let mut health = vec![
        ControllerHealth { connection: ConnectionState::Connected, ..Default::default() };
        site.layout.controllers.len()
    ];
    health[2].connection = ConnectionState::Disconnected;
    let mut state = UiState::new(true).on_wall(Wall::default());
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1920.0, 1080.0));
    // Twice: the first pass loads the fonts and sizes the panels.
    let shapes = draw_frames(&site, &ops, &health, &mut state, screen.size(), 2);
    let caps = cap_heights(&shapes);
    assert!(caps.len() >= 10, "texts measured: {caps:?}");
    let t = KioskType::for_wall(1080.0, Wall::default());
    // 16' at 5 m on a 55-inch 1080-line panel (0.634 mm a line): 36.7 lines; 22': 50.5.
    let (text_min, figure_min) = (36.69, 50.45);
    for (cap, size, text) in &caps {
        assert!(*cap >= text_min, "{text:?} at {size} pt has caps {cap:.1} pt tall, under {text_min}");
        if (*size - t.figure).abs() < 0.01 {
            assert!(*cap >= figure_min, "figure {text:?}: caps {cap:.1} pt, under {figure_min}");
        }
    }
    assert!(caps.iter().any(|(_, size, _)| (*size - t.figure).abs() < 0.01), "figures measured");
    let free = state.free_area.expect("the kiosk reported its free area");
    let share = free.area() / screen.area();
    assert!(share >= 0.5, "the floor has {:.0} % of the screen ({free:?})", share * 100.0);
    println!(
        "smallest cap {:.1} pt, floor {:.0} % of the screen",
        caps.iter().map(|c| c.0).fold(f32::MAX, f32::min),
        share * 100.0
    );
}

#[test]
fn the_normal_layout_leaves_a_laptop_half_its_width() {
    let site = pharma();
    let mut ops = Ops::new(OpsConfig::default());
    ops.advance(10.0 * 3600.0, 0, PickerCounts::default());
    for slot in 0..64u16 {
        let order = twin_link::OrderSlot {
            order_id: 10_000 + u32::from(slot),
            zone: slot % 4,
            lines_total: 12,
            lines_done: 3,
            priority: slot % 3,
            status: twin_model::codes::OrderStatus::Pending as u16,
            picker: twin_model::codes::NO_PICKER,
            release_s: 30_000,
            due_s: 0,
            first_job: u32::from(slot) * 16,
        };
        ops.order_slot(slot, &order);
    }
    let health = vec![
        ControllerHealth { connection: ConnectionState::Connected, ..Default::default() };
        site.layout.controllers.len()
    ];
    let mut state = UiState::new(false);
    draw_frames(&site, &ops, &health, &mut state, egui::vec2(1366.0, 768.0), 3);
    let free = state.free_area.expect("the layout reported its free area");
    assert!(free.width() >= 0.5 * 1366.0, "the floor has {:.0} of 1366 points ({free:?})", free.width());
    assert!(free.height() >= 0.6 * 768.0, "the floor has {:.0} of 768 points ({free:?})", free.height());
}
