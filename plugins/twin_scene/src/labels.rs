//! Names in the world (zones, stations), drawn as egui text at each entity's projected
//! position: Bevy 0.19 has no 3D text, and a handful of labels do not justify a glyph atlas in
//! a shader (the module digits have one of their own). A label a rack stands in front of is
//! not drawn (a ray from the eye against the racks' boxes), so none shows through a rack.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, egui};
use twin_link::LinkSite;

/// A text label drawn over an entity.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct WorldLabel {
    /// The text (may have several lines: the first is drawn in the label's colour, larger).
    pub text: String,
    /// Text colour.
    pub colour: Color,
    /// Offset from the entity's position (world).
    pub offset: Vec3,
    /// Large type (zone names), visible from farther away.
    pub large: bool,
    /// Background (zone cards colour it by their backlog).
    pub backdrop: Color,
}

impl WorldLabel {
    /// A label `offset` above the entity.
    pub fn new(text: String, colour: Color, offset: Vec3) -> Self {
        Self { text, colour, offset, large: false, backdrop: Color::srgba(0.0, 0.0, 0.0, 0.6) }
    }

    /// Large type, for zone names.
    pub fn large(mut self) -> Self {
        self.large = true;
        self
    }
}

/// Scale of label type (kiosk mode raises it for wall displays).
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct LabelScale(pub f32);

impl Default for LabelScale {
    fn default() -> Self {
        Self(1.0)
    }
}

/// Labels smaller than this many points are not drawn (a wall display: nothing under its
/// legibility rule).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Default)]
pub struct LabelMinSize(pub f32);

/// The labels drawn in the last frame: first line of text and screen rectangle (logical
/// pixels). Tests and tools read it; nothing else depends on it.
#[derive(Resource, Debug, Default, Clone)]
pub struct DrawnLabels(pub Vec<(String, Rect)>);

/// Base sizes in points (times [`LabelScale`]).
pub const LABEL_SIZE: f32 = 14.0;
/// Large labels (zone cards).
pub const LARGE_LABEL_SIZE: f32 = 20.0;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LabelScale>()
        .init_resource::<LabelMinSize>()
        .init_resource::<RackBoxes>()
        .init_resource::<DrawnLabels>();
    app.add_systems(PostUpdate, collect_rack_boxes.in_set(crate::SceneSystems::Sync));
    if app.is_plugin_added::<EguiPlugin>() {
        app.add_systems(EguiPrimaryContextPass, draw_labels.in_set(crate::SceneSystems::Labels));
    }
}

/// Every rack's world box, for occlusion rays.
#[derive(Resource, Debug, Default, Clone)]
pub struct RackBoxes(pub Vec<(Vec3, Vec3)>);

impl RackBoxes {
    /// Whether a rack stands between `eye` and `point` (a box the segment enters before it
    /// is within `slack` metres of the point).
    pub fn occluded(&self, eye: Vec3, point: Vec3, slack: f32) -> bool {
        let d = point - eye;
        let len = d.length();
        if len < 1e-3 {
            return false;
        }
        let dir = d / len;
        let inv = dir.recip();
        self.0.iter().any(|(min, max)| {
            let t0 = (*min - eye) * inv;
            let t1 = (*max - eye) * inv;
            let near = t0.min(t1).max_element().max(0.0);
            let far = t0.max(t1).min_element();
            near <= far && near < len - slack
        })
    }
}

fn collect_rack_boxes(site: Option<Res<LinkSite>>, mut boxes: ResMut<RackBoxes>) {
    let Some(site) = site else { return };
    if boxes.0.len() != site.0.layout.racks.len() {
        boxes.0 = site.0.layout.racks.iter().map(crate::rack_box).collect();
    }
}

