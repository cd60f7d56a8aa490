//! The wall layout: no interaction, dark, type sized for the wall it hangs on. Control-room
//! ergonomics (ISO 11064) ask for characters of at least 16 arc-minutes at the viewing
//! distance: [`KioskType::for_wall`] derives every size from the screen's height in points,
//! the panel's diagonal and the distance. The floor keeps most of the screen: one bar on top,
//! one below, one column on the right (KPIs, then open alarms); the 3D tour fills the rest.

use egui::{Color32, FontId, RichText, Ui};

use super::health::connection_look;
use super::{Frame, UiState, clock, controller_name, severity_colour};
use crate::ops::Alarm;
use crate::ops::SourceView;
use twin_link::SourceKind;

/// The wall a kiosk runs on (a 16:9 panel): its diagonal and how far away its readers stand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wall {
    /// Diagonal, inches.
    pub inches: f32,
    /// Viewing distance, metres.
    pub distance_m: f32,
}

impl Wall {
    /// The panel's picture height, mm (16:9; diagonals under 10 inches count as 10).
    pub fn height_mm(self) -> f32 {
        self.inches.max(10.0) * 25.4 * 9.0 / 16f32.hypot(9.0)
    }
}

impl Default for Wall {
    /// A 55-inch panel read from 5 m.
    fn default() -> Self {
        Self { inches: 55.0, distance_m: 5.0 }
    }
}

/// Cap height of egui's default proportional font (Ubuntu Light) per point of font size, a
/// little under the measured 0.70 (tests/layouts.rs measures the laid-out glyphs), so sizes
/// derived from it never fall short.
pub const CAP_PER_POINT: f32 = 0.68;

/// Smallest cap height of body text, arc-minutes at the viewing distance (ISO 11064).
pub const TEXT_ARCMIN: f32 = 16.0;
/// Headings.
pub const HEADING_ARCMIN: f32 = 19.0;
/// Headline figures.
pub const FIGURE_ARCMIN: f32 = 22.0;

/// Font sizes (points) of the wall layout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KioskType {
    /// KPI figures.
    pub figure: f32,
    /// Headings.
    pub heading: f32,
    /// Labels and list text.
    pub text: f32,
}

impl KioskType {
    /// Sizes for a screen `height` points tall on `wall`: the cap height that subtends the
    /// angle at the distance, in points of this screen, over the font's cap ratio.
    pub fn for_wall(height: f32, wall: Wall) -> Self {
        let height = height.max(240.0);
        let points_per_mm = height / wall.height_mm();
        let size = |arcmin: f32| {
            let cap_mm = wall.distance_m.max(0.5) * 1000.0 * (arcmin / 60.0).to_radians().tan();
            // Whole points, rounded up: never under the rule, and the font atlas caches one
            // set of glyphs per size.
            (cap_mm * points_per_mm / CAP_PER_POINT).ceil()
        };
        Self { figure: size(FIGURE_ARCMIN), heading: size(HEADING_ARCMIN), text: size(TEXT_ARCMIN) }
    }

    /// Cap height in millimetres on `wall` of type `size` points tall on a screen `height`
    /// points tall.
    pub fn cap_mm(size: f32, height: f32, wall: Wall) -> f32 {
        size * CAP_PER_POINT * wall.height_mm() / height
    }
}

/// Share of the screen width the right-hand column takes.
pub const COLUMN_SHARE: f32 = 0.3;

/// Draws the wall layout.
pub fn kiosk(ui: &mut Ui, frame: &Frame, state: &mut UiState) {
    let screen = ui.ctx().content_rect();
    let t = KioskType::for_wall(screen.height(), state.wall);
    // Set once: replacing the style every frame would be work for nothing.
    if !ui.visuals().dark_mode {
        ui.ctx().set_visuals(egui::Visuals::dark());
    }
    let panel_frame = egui::Frame::new().fill(Color32::from_gray(12)).inner_margin(t.text * 0.3);
    let text = |s: String| RichText::new(s).font(FontId::proportional(t.text));

    // Stale data: a full-width banner in heading type across the top, readable across the room.
    if frame.fresh.is_stale() {
        let banner = egui::Frame::new().fill(super::STALE_RED).inner_margin(t.text * 0.3);
        egui::Panel::top("kiosk_stale").frame(banner).show(ui, |ui| {
            ui.vertical_centered(|ui| {
                let text = RichText::new(super::stale_text(frame)).font(FontId::proportional(t.heading));
                ui.label(text.strong().color(Color32::WHITE));
            });
        });
    }
    egui::Panel::top("kiosk_top").frame(panel_frame).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new(&frame.site.layout.name).font(FontId::proportional(t.heading)).strong());
            ui.add_space(t.text * 0.5);
            ui.label(RichText::new(clock(frame.ops.now())).font(FontId::monospace(t.heading)));
            ui.add_space(t.text * 0.5);
            ui.label(text(frame.fresh.age_text()).weak());
        });
    });
    egui::Panel::bottom("kiosk_bottom").frame(panel_frame).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| status_line(ui, frame, t));
    });
    let column = screen.width() * COLUMN_SHARE;
    egui::Panel::right("kiosk_column").frame(panel_frame).exact_size(column).show(ui, |ui| {
        kpi_tiles(ui, frame, t);
        ui.add_space(t.text * 0.3);
        alarm_list(ui, frame, t);
    });
}

