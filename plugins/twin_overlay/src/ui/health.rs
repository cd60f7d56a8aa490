//! Controller health: connection state, last good poll, latency p50/p99, polls, errors,
//! exceptions and reconnects, one row per controller; then the order and picker sources with
//! their state and data age.

use egui::{Color32, RichText, Ui};
use twin_link::{ConnectionState, ControllerHealth, SourceKind};

use crate::ops::SourceView;

use super::{Frame, controller_name, duration};

/// A controller's state in words and colour.
pub(crate) fn connection_look(h: &ControllerHealth) -> (&'static str, Color32) {
    match (h.connection, h.stale) {
        (ConnectionState::Disconnected, _) => ("offline", Color32::from_rgb(240, 70, 60)),
        (ConnectionState::Refused, _) => ("refused", Color32::from_rgb(240, 70, 60)),
        _ if h.frozen => ("frozen", Color32::from_rgb(240, 70, 60)),
        (_, true) => ("stale", Color32::from_rgb(240, 170, 40)),
        (ConnectionState::Connected, false) => ("online", Color32::from_rgb(90, 200, 110)),
        (ConnectionState::Connecting, false) => ("connecting", Color32::GRAY),
    }
}

/// The controller health table.
pub fn health_panel(ui: &mut Ui, frame: &Frame) {
    egui::Grid::new("health_grid").striped(true).num_columns(7).show(ui, |ui| {
        for h in ["controller", "state", "data age", "p50 / p99", "polls", "errors", "exc / reconn"] {
            ui.label(RichText::new(h).strong());
        }
        ui.end_row();
        for (c, h) in frame.health.iter().enumerate() {
            ui.label(controller_name(frame.site, c as u16));
            let (text, colour) = connection_look(h);
            let watchdog = h.status & 0b10 != 0;
            ui.label(RichText::new(if watchdog { "watchdog" } else { text }).color(if watchdog {
                Color32::from_rgb(240, 70, 60)
            } else {
                colour
            }));
            // The data's age, always shown: "ok" is only ever said of fresh data.
            let last = match h.age_ms(frame.wall_ms) {
                None => "never".to_owned(),
                Some(ms) if ms < 10_000 => format!("{:.1} s", ms as f64 / 1000.0),
                Some(ms) => format!("{} ago", duration(ms as f64 / 1000.0)),
            };
            let missing = super::super::ops::missing_names(h);
            let cell = ui.label(last);
            if !missing.is_empty() {
                cell.on_hover_text(format!("missing block(s): {missing}; cycle {} ms", h.cycle_ms));
            }
            ui.label(format!(
                "{:.1} / {:.1} ms",
                f64::from(h.latency_p50_us) / 1000.0,
                f64::from(h.latency_p99_us) / 1000.0
            ));
            ui.label(h.polls.to_string());
            ui.label(RichText::new(h.errors.to_string()).color(if h.errors > 0 {
                Color32::from_rgb(240, 170, 40)
            } else {
                ui.visuals().text_color()
            }));
            ui.label(format!("{} / {}", h.exceptions, h.reconnects));
            ui.end_row();
        }
    });
    // The site data sources beyond the controllers, with their data age ("ok" only if fresh).
    for kind in [SourceKind::Orders, SourceKind::Pickers] {
        let view = frame.ops.sources.get(kind);
        let colour = if view.is_fresh(frame.wall_ms) || *view == SourceView::Controller {
            ui.visuals().text_color()
        } else {
            Color32::from_rgb(240, 170, 40)
        };
        ui.label(RichText::new(view.describe(kind, frame.wall_ms)).color(colour));
    }
}
