//! The timeline window: play, pause, steps, speed, the scrub bar, jumps to alarms and
//! bookmarks, and adding a bookmark with a note.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use twin_link::clock::clock_text;
use twin_record::{Bookmark, offset_text as offset};

use crate::player::Replay;

/// Playback speeds offered.
const SPEEDS: [f64; 11] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];

fn clock(s: u32) -> String {
    clock_text(f64::from(s))
}

/// The timeline window.
pub(crate) fn timeline(mut contexts: EguiContexts, mut replay: ResMut<Replay>) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let r = &mut *replay;
    let duration = r.rec.duration_ms;
    egui::Window::new("Timeline")
        .anchor(egui::Align2::CENTER_TOP, [0.0, 34.0])
        .resizable(false)
        .collapsible(true)
        .default_width(560.0)
        .show(&ctx, |ui| {
            let t = r.t as u64;
            let clock_text = r.rec.clock_at(t).map_or_else(String::new, clock);
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new(clock_text).monospace().strong());
                ui.label(format!("{} / {}", offset(t), offset(duration)));
                if r.last_seek_ms > 0.0 {
                    ui.label(egui::RichText::new(format!("seek {:.0} ms", r.last_seek_ms)).weak());
                }
            });
            let marks = r.marks();
            ui.horizontal(|ui| {
                if ui.button("◀ alarm").on_hover_text("previous alarm or bookmark").clicked()
                    && let Some(&m) = marks.iter().rev().find(|&&m| m + 500 < t)
                {
                    r.seek(m);
                }
                for (label, step) in [("−10 s", -10_000i64), ("−1 s", -1000)] {
                    if ui.button(label).clicked() {
                        r.seek(t.saturating_add_signed(step));
                    }
                }
                let play = if r.playing { "pause" } else { "play" };
                if ui.button(play).clicked() {
                    r.playing = !r.playing;
                }
                for (label, step) in [("+1 s", 1000i64), ("+10 s", 10_000)] {
                    if ui.button(label).clicked() {
                        r.seek(t.saturating_add_signed(step));
                    }
                }
                if ui.button("alarm ▶").on_hover_text("next alarm or bookmark").clicked()
                    && let Some(&m) = marks.iter().find(|&&m| m > t + 500)
                {
                    r.seek(m);
                }
                egui::ComboBox::from_id_salt("replay_speed").selected_text(format!("{}×", r.speed)).show_ui(
                    ui,
                    |ui| {
                        for s in SPEEDS {
                            ui.selectable_value(&mut r.speed, s, format!("{s}×"));
                        }
                    },
                );
            });
            let mut s = r.t / 1000.0;
            let slider = egui::Slider::new(&mut s, 0.0..=duration as f64 / 1000.0).show_value(false);
            ui.spacing_mut().slider_width = 520.0;
            if ui.add(slider).changed() {
                r.seek((s * 1000.0) as u64);
            }
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut r.note)
                        .hint_text("note for a bookmark here")
                        .desired_width(300.0),
                );
                if ui.button("add bookmark").clicked() {
                    let note = std::mem::take(&mut r.note);
                    r.bookmarks.push(Bookmark { t_ms: t, note });
                    r.bookmarks.sort_by_key(|b| b.t_ms);
                    r.save_bookmarks();
                }
            });
            let mut go = None;
            for b in &r.bookmarks {
                if ui.link(format!("{}  {}", offset(b.t_ms), b.note)).clicked() {
                    go = Some(b.t_ms);
                }
            }
            if let Some(t) = go {
                r.seek(t);
            }
        });
    Ok(())
}
