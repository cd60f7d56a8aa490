//! The overlay's drawing: plain egui over [`Ops`] and what the link reports, with no Bevy in
//! it, so UI tests drive it with egui_kittest and the benchmark times it alone. Drawing never
//! changes the model: what the user asks for comes back as [`UiAction`]s.

mod alarms;
mod health;
pub mod heat;
mod inspector;
mod kiosk;
mod kpis;
mod layout;
mod queue;

use egui::{Color32, RichText, Ui};
use twin_link::{ControllerHealth, ModuleReading, PickerReading};
use twin_model::{ModuleIndex, Site};

use crate::ops::{Ops, QueueView, Severity};

pub use alarms::alarms_panel;
pub use health::health_panel;
pub use inspector::inspector;
pub use kiosk::{KioskType, Wall, kiosk};
pub use kpis::kpi_panel;
pub use layout::PanelSizes;
use layout::warm_glyphs;
pub use queue::queue_panel;

/// What the overlay draws from, gathered once per frame.
pub struct Frame<'a> {
    /// The site.
    pub site: &'a Site,
    /// The overlay's model.
    pub ops: &'a Ops,
    /// Link health per controller.
    pub health: &'a [ControllerHealth],
    /// What is selected in the scene, with its live data.
    pub inspect: Inspect,
    /// Where the data comes from (shown in the top bar).
    pub source: &'a str,
    /// Wall-clock now, milliseconds since the Unix epoch.
    pub wall_ms: u64,
    /// The record button's state (None: no recorder here).
    pub recording: Option<&'a crate::RecordingControl>,
    /// How old the data on screen is.
    pub fresh: &'a crate::ops::Freshness,
    /// The heatmap's counts (None: off).
    pub heat: Option<&'a heat::HeatView>,
}

/// The selected thing and its live state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Inspect {
    /// Nothing selected.
    #[default]
    None,
    /// A module and its reading.
    Module(ModuleIndex, ModuleReading),
    /// A rack.
    Rack(u32),
    /// A picker and its reading.
    Picker(u16, PickerReading),
}

/// Something the user asked for; the caller applies it to the scene and the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UiAction {
    /// Highlight this order's lit modules (None: clear).
    SelectOrder(Option<u32>),
    /// Fly the camera to this order's lit modules (or its picker).
    FlyToOrder(u32),
    /// Fly the camera to this alarm's place.
    FlyToAlarm(u64),
    /// Acknowledge one alarm.
    Acknowledge(u64),
    /// Acknowledge every alarm.
    AcknowledgeAll,
    /// Select a module in the scene.
    SelectModule(ModuleIndex),
    /// Select a picker in the scene.
    SelectPicker(u16),
    /// Follow a picker with the camera.
    FollowPicker(u16),
    /// Close the inspector (clear the scene's selection).
    ClearSelection,
    /// Start or stop recording.
    ToggleRecording,
}

/// Which panels are open (normal mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Panels {
    /// Order queue (left).
    pub queue: bool,
    /// KPIs and plots (right).
    pub kpis: bool,
    /// Controller health (right, under the KPIs).
    pub health: bool,
    /// Alarms (bottom).
    pub alarms: bool,
}

impl Default for Panels {
    fn default() -> Self {
        Self { queue: true, kpis: true, health: true, alarms: true }
    }
}

/// The overlay's own state between frames: filters, the selected order, open panels, and the
/// sorted queue rows (recomputed only when the book or the view changes).
#[derive(Debug, Default)]
pub struct UiState {
    /// Queue filter and sort.
    pub view: QueueView,
    /// The highlighted order.
    pub selected_order: Option<u32>,
    /// Open panels.
    pub panels: Panels,
    /// Show only open alarms.
    pub open_alarms_only: bool,
    /// Wall display layout.
    pub kiosk: bool,
    /// The wall the kiosk layout sizes its type for.
    pub wall: kiosk::Wall,
    /// The area the panels left free (the 3D view's), as of the last frame drawn.
    pub free_area: Option<egui::Rect>,
    /// The order queue panel's width, points (its table is laid out for it).
    pub queue_width: f32,
    /// The pick heatmap's window (None: off).
    pub heat: Option<crate::ops::HeatWindow>,
    /// The clock range given at start, kept in the switch's menu.
    pub heat_range: Option<crate::ops::HeatWindow>,
    /// The screen height the glyph atlas was filled for.
    pub(super) warmed_for: Option<u32>,
    rows: Vec<u32>,
    rows_key: Option<(u64, QueueView)>,
}

