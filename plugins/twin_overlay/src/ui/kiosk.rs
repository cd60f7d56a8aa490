//! The wall layout: no interaction, dark, type sized from the screen height so a 1080p wall
//! shows KPI figures 72 px tall and text 30 px (readable at about 5 m on a 55–65" panel);
//! KPIs on the left, open alarms on the right, controllers along the bottom, the 3D tour in
//! the middle of a 16:9 screen.

use egui::{Color32, FontId, RichText, Ui};

use super::health::connection_look;
use super::kpis::series_plots;
use super::{Frame, UiState, clock, controller_name, severity_colour};
use crate::ops::Alarm;
use crate::ops::SourceView;
use twin_link::SourceKind;

/// Type sizes for a screen `height` points tall.
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
    /// Sizes for a screen this tall (1080 → 72 / 45 / 30).
    pub fn for_height(height: f32) -> Self {
        let h = height.max(360.0);
        Self { figure: h / 15.0, heading: h / 24.0, text: h / 36.0 }
    }
}

/// Draws the wall layout.
pub fn kiosk(ui: &mut Ui, frame: &Frame, _state: &mut UiState) {
    let screen = ui.ctx().content_rect();
    let t = KioskType::for_height(screen.height());
    // Set once: replacing the style every frame would be work for nothing.
    if !ui.visuals().dark_mode {
        ui.ctx().set_visuals(egui::Visuals::dark());
    }
    let panel_frame = egui::Frame::new().fill(Color32::from_gray(12)).inner_margin(t.text * 0.6);
    let text = |s: String| RichText::new(s).font(FontId::proportional(t.text));

    // Stale data: a full-width banner in heading type across the top, readable across the room.
    if frame.fresh.is_stale() {
        let banner = egui::Frame::new().fill(super::STALE_RED).inner_margin(t.text * 0.5);
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
            ui.add_space(t.text);
            ui.label(RichText::new(clock(frame.ops.now())).font(FontId::monospace(t.heading)));
            ui.add_space(t.text);
            ui.label(text(frame.source.to_owned()).weak());
            ui.add_space(t.text);
            ui.label(text(frame.fresh.age_text()).weak());
        });
    });
    egui::Panel::bottom("kiosk_bottom").frame(panel_frame).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            for (c, h) in frame.health.iter().enumerate() {
                let (state, colour) = connection_look(h);
                // The name in its state's colour (the default fonts have no bullet glyph).
                ui.label(text(controller_name(frame.site, c as u16).to_owned()).color(colour).strong())
                    .on_hover_text(state);
                ui.add_space(t.text * 0.5);
            }
            // The order and picker sources, in their freshness's colour: a wall display never
            // shows a stale queue as current.
            for kind in [SourceKind::Orders, SourceKind::Pickers] {
                let view = frame.ops.sources.get(kind);
                let colour = match view {
                    SourceView::NotConfigured => Color32::from_gray(120),
                    SourceView::Controller => Color32::from_rgb(90, 200, 110),
                    v if v.is_fresh(frame.wall_ms) => Color32::from_rgb(90, 200, 110),
                    _ => Color32::from_rgb(240, 170, 40),
                };
                ui.label(text(kind.name().to_owned()).color(colour).strong())
                    .on_hover_text(view.describe(kind, frame.wall_ms));
                ui.add_space(t.text * 0.5);
            }
        });
    });
    egui::Panel::left("kiosk_kpis").frame(panel_frame).exact_size(screen.width() * 0.27).show(ui, |ui| {
        let k = frame.ops.kpis();
        let tile = |ui: &mut Ui, name: &str, value: String, colour: Color32| {
            ui.label(text(name.to_owned()).weak());
            ui.label(RichText::new(value).font(FontId::proportional(t.figure)).color(colour).strong());
        };
        let white = Color32::from_gray(235);
        let orders = match frame.ops.sources.orders {
            SourceView::NotConfigured => "–".to_owned(),
            _ => format!("{:.0}", k.orders_per_h),
        };
        tile(ui, "orders / h", orders, white);
        tile(ui, "lines / h", format!("{:.0}", k.lines_per_h), white);
        tile(ui, "utilisation", k.utilisation.map_or("–".into(), |u| format!("{:.0} %", u * 100.0)), white);
        let late = if k.late > 0 { Color32::from_rgb(240, 70, 60) } else { Color32::from_rgb(90, 200, 110) };
        tile(ui, "on track / late", format!("{} / {}", k.on_track, k.late), late);
        ui.label(text(format!(
            "short {:.1} %   mis-pick {:.2} %   open {}",
            k.short_rate * 100.0,
            k.mispick_rate * 100.0,
            k.open_orders
        )));
        series_plots(ui, frame, t.figure * 2.2);
    });
    egui::Panel::right("kiosk_alarms").frame(panel_frame).exact_size(screen.width() * 0.27).show(ui, |ui| {
        let open: Vec<&Alarm> = frame.ops.alarms.newest_first().filter(|a| a.is_open()).collect();
        ui.label(
            RichText::new(super::plural(open.len(), "open alarm"))
                .font(FontId::proportional(t.heading))
                .color(severity_colour(frame.ops.alarms.worst_open())),
        );
        let fits = ((ui.available_height() / (t.text * 2.6)).floor() as usize).max(1);
        for a in open.iter().take(fits) {
            ui.label(
                text(format!("{}  {}", clock(a.raised_s), a.kind.label()))
                    .color(severity_colour(Some(a.kind.severity())))
                    .strong(),
            );
            ui.label(text(format!("{}  {}", super::alarms::place_name(frame, a.place), a.detail)));
        }
        if open.len() > fits {
            ui.label(text(format!("+ {} more", open.len() - fits)).weak());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_scales_with_the_screen() {
        assert_eq!(KioskType::for_height(1080.0), KioskType { figure: 72.0, heading: 45.0, text: 30.0 });
        assert_eq!(KioskType::for_height(2160.0).figure, 144.0);
        // Never below what a 360-point window gets.
        assert_eq!(KioskType::for_height(100.0).text, 10.0);
    }
}
