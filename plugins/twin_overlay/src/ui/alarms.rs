//! The alarm list: newest first, with time, kind, place and detail; fly to the place,
//! acknowledge one or all. Only the rows on screen are laid out.

use egui::{Color32, RichText, Ui};

use super::{Frame, UiAction, UiState, clock, controller_name, module_name, severity_colour};
use crate::ops::{Alarm, Place};

/// The alarms panel.
pub fn alarms_panel(ui: &mut Ui, frame: &Frame, state: &mut UiState, actions: &mut Vec<UiAction>) {
    let log = &frame.ops.alarms;
    ui.horizontal(|ui| {
        ui.heading("Alarms");
        ui.label(format!("{} open, {} kept", log.open_count(), log.len()));
        ui.checkbox(&mut state.open_alarms_only, "open only");
        if ui.button("acknowledge all").clicked() {
            actions.push(UiAction::AcknowledgeAll);
        }
    });
    ui.separator();
    // Open-only filtering walks the log once per frame (at most the log's cap, 2,000).
    let shown: Vec<&Alarm> = log.newest_first().filter(|a| !state.open_alarms_only || a.is_open()).collect();
    if shown.is_empty() {
        ui.label(RichText::new("no alarms").weak());
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body).max(20.0);
    egui::ScrollArea::vertical().id_salt("alarm_rows").auto_shrink([false, false]).show_rows(
        ui,
        row_height,
        shown.len(),
        |ui, range| {
            for a in &shown[range] {
                alarm_row(ui, frame, a, actions);
            }
        },
    );
}

fn alarm_row(ui: &mut Ui, frame: &Frame, a: &Alarm, actions: &mut Vec<UiAction>) {
    ui.horizontal(|ui| {
        let colour = if a.is_open() { severity_colour(Some(a.kind.severity())) } else { Color32::GRAY };
        ui.add_sized([64.0, 18.0], egui::Label::new(RichText::new(clock(a.raised_s)).monospace()));
        ui.add_sized([84.0, 18.0], egui::Label::new(RichText::new(a.kind.label()).color(colour).strong()));
        ui.add_sized([110.0, 18.0], egui::Label::new(place_name(frame, a.place)).truncate());
        let mut detail = a.detail.clone();
        if a.repeats > 0 {
            detail.push_str(&format!(" (×{})", a.repeats + 1));
        }
        if let Some(t) = a.cleared_s {
            detail.push_str(&format!(", cleared {}", clock(t)));
        }
        if ui.small_button("fly").on_hover_text("fly the camera there").clicked() {
            actions.push(UiAction::FlyToAlarm(a.id));
        }
        if !a.acknowledged {
            if ui.small_button("ack").clicked() {
                actions.push(UiAction::Acknowledge(a.id));
            }
        } else {
            ui.label(RichText::new("acked").weak());
        }
        ui.add(egui::Label::new(RichText::new(detail).color(colour)).truncate());
    });
}

/// Where an alarm is, in words.
pub(crate) fn place_name(frame: &Frame, p: Place) -> String {
    match p {
        Place::Controller(c) => controller_name(frame.site, c).to_owned(),
        Place::Module(m) => module_name(frame.site, m),
        Place::Source(kind) => format!("{} source", kind.name()),
        Place::Feed => "feed".to_owned(),
    }
}