impl UiState {
    /// The state at start, for the normal or the wall layout.
    pub fn new(kiosk: bool) -> Self {
        Self { kiosk, ..Self::default() }
    }

    /// The same state with the heatmap in `window` (None: off).
    pub fn with_heat(mut self, window: Option<crate::ops::HeatWindow>) -> Self {
        self.heat = window;
        self.heat_range = window.filter(|w| matches!(w, crate::ops::HeatWindow::Clock(_)));
        self
    }

    /// Fills the font atlas with every glyph again on the next frame (after it was rebuilt).
    pub fn warm_glyphs_again(&mut self) {
        self.warmed_for = None;
    }

    /// The same, sizing the kiosk's type for `wall`.
    pub fn on_wall(self, wall: Wall) -> Self {
        Self { wall, ..self }
    }

    /// Sorted, filtered row indices of the queue, recomputed when something changed.
    pub fn queue_rows(&mut self, ops: &Ops) -> &[u32] {
        let key = (ops.orders.generation(), self.view.clone());
        if self.rows_key.as_ref() != Some(&key) {
            self.view.rows(&ops.orders, &mut self.rows);
            self.rows_key = Some(key);
        }
        &self.rows
    }
}

/// Draws the whole overlay into `ui` (normally the window's root); returns what the user asked.
pub fn draw(ui: &mut Ui, frame: &Frame, state: &mut UiState) -> Vec<UiAction> {
    let mut actions = Vec::new();
    warm_glyphs(ui, state);
    if state.kiosk {
        kiosk(ui, frame, state);
        state.free_area = Some(ui.available_rect_before_wrap());
        return actions;
    }
    let sizes = PanelSizes::for_window(ui.ctx().content_rect().size());
    egui::Panel::top("picktwin_top").show(ui, |ui| top_bar(ui, frame, state, &mut actions));
    let mut open = state.panels.queue;
    // The table is laid out for the panel's own width (as last shown, else its default): a
    // panel grows to its content, so content sized to what is available would widen it.
    let queue_id = egui::Id::new("picktwin_queue");
    state.queue_width =
        egui::containers::panel::PanelState::load(ui.ctx(), queue_id).map_or(sizes.queue, |s| s.size().x);
    egui::Panel::left(queue_id)
        .default_size(sizes.queue)
        .size_range(160.0..=sizes.queue_max)
        .show_collapsible(ui, &mut open, |ui| {
            queue_panel(ui, frame, state, &mut actions);
        });
    state.panels.queue = open;
    let mut right = state.panels.kpis || state.panels.health;
    let right_panel =
        egui::Panel::right("picktwin_right").default_size(sizes.right).size_range(160.0..=sizes.right_max);
    right_panel.show_collapsible(ui, &mut right, |ui| {
        // Scrolls both ways: a wide controller table never widens the column over the floor.
        egui::ScrollArea::both().id_salt("right_scroll").show(ui, |ui| {
            if state.panels.kpis {
                egui::CollapsingHeader::new(RichText::new("Shift KPIs").strong()).default_open(true).show(
                    ui,
                    |ui| {
                        kpi_panel(ui, frame);
                    },
                );
            }
            if state.panels.health {
                egui::CollapsingHeader::new(RichText::new("Controllers").strong())
                    .default_open(true)
                    .show(ui, |ui| health_panel(ui, frame));
            }
        });
    });
    let mut open = state.panels.alarms;
    egui::Panel::bottom("picktwin_alarms")
        .default_size(sizes.alarms)
        .size_range(60.0..=sizes.alarms_max)
        .resizable(true)
        .show_collapsible(ui, &mut open, |ui| alarms_panel(ui, frame, state, &mut actions));
    state.panels.alarms = open;
    state.free_area = Some(ui.available_rect_before_wrap());
    if let (Some(h), Some(area)) = (frame.heat, state.free_area) {
        heat::legend(ui.ctx(), area, h);
    }
    inspector(ui.ctx(), frame, &mut actions);
    actions
}

