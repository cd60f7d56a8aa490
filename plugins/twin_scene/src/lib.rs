//! picktwin's 3D floor: the layout's floor, zones, aisles, racks and stations; one light module
//! per slot drawn with seven-segment digits by a single instanced material; pickers moving
//! smoothly between readings; click selection.
//!
//! The scene decorates the entities the live link spawns (`LightModule`, `Picker`) rather than
//! keeping its own copies, so whatever feeds the link (Modbus, a recording, a broker) drives the
//! floor. Without a renderer (tests, headless tools) the same systems run and keep the
//! instance data; only meshes and materials are skipped.

pub mod beacons;
pub mod display;
pub mod floor;
pub mod labels;
pub mod marks;
pub mod modules;
pub mod pickers;
pub mod selection;

use bevy::prelude::*;
use twin_model::layout::Rect;

pub use floor::{FloorBounds, RackEntity, StationEntity, ZoneEntity};
pub use labels::{DrawnLabels, LabelMinSize, LabelScale, RackBoxes, WorldLabel};
pub use modules::{FloorStale, ModuleHeat, ModuleHighlights, ModuleMaterial, ModuleStates, module_size};
pub use pickers::PickerMotion;
pub use selection::{FollowPicker, SelectRequest, Selected, Selection, SelectionChanged};

/// The 3D floor.
pub struct ScenePlugin;

impl Plugin for ScenePlugin {
    fn build(&self, app: &mut App) {
        // Order against other plugins (after the link spawned its entities, the camera after
        // selection) is the app's: twin_app::schedule.
        app.init_resource::<ViewArea>()
            .configure_sets(Startup, SceneSystems::Build)
            .configure_sets(Update, SceneSystems::Select)
            .configure_sets(
                PostUpdate,
                (SceneSystems::Animate, SceneSystems::Sync).chain().before(TransformSystems::Propagate),
            );
        floor::plugin(app);
        modules::plugin(app);
        pickers::plugin(app);
        labels::plugin(app);
        marks::plugin(app);
        selection::plugin(app);
    }
}

/// The scene's systems.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SceneSystems {
    /// Spawns the static floor (Startup, after the link spawned its entities).
    Build,
    /// Turns clicks into selections (Update).
    Select,
    /// Moves pickers and highlights (PostUpdate, before transforms propagate).
    Animate,
    /// Packs changed module states for the GPU (PostUpdate).
    Sync,
    /// Draws world labels (EguiPrimaryContextPass, under the overlay's panels).
    Labels,
    /// Extracts packed module states and writes them to the GPU (the render app).
    Render,
}

/// The part of the window the 3D view may use: the free area between the overlay's panels, in
/// logical pixels from the window's top-left (`None`: the whole window). The overlay sets it
/// each frame it lays out its panels; the camera renders into it and frames its views for it.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Default)]
pub struct ViewArea(pub Option<bevy::math::Rect>);

/// Plan coordinates (x east, y north, height; metres) to world (Y up, north is -Z).
pub fn plan_to_world([x, y, h]: [f32; 3]) -> Vec3 {
    Vec3::new(x, h, -y)
}

/// A rack's world-space bounding box (footprint × frame height): `(min, max)`.
pub fn rack_box(rack: &twin_model::layout::Rack) -> (Vec3, Vec3) {
    let fp = rack.footprint();
    (plan_to_world([fp.x, fp.y + fp.depth, 0.0]), plan_to_world([fp.x + fp.width, fp.y, rack.height()]))
}

/// Centre of a plan rectangle on the floor, in world coordinates.
pub fn plan_rect_centre(r: &Rect) -> Vec3 {
    plan_to_world([r.x + r.width * 0.5, r.y + r.depth * 0.5, 0.0])
}