/// The controllers as one summary (the ones not online by name, in their state's colour) and
/// the order and picker sources in their freshness's colour: a wall never shows a stale queue
/// as current, and a site of dozens of controllers still fits one line.
fn status_line(ui: &mut Ui, frame: &Frame, t: KioskType) {
    let text = |s: String| RichText::new(s).font(FontId::proportional(t.text));
    let green = Color32::from_rgb(90, 200, 110);
    let down: Vec<(usize, &'static str, Color32)> = frame
        .health
        .iter()
        .enumerate()
        .map(|(c, h)| (c, connection_look(h)))
        .filter(|(_, (state, _))| *state != "online")
        .map(|(c, (state, colour))| (c, state, colour))
        .collect();
    let online = frame.health.len() - down.len();
    let colour = if down.is_empty() { green } else { Color32::from_rgb(240, 170, 40) };
    ui.label(text(format!("controllers {online}/{}", frame.health.len())).color(colour).strong());
    for (c, state, colour) in down {
        ui.label(text(format!("{} {state}", controller_name(frame.site, c as u16))).color(colour).strong());
    }
    for kind in [SourceKind::Orders, SourceKind::Pickers] {
        let view = frame.ops.sources.get(kind);
        let colour = match view {
            SourceView::NotConfigured => Color32::from_gray(120),
            SourceView::Controller => green,
            v if v.is_fresh(frame.wall_ms) => green,
            _ => Color32::from_rgb(240, 170, 40),
        };
        ui.add_space(t.text * 0.3);
        ui.label(text(kind.name().to_owned()).color(colour).strong());
    }
}

/// The shift's headline figures, one per row: name in text type, figure in figure type.
fn kpi_tiles(ui: &mut Ui, frame: &Frame, t: KioskType) {
    let k = frame.ops.kpis();
    let white = Color32::from_gray(235);
    let orders = match frame.ops.sources.orders {
        SourceView::NotConfigured => "–".to_owned(),
        _ => format!("{:.0}", k.orders_per_h),
    };
    let late = if k.late > 0 { Color32::from_rgb(240, 70, 60) } else { Color32::from_rgb(90, 200, 110) };
    let rows = [
        ("orders / h", orders, white),
        ("lines / h", format!("{:.0}", k.lines_per_h), white),
        ("busy", k.utilisation.map_or("–".into(), |u| format!("{:.0} %", u * 100.0)), white),
        ("open", k.open_orders.to_string(), white),
        ("late", k.late.to_string(), late),
    ];
    egui::Grid::new("kiosk_kpis").num_columns(2).spacing([t.text * 0.4, 0.0]).show(ui, |ui| {
        for (name, value, colour) in rows {
            ui.label(RichText::new(name).font(FontId::proportional(t.text)).weak());
            ui.label(RichText::new(value).font(FontId::proportional(t.figure)).color(colour).strong());
            ui.end_row();
        }
    });
}

/// Open alarms, newest first, as many as fit.
fn alarm_list(ui: &mut Ui, frame: &Frame, t: KioskType) {
    let text = |s: String| RichText::new(s).font(FontId::proportional(t.text));
    let open: Vec<&Alarm> = frame.ops.alarms.newest_first().filter(|a| a.is_open()).collect();
    ui.label(
        RichText::new(super::plural(open.len(), "alarm"))
            .font(FontId::proportional(t.heading))
            .color(severity_colour(frame.ops.alarms.worst_open())),
    );
    // Two lines of text each (time and kind, then place), plus the "more" line.
    let fits = ((ui.available_height() - t.text * 1.3) / (t.text * 2.6)).floor().max(1.0) as usize;
    for a in open.iter().take(fits) {
        ui.label(
            text(format!("{}  {}", clock(a.raised_s), a.kind.label()))
                .color(severity_colour(Some(a.kind.severity())))
                .strong(),
        );
        ui.label(text(super::alarms::place_name(frame, a.place)));
    }
    if open.len() > fits {
        ui.label(text(format!("+ {} more", open.len() - fits)).weak());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_meets_the_angle_at_the_distance() {
        // A 55-inch 16:9 panel is 684.9 mm tall: 0.634 mm per point at 1080 points.
        let wall = Wall::default();
        let t = KioskType::for_wall(1080.0, wall);
        let cap = |size: f32| KioskType::cap_mm(size, 1080.0, wall);
        // 16' at 5 m is 23.27 mm; 22' is 32.00 mm.
        // 53.96 and 74.20 points, rounded up.
        assert_eq!((t.text, t.heading, t.figure), (54.0, 65.0, 75.0));
        assert!(cap(t.text) >= 23.27 && cap(t.text) < 23.3, "{}", cap(t.text));
        assert!(cap(t.figure) >= 32.0 && cap(t.figure) < 32.4, "{}", cap(t.figure));
        // Twice the pixels, twice the points (107.93 up); twice the distance, the same.
        assert_eq!(KioskType::for_wall(2160.0, wall).text, 108.0);
        assert_eq!(KioskType::for_wall(1080.0, Wall { distance_m: 10.0, ..wall }).text, 108.0);
        // A bigger panel needs fewer points for the same millimetres (26.98 up).
        assert_eq!(KioskType::for_wall(1080.0, Wall { inches: 110.0, ..wall }).text, 27.0);
    }
}
