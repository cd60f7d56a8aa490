//! Pickers at site scale: from far away a 1.8 m figure is a few pixels, so each picker also
//! gets a mark drawn on screen (egui, background layer): a disc at least 14 points tall in its
//! state's colour, ringed in its lights' colour, with an arrow for its heading and a fading
//! trail of where it walked in the last minute. Its name shows on hover, or when few pickers
//! are in view. Near the camera the figure itself reads, and the mark steps aside.

use std::collections::VecDeque;

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, egui};
use twin_link::{LinkSite, Picker};
use twin_model::codes::{self, PickerState};

use crate::labels::{LABEL_SIZE, LabelMinSize, LabelScale, RackBoxes};
use crate::pickers::{PickerMotion, picker_colour};

/// Seconds of trail kept.
pub const TRAIL_S: f32 = 60.0;
/// Seconds between trail points.
const TRAIL_STEP_S: f32 = 1.0;
/// Smallest mark, points tall (the 12, and a margin).
pub const MARK_PX: f32 = 14.0;
/// Figures at least this tall on screen are readable themselves: no mark.
const FIGURE_READS_PX: f32 = 48.0;
/// Names are shown without hovering when at most this many pickers are in view.
const FEW: usize = 8;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        PostUpdate,
        record_trails.after(crate::pickers::move_pickers).in_set(crate::SceneSystems::Animate),
    );
    if app.is_plugin_added::<EguiPlugin>() {
        app.add_systems(EguiPrimaryContextPass, draw_picker_marks.in_set(crate::SceneSystems::Labels));
    }
}

/// Where a picker walked: drawn positions, one per second, oldest first.
#[derive(Component, Debug, Default, Clone, PartialEq)]
pub struct PickerTrail {
    /// (seconds since start, world position).
    pub points: VecDeque<(f32, Vec3)>,
    jumps: u32,
}

impl PickerTrail {
    /// Adds the position at `t` if a step has passed since the last point; drops points older
    /// than [`TRAIL_S`]. After a jump the motion did not animate (`jumps` moved on) the trail
    /// starts again: it never draws a line where nobody walked.
    pub fn record(&mut self, t: f32, at: Vec3, jumps: u32) {
        if jumps != self.jumps {
            self.points.clear();
            self.jumps = jumps;
        }
        if self.points.back().is_none_or(|(last, _)| t - last >= TRAIL_STEP_S) {
            self.points.push_back((t, at));
        }
        while self.points.front().is_some_and(|(first, _)| t - first > TRAIL_S) {
            self.points.pop_front();
        }
    }
}

/// Colour of a picker's state (the mark's fill).
pub fn state_colour(state: u16) -> [u8; 3] {
    match PickerState::from_register(state) {
        Some(PickerState::Walking) => [70, 150, 255],
        Some(PickerState::Picking) => [60, 220, 90],
        Some(PickerState::Packing) => [190, 120, 255],
        Some(PickerState::Break) => [245, 170, 40],
        Some(PickerState::Idle) | Some(PickerState::Absent) | None => [200, 200, 200],
    }
}

fn record_trails(time: Res<Time<Real>>, mut pickers: Query<(&PickerMotion, &mut PickerTrail)>) {
    let t = time.elapsed_secs();
    // A hidden (absent) picker keeps its trail but is not drawn with it.
    for (motion, mut trail) in &mut pickers {
        if motion.placed {
            trail.record(t, motion.shown, motion.jumps);
        }
    }
}