/// Draws every visible world label as egui text at its projected position (background layer).
pub fn draw_labels(
    mut contexts: EguiContexts,
    cameras: Query<(&Camera, &GlobalTransform), With<Camera3d>>,
    labels: Query<(&WorldLabel, &GlobalTransform, Option<&InheritedVisibility>)>,
    scale: Res<LabelScale>,
    min_size: Res<LabelMinSize>,
    racks: Res<RackBoxes>,
    mut drawn: ResMut<DrawnLabels>,
) -> Result {
    drawn.0.clear();
    let Some((camera, camera_at)) = cameras.iter().find(|(c, _)| c.is_active) else { return Ok(()) };
    let ctx = contexts.ctx_mut()?;
    let painter = ctx.layer_painter(egui::LayerId::background());
    let eye = camera_at.translation();
    let mut shown = Vec::new();
    for (label, at, visible) in &labels {
        if visible.is_some_and(|v| !v.get()) {
            continue;
        }
        let size = if label.large { LARGE_LABEL_SIZE } else { LABEL_SIZE } * scale.0;
        if size < min_size.0 {
            continue;
        }
        let world = at.translation() + label.offset;
        let distance = world.distance(eye);
        let range = if label.large { 250.0 } else { 45.0 };
        if distance > range || racks.occluded(eye, world, 0.3) {
            continue;
        }
        let Ok(pos) = camera.world_to_viewport(camera_at, world) else { continue };
        shown.push((distance, label, egui::pos2(pos.x, pos.y), size));
    }
    // Decluttered: nearest first, and a label that would overlap one already drawn is left out
    // (a wall's tour shows the zone it circles, not every card piled on it).
    shown.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut taken: Vec<egui::Rect> = Vec::with_capacity(shown.len());
    for (_, label, at, size) in shown {
        let card = layout_card(&painter, at, label, size);
        if taken.iter().any(|r| r.intersects(card.rect)) {
            continue;
        }
        taken.push(card.rect);
        let head = label.text.lines().next().unwrap_or_default().to_owned();
        let r = card.rect;
        drawn.0.push((head, Rect::new(r.min.x, r.min.y, r.max.x, r.max.y)));
        card.paint(&painter, label.backdrop, size);
    }
    Ok(())
}

/// A label laid out: its text and where its backdrop goes.
struct Card {
    galley: std::sync::Arc<egui::Galley>,
    rect: egui::Rect,
    pad: egui::Vec2,
}

/// Lays out a label's text bottom-centred at `at` (first line in the label's colour, the rest
/// in white at 0.8 of the size).
fn layout_card(painter: &egui::Painter, at: egui::Pos2, label: &WorldLabel, size: f32) -> Card {
    let (head, rest) = label.text.split_once('\n').map_or((label.text.as_str(), None), |(h, r)| (h, Some(r)));
    let mut job = egui::text::LayoutJob::default();
    let format = |size: f32, colour| egui::TextFormat {
        font_id: egui::FontId::proportional(size),
        color: colour,
        ..default()
    };
    job.append(head, 0.0, format(size, srgb(label.colour)));
    if let Some(rest) = rest {
        job.append("\n", 0.0, format(size * 0.8, egui::Color32::WHITE));
        job.append(rest, 0.0, format(size * 0.8, egui::Color32::WHITE));
    }
    job.halign = egui::Align::Center;
    let galley = painter.layout_job(job);
    let pad = egui::vec2(size * 0.3, size * 0.1);
    let rect = egui::Align2::CENTER_BOTTOM.anchor_size(at, galley.size()).expand2(pad);
    Card { galley, rect, pad }
}

impl Card {
    fn paint(self, painter: &egui::Painter, backdrop: Color, size: f32) {
        painter.rect_filled(self.rect, size * 0.2, srgb(backdrop));
        painter.galley(
            self.rect.center_top() + egui::vec2(0.0, self.pad.y),
            self.galley,
            egui::Color32::WHITE,
        );
    }
}

fn srgb(c: Color) -> egui::Color32 {
    let [r, g, b, a] = c.to_srgba().to_u8_array();
    egui::Color32::from_rgba_unmultiplied(r, g, b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rack_between_eye_and_label_hides_it() {
        let racks = RackBoxes(vec![(Vec3::new(-1.0, 0.0, -6.0), Vec3::new(1.0, 2.0, -5.0))]);
        let eye = Vec3::new(0.0, 1.7, 0.0);
        // Behind the rack at eye height: hidden; above the rack's top seen from far: shown.
        assert!(racks.occluded(eye, Vec3::new(0.0, 1.5, -10.0), 0.3));
        assert!(!racks.occluded(eye, Vec3::new(0.0, 6.0, -10.0), 0.3));
        // In front of the rack, or beside it: shown.
        assert!(!racks.occluded(eye, Vec3::new(0.0, 1.5, -4.0), 0.3));
        assert!(!racks.occluded(eye, Vec3::new(3.0, 1.5, -10.0), 0.3));
        // A label on the rack's own face (within the slack) is not hidden by its rack.
        assert!(!racks.occluded(eye, Vec3::new(0.0, 1.5, -5.1), 0.3));
    }
}
