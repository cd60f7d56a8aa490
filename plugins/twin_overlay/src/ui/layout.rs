//! How the normal layout shares the window (panel sizes that leave the floor more than half
//! of it) and the font atlas filled once with every glyph the overlay draws.

use egui::{Color32, Ui};

use super::{KioskType, UiState};

/// Panel sizes for a window (points): the side panels share at most 45 % of the width by
/// default (a 1366-point laptop keeps more than half for the floor), at most 60 % when the
/// user widens them; the alarm list a sixth of the height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanelSizes {
    /// Order queue width at start.
    pub queue: f32,
    /// Widest the order queue may be dragged.
    pub queue_max: f32,
    /// KPI/controller column width at start.
    pub right: f32,
    /// Widest that column may be dragged.
    pub right_max: f32,
    /// Alarm list height at start.
    pub alarms: f32,
    /// Tallest it may be dragged.
    pub alarms_max: f32,
}

impl PanelSizes {
    /// Sizes for a window `size` points large.
    pub fn for_window(size: egui::Vec2) -> Self {
        let (w, h) = (size.x.max(320.0), size.y.max(240.0));
        Self {
            queue: (w * 0.23).clamp(160.0, 430.0),
            queue_max: w * 0.32,
            right: (w * 0.22).clamp(160.0, 360.0),
            right_max: w * 0.28,
            alarms: (h * 0.17).clamp(60.0, 170.0),
            alarms_max: h * 0.35,
        }
    }
}

/// Puts every printable ASCII glyph of every size the overlay uses into egui's font atlas at
/// once, on the first frame and when the screen height (the kiosk's sizes) changes. Glyphs
/// added one by one in later frames (a clock's next digit, a count's) reach the GPU as
/// partial updates, and some were seen missing on screen ("06:00:0", "(  s observed)"); with
/// the atlas complete from the start no glyph is ever added later.
pub(super) fn warm_glyphs(ui: &mut Ui, state: &mut UiState) {
    let height = ui.ctx().content_rect().height().round() as u32;
    if state.warmed_for == Some(height) {
        return;
    }
    state.warmed_for = Some(height);
    let ascii: String = (' '..='~').chain("–—·×°′…⏶⏷●".chars()).collect();
    let mut fonts = vec![egui::FontId::proportional(14.0), egui::FontId::monospace(14.0)];
    for style in
        [egui::TextStyle::Body, egui::TextStyle::Button, egui::TextStyle::Heading, egui::TextStyle::Small]
    {
        fonts.push(style.resolve(ui.style()));
    }
    fonts.push(egui::TextStyle::Monospace.resolve(ui.style()));
    if state.kiosk {
        let t = KioskType::for_wall(height as f32, state.wall);
        for size in [t.text, t.heading, t.figure] {
            fonts.push(egui::FontId::proportional(size));
            fonts.push(egui::FontId::monospace(size));
        }
    }
    for font in fonts {
        let _ = ui.painter().layout_no_wrap(ascii.clone(), font, Color32::WHITE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_leave_the_floor_more_than_half_the_width() {
        for (w, h) in [(1366.0, 768.0), (1280.0, 720.0), (1920.0, 1080.0), (3840.0, 2160.0)] {
            let s = PanelSizes::for_window(egui::vec2(w, h));
            assert!(s.queue + s.right <= 0.5 * w, "{w}x{h}: {s:?}");
            assert!(s.alarms <= h / 5.0, "{w}x{h}: {s:?}");
        }
        let laptop = PanelSizes::for_window(egui::vec2(1366.0, 768.0));
        assert_eq!((laptop.queue.round(), laptop.right.round()), (314.0, 301.0));
    }
}