/// Draws each visible picker's trail, mark and (on hover or when few are in view) name.
#[expect(clippy::too_many_arguments, reason = "a system's parameters are its data access")]
fn draw_picker_marks(
    mut contexts: EguiContexts,
    site: Option<Res<LinkSite>>,
    cameras: Query<(&Camera, &GlobalTransform), With<Camera3d>>,
    pickers: Query<(&Picker, &PickerMotion, &InheritedVisibility, &PickerTrail)>,
    windows: Query<&Window, With<PrimaryWindow>>,
    scale: Res<LabelScale>,
    min_size: Res<LabelMinSize>,
    racks: Res<RackBoxes>,
    time: Res<Time<Real>>,
) -> Result {
    let Some(site) = site else { return Ok(()) };
    let Some((camera, at)) = cameras.iter().find(|(c, _)| c.is_active) else { return Ok(()) };
    let ctx = contexts.ctx_mut()?;
    let painter = ctx.layer_painter(egui::LayerId::background());
    let eye = at.translation();
    let cursor = windows.single().ok().and_then(Window::cursor_position);
    let now = time.elapsed_secs();
    let project = |p: Vec3| camera.world_to_viewport(at, p).ok().map(|v| egui::pos2(v.x, v.y));
    let mut shown = Vec::new();
    for (picker, motion, visible, trail) in &pickers {
        if !visible.get() || !motion.placed {
            continue;
        }
        let head = motion.shown + Vec3::Y * 1.9;
        let (Some(foot), Some(top)) = (project(motion.shown), project(head)) else { continue };
        if racks.occluded(eye, head, 0.3) {
            continue;
        }
        let [r, g, b] = codes::COLOURS[picker_colour(picker.index)].1;
        let light = egui::Color32::from_rgb(r, g, b);
        // Segment by segment, fading with age (no list per picker per frame).
        let mut prev: Option<(f32, egui::Pos2)> = None;
        for (t, p) in trail.points.iter().filter_map(|(t, p)| project(*p).map(|s| (*t, s))) {
            if let Some((t0, p0)) = prev {
                let fade = (1.0 - (now - t0) / TRAIL_S).clamp(0.0, 1.0);
                painter.line_segment([p0, p], egui::Stroke::new(2.5, light.gamma_multiply(0.85 * fade)));
            }
            prev = Some((t, p));
        }
        let figure_px = (foot.y - top.y).abs();
        if figure_px >= FIGURE_READS_PX {
            continue;
        }
        let r_mark = MARK_PX * 0.5;
        let centre = egui::pos2(top.x, top.y - r_mark);
        let [sr, sg, sb] = state_colour(picker.reading.state);
        let fill = if picker.reading.stale {
            egui::Color32::from_gray(110)
        } else {
            egui::Color32::from_rgb(sr, sg, sb)
        };
        painter.circle(centre, r_mark, fill, egui::Stroke::new(2.0, light));
        // Heading: where one metre ahead projects, as an arrow out of the disc.
        let ahead = Quat::from_rotation_y(motion.shown_heading) * Vec3::X;
        if let Some(tip) = project(head + ahead) {
            let d = (tip - top).normalized();
            if d.is_finite() {
                let base = centre + d * r_mark;
                let side = egui::vec2(-d.y, d.x) * (r_mark * 0.55);
                let point = centre + d * (r_mark * 2.0);
                painter.add(egui::Shape::convex_polygon(
                    vec![base + side, point, base - side],
                    light,
                    egui::Stroke::new(1.0, egui::Color32::from_black_alpha(200)),
                ));
            }
        }
        shown.push((picker.index, centre));
    }
    let size = LABEL_SIZE * scale.0;
    if size < min_size.0 {
        return Ok(());
    }
    let few = shown.len() <= FEW;
    for (index, centre) in shown {
        let hovered = cursor.is_some_and(|c| egui::pos2(c.x, c.y).distance(centre) <= MARK_PX);
        if !(few || hovered) {
            continue;
        }
        let name = site.0.layout.pickers.get(usize::from(index)).map_or("?", |p| p.name.as_str());
        let galley =
            painter.layout_no_wrap(name.to_owned(), egui::FontId::proportional(size), egui::Color32::WHITE);
        let rect = egui::Align2::CENTER_BOTTOM
            .anchor_size(centre - egui::vec2(0.0, MARK_PX), galley.size())
            .expand2(egui::vec2(3.0, 1.0));
        painter.rect_filled(rect, 3.0, egui::Color32::from_black_alpha(160));
        painter.galley(rect.min + egui::vec2(3.0, 1.0), galley, egui::Color32::WHITE);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trail_keeps_a_point_a_second_for_a_minute() {
        let mut trail = PickerTrail::default();
        for k in 0..1000 {
            // Quarter seconds: exact in binary, so the steps are exact too.
            let t = k as f32 * 0.25;
            trail.record(t, Vec3::new(t, 0.0, 0.0), 0);
        }
        // 249.75 s recorded: a point each second, the last minute of them (190 to 249).
        assert_eq!(trail.points.len(), 60);
        assert_eq!(trail.points.front().unwrap().0, 190.0);
        assert_eq!(trail.points.back().unwrap().0, 249.0);
        // A jump starts it again.
        trail.record(251.0, Vec3::new(50.0, 0.0, 0.0), 1);
        assert_eq!(trail.points.len(), 1);
    }

    #[test]
    fn states_have_distinct_colours() {
        let states = [
            PickerState::Idle,
            PickerState::Walking,
            PickerState::Picking,
            PickerState::Packing,
            PickerState::Break,
        ];
        let colours: std::collections::HashSet<[u8; 3]> =
            states.iter().map(|s| state_colour(*s as u16)).collect();
        assert_eq!(colours.len(), states.len());
    }
}
