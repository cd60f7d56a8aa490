//! picktwin's egui overlay: order queue, shift KPIs with plots, alarms, controller health and
//! an inspector; a kiosk layout for control-room walls.
//!
//! Three layers: [`ops`] computes what is shown (plain Rust, unit-tested with exact values),
//! [`ui`] draws it with egui (no Bevy; tested with egui_kittest), and the plugin here feeds the
//! model from the link every frame and turns the user's clicks into scene messages.

mod draw;
pub mod ops;
mod track;
pub mod ui;

use bevy::prelude::*;
use twin_link::LinkSystems;

pub use draw::OverlayStats;
pub use ops::{Ops, OpsConfig};
pub use ui::{Frame, Inspect, UiAction, UiState};

/// The overlay.
#[derive(Default)]
pub struct OverlayPlugin {
    /// Wall layout: large type, no interaction, dark.
    pub kiosk: bool,
    /// Thresholds and service levels.
    pub config: OpsConfig,
    /// Where the data comes from, shown in the top bar.
    pub source: String,
}

impl Plugin for OverlayPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(OpsModel(Ops::new(self.config.clone())))
            .insert_resource(OverlayUi { state: UiState::new(self.kiosk) })
            .insert_resource(OverlaySource(self.source.clone()))
            .init_resource::<OverlayStats>()
            .configure_sets(Update, OverlaySystems::Track.after(LinkSystems::Apply));
        if self.kiosk {
            app.insert_resource(twin_scene::LabelScale(2.0));
        }
        track::plugin(app);
        draw::plugin(app);
    }
}

/// The overlay's systems.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OverlaySystems {
    /// Feeds the model from the link (Update).
    Track,
    /// Draws and applies the user's actions (EguiPrimaryContextPass).
    Draw,
}

/// The overlay's model, fed by the link.
#[derive(Resource, Debug)]
pub struct OpsModel(pub Ops);

/// The overlay's UI state.
#[derive(Resource, Debug)]
pub struct OverlayUi {
    /// Filters, selection, panels.
    pub state: UiState,
}

/// Where the data comes from.
#[derive(Resource, Debug, Clone)]
pub struct OverlaySource(pub String);
