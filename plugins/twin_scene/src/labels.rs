//! Names in the world (zones, stations, picker name tags), drawn as egui text at each
//! entity's projected position: Bevy 0.19 has no 3D text, and a handful of labels do not
//! justify a glyph atlas in a shader (the module digits have one of their own).

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, egui};

/// A text label drawn over an entity.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct WorldLabel {
    /// The text.
    pub text: String,
    /// Text colour.
    pub colour: Color,
    /// Offset from the entity's position (world).
    pub offset: Vec3,
    /// Large type (zone names), visible from farther away.
    pub large: bool,
}

impl WorldLabel {
    /// A label `offset` above the entity.
    pub fn new(text: String, colour: Color, offset: Vec3) -> Self {
        Self { text, colour, offset, large: false }
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

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LabelScale>();
    if app.is_plugin_added::<EguiPlugin>() {
        app.add_systems(EguiPrimaryContextPass, draw_labels.in_set(crate::SceneSystems::Labels));
    }
}

/// Draws every visible world label as egui text at its projected position (background layer).
pub fn draw_labels(
    mut contexts: EguiContexts,
    cameras: Query<(&Camera, &GlobalTransform), With<Camera3d>>,
    labels: Query<(&WorldLabel, &GlobalTransform, Option<&InheritedVisibility>)>,
    scale: Res<LabelScale>,
) -> Result {
    let Some((camera, camera_at)) = cameras.iter().find(|(c, _)| c.is_active) else { return Ok(()) };
    let ctx = contexts.ctx_mut()?;
    let painter = ctx.layer_painter(egui::LayerId::background());
    let eye = camera_at.translation();
    for (label, at, visible) in &labels {
        if visible.is_some_and(|v| !v.get()) {
            continue;
        }
        let world = at.translation() + label.offset;
        let distance = world.distance(eye);
        let range = if label.large { 250.0 } else { 45.0 };
        if distance > range {
            continue;
        }
        let Ok(pos) = camera.world_to_viewport(camera_at, world) else { continue };
        let size = if label.large { 22.0 } else { 14.0 } * scale.0;
        let [r, g, b, _] = label.colour.to_srgba().to_u8_array();
        let galley = painter.layout_no_wrap(
            label.text.clone(),
            egui::FontId::proportional(size),
            egui::Color32::from_rgb(r, g, b),
        );
        let rect = egui::Align2::CENTER_BOTTOM
            .anchor_size(egui::pos2(pos.x, pos.y), galley.size())
            .expand2(egui::vec2(4.0, 1.0));
        painter.rect_filled(rect, 3.0, egui::Color32::from_black_alpha(150));
        painter.galley(rect.min + egui::vec2(4.0, 1.0), galley, egui::Color32::WHITE);
    }
    Ok(())
}
