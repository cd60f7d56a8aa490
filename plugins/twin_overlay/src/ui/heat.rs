//! The heatmap's controls: the top bar's switch (off, last hour, this shift, a clock range
//! given at start), the legend over the floor's corner (the scene's ramp, from 0 to the busiest
//! module's picks) and the line the inspector adds for a module.

use egui::{Color32, RichText, Ui};
use twin_model::ModuleIndex;

use crate::ops::HeatWindow;

/// What the heatmap counted, for the legend and the inspector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeatView {
    /// The window counted (None: the heatmap is off).
    pub window: Option<HeatWindow>,
    /// Picks per module.
    pub counts: Vec<u32>,
    /// The busiest module's count.
    pub max: u32,
}

impl HeatView {
    /// "12 picks this shift" for a module, when the heatmap is on.
    pub fn module_line(&self, m: ModuleIndex) -> Option<String> {
        let w = self.window?;
        let n = self.counts.get(m as usize).copied().unwrap_or(0);
        Some(format!("{n} pick{} {}", if n == 1 { "" } else { "s" }, w.label()))
    }
}

/// The ramp the module shader draws (module.wgsl `heat_colour`), for the legend.
pub fn ramp(t: f32) -> Color32 {
    let stops: [(f32, [u8; 3]); 4] =
        [(0.0, [26, 64, 230]), (0.33, [0, 217, 230]), (0.66, [255, 230, 26]), (1.0, [255, 31, 13])];
    let t = t.clamp(0.0, 1.0);
    let k = stops.windows(2).position(|w| t <= w[1].0).unwrap_or(2);
    let ((a, ca), (b, cb)) = (stops[k], stops[k + 1]);
    let f = (t - a) / (b - a);
    let mix = |i: usize| (f32::from(ca[i]) + (f32::from(cb[i]) - f32::from(ca[i])) * f).round() as u8;
    Color32::from_rgb(mix(0), mix(1), mix(2))
}

/// The top bar's switch; `range` is the clock range given at start (`--heat 06:00-08:00`),
/// offered beside the last hour and this shift.
pub fn toggle(ui: &mut Ui, heat: &mut Option<HeatWindow>, range: Option<HeatWindow>) {
    let text = match heat {
        None => "Heat".to_owned(),
        Some(w) => format!("Heat: {}", w.label()),
    };
    egui::ComboBox::from_id_salt("heat")
        .selected_text(text)
        .show_ui(ui, |ui| {
            ui.selectable_value(heat, None, "off");
            ui.selectable_value(heat, Some(HeatWindow::LastHour), "picks in the last hour");
            ui.selectable_value(heat, Some(HeatWindow::Shift), "picks this shift");
            if let Some(r) = range {
                ui.selectable_value(heat, Some(r), format!("picks {}", r.label()));
            }
        })
        .response
        .on_hover_text("colour every module by how often it was picked");
}

/// The legend, at the bottom left of the floor's free area.
pub fn legend(ctx: &egui::Context, area: egui::Rect, view: &HeatView) {
    let Some(window) = view.window else { return };
    egui::Area::new("heat_legend".into())
        .fixed_pos(area.left_bottom() + egui::vec2(12.0, -64.0))
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.label(RichText::new(format!("picks per module, {}", window.label())).strong());
                let (rect, _) = ui.allocate_exact_size(egui::vec2(180.0, 10.0), egui::Sense::hover());
                let painter = ui.painter();
                for i in 0..36 {
                    let x0 = rect.left() + rect.width() * i as f32 / 36.0;
                    let r = egui::Rect::from_min_max(
                        egui::pos2(x0, rect.top()),
                        egui::pos2(x0 + rect.width() / 36.0 + 0.5, rect.bottom()),
                    );
                    painter.rect_filled(r, 0.0, ramp(i as f32 / 35.0));
                }
                ui.horizontal(|ui| {
                    ui.label("1");
                    ui.add_space(140.0);
                    ui.label(view.max.to_string());
                });
            });
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_ramp_matches_the_shader_stops_and_lines_read_plainly() {
        assert_eq!(ramp(0.0), Color32::from_rgb(26, 64, 230));
        assert_eq!(ramp(0.66), Color32::from_rgb(255, 230, 26));
        assert_eq!(ramp(1.0), Color32::from_rgb(255, 31, 13));
        let v = HeatView { window: Some(HeatWindow::Shift), counts: vec![0, 1, 12], max: 12 };
        assert_eq!(v.module_line(2).as_deref(), Some("12 picks this shift"));
        assert_eq!(v.module_line(1).as_deref(), Some("1 pick this shift"));
        assert_eq!(v.module_line(9).as_deref(), Some("0 picks this shift"));
        assert_eq!(HeatView::default().module_line(0), None);
        let v = HeatView {
            window: Some(HeatWindow::Clock(twin_model::shifts::ClockRange { from_s: 32_400, to_s: 41_400 })),
            ..v
        };
        assert_eq!(v.module_line(2).as_deref(), Some("12 picks 09:00–11:30"));
    }
}