/// Site, clock, source, alarm summary and panel toggles.
fn top_bar(ui: &mut Ui, frame: &Frame, state: &mut UiState, actions: &mut Vec<UiAction>) {
    // Items move to a second row when the window is narrow; no text is ever split or cut
    // (a wrapped clock read "06:00:0" with its last digit on a hidden row).
    ui.horizontal_wrapped(|ui| {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        ui.label(RichText::new(&frame.site.layout.name).strong());
        ui.separator();
        ui.label(RichText::new(clock(frame.ops.now())).monospace()).on_hover_text("controller clock");
        ui.separator();
        ui.label(frame.source);
        ui.separator();
        // The data's age, always; past its limit the whole line says so (the floor greys too).
        if frame.fresh.is_stale() {
            ui.label(
                RichText::new(stale_text(frame)).strong().color(Color32::WHITE).background_color(STALE_RED),
            );
        } else {
            ui.label(frame.fresh.age_text());
        }
        ui.separator();
        let open = frame.ops.alarms.open_count();
        let colour = severity_colour(frame.ops.alarms.worst_open());
        ui.label(RichText::new(plural(open, "open alarm")).color(colour));
        ui.separator();
        ui.toggle_value(&mut state.panels.queue, "Orders");
        ui.toggle_value(&mut state.panels.kpis, "KPIs");
        ui.toggle_value(&mut state.panels.health, "Controllers");
        ui.toggle_value(&mut state.panels.alarms, "Alarms");
        heat::toggle(ui, &mut state.heat, state.heat_range);
        if let Some(rec) = frame.recording.filter(|r| r.available) {
            ui.separator();
            match &rec.recording {
                Some(path) => {
                    let text = RichText::new(format!("● REC {:.1} MB", rec.bytes as f64 / 1e6))
                        .color(Color32::from_rgb(240, 70, 60));
                    if ui.button(text).on_hover_text(format!("recording to {path}; click to stop")).clicked()
                    {
                        actions.push(UiAction::ToggleRecording);
                    }
                }
                None => {
                    if ui
                        .button("record")
                        .on_hover_text("record from now (replay with `picktwin replay FILE`)")
                        .clicked()
                    {
                        actions.push(UiAction::ToggleRecording);
                    }
                }
            }
            if let Some(e) = &rec.error {
                ui.label(RichText::new(e).color(Color32::from_rgb(240, 70, 60)));
            }
        }
    });
}

/// Colour for an alarm severity (grey when none).
pub(crate) fn severity_colour(s: Option<Severity>) -> Color32 {
    match s {
        Some(Severity::Critical) => Color32::from_rgb(240, 70, 60),
        Some(Severity::Warning) => Color32::from_rgb(240, 170, 40),
        Some(Severity::Notice) => Color32::from_rgb(120, 180, 240),
        None => Color32::GRAY,
    }
}

/// Clock seconds as `HH:MM:SS`, with the day from the second day on.
pub fn clock(t: f64) -> String {
    twin_link::clock::clock_text(t)
}

/// The banner's red.
pub(crate) const STALE_RED: Color32 = Color32::from_rgb(190, 30, 30);

/// "DATA STALE — last update 14:03:27 (42 s ago): ptl-1". The last update is the controllers'
/// clock, which stops when their data stops.
pub(crate) fn stale_text(frame: &Frame) -> String {
    let ago = frame
        .fresh
        .age_ms
        .map_or("nothing received".to_owned(), |a| format!("{:.0} s ago", a as f64 / 1000.0));
    format!("DATA STALE — last update {} ({ago}): {}", clock(frame.ops.now()), frame.fresh.stale.join(", "))
}

/// `1 open alarm`, `3 open alarms`.
pub(crate) fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// A duration in seconds, short: `45 s`, `12 min`, `2 h 05`.
pub fn duration(s: f64) -> String {
    let s = s.max(0.0) as u64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else {
        format!("{} h {:02}", s / 3600, s / 60 % 60)
    }
}

/// A module's display name: its location text, and its id.
pub(crate) fn module_name(site: &Site, m: ModuleIndex) -> String {
    site.modules.get(m as usize).map_or_else(|| format!("module #{m}"), |md| md.location.to_string())
}

/// A controller's name.
pub(crate) fn controller_name(site: &Site, c: u16) -> &str {
    site.layout.controllers.get(usize::from(c)).map_or("?", |c| c.name.as_str())
}

/// A picker's name.
pub(crate) fn picker_name(site: &Site, p: u16) -> String {
    site.layout.pickers.get(usize::from(p)).map_or_else(|| format!("picker {p}"), |p| p.name.clone())
}

/// A zone's name.
pub(crate) fn zone_name(site: &Site, z: u16) -> &str {
    site.layout.zones.get(usize::from(z)).map_or("?", |z| z.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_duration_format() {
        assert_eq!(clock(6.0 * 3600.0 + 62.0), "06:01:02");
        assert_eq!(clock(86_400.0 + 3600.0), "day 2 01:00:00");
        assert_eq!(duration(59.9), "59 s");
        assert_eq!(duration(600.0), "10 min");
        assert_eq!(duration(7500.0), "2 h 05");
    }
}
