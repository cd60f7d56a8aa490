//! picktwin's egui overlay: order queue, shift KPIs with plots, alarms, controller health and
//! an inspector; a kiosk layout for control-room walls.
//!
//! Three layers: [`ops`] computes what is shown (plain Rust, unit-tested with exact values),
//! [`ui`] draws it with egui (no Bevy; tested with egui_kittest), and the plugin here feeds the
//! model from the link every frame and turns the user's clicks into scene messages.

mod draw;
pub mod heat;
/// The operations model, its own crate (no rendering) so the gateway computes the same KPIs.
pub use twin_ops as ops;
mod track;
pub mod ui;
mod zones;

use bevy::prelude::*;

pub use draw::OverlayStats;
pub use ops::{Ops, OpsConfig};
pub use ui::{Frame, Inspect, UiAction, UiState};

/// The overlay.
#[derive(Default)]
pub struct OverlayPlugin {
    /// Wall layout: large type, no interaction, dark.
    pub kiosk: bool,
    /// The wall the kiosk sizes its type for.
    pub wall: ui::Wall,
    /// Thresholds and service levels.
    pub config: OpsConfig,
    /// Where the data comes from, shown in the top bar.
    pub source: String,
    /// Something else feeds the model (a replay): the live tracker stays off.
    pub external_feed: bool,
    /// The pick heatmap at start (None: off; the top bar switches it).
    pub heat: Option<ops::HeatWindow>,
}

impl Plugin for OverlayPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(OpsModel(Ops::new(self.config.clone())))
            .insert_resource(OverlayUi {
                state: UiState::new(self.kiosk).on_wall(self.wall).with_heat(self.heat),
            })
            .insert_resource(OverlaySource(self.source.clone()))
            .init_resource::<OverlayStats>()
            .init_resource::<OverlayWallClock>()
            .init_resource::<RecordingControl>()
            .init_resource::<OverlayFeed>();
        // Track runs in Update, after the link applied its messages in PreUpdate; Draw's order
        // against the scene's labels is the app's (twin_app::schedule).
        app.configure_sets(Update, OverlaySystems::Cards.after(OverlaySystems::Track));
        if !self.external_feed {
            track::plugin(app);
        }
        draw::plugin(app);
        zones::plugin(app);
        heat::plugin(app);
    }
}

/// The overlay's systems.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OverlaySystems {
    /// Feeds the model from the link (Update).
    Track,
    /// Writes the zone cards' activity from the model and the link (Update, after Track).
    Cards,
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

/// The wall clock the overlay measures ages against (milliseconds since the Unix epoch);
/// None: now. A replay sets it to the recording's time.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct OverlayWallClock(pub Option<u64>);

/// The record button: whether recording is possible here, what it is doing, and the user's
/// request to toggle it (the app's recorder acts on `toggle` and clears it).
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct RecordingControl {
    /// A recorder is attached (live twin); the button shows only then.
    pub available: bool,
    /// The file being written, while recording.
    pub recording: Option<String>,
    /// Bytes written so far.
    pub bytes: u64,
    /// The last failure.
    pub error: Option<String>,
    /// The user pressed the button.
    pub toggle: bool,
}

/// The feed between the controllers and this twin, when there is one (a gateway through a
/// broker; the app updates it): its age counts in the floor's freshness.
#[derive(Resource, Debug, Clone, Default)]
pub struct OverlayFeed(pub Option<ops::FeedAge>);

/// Where the data comes from.
#[derive(Resource, Debug, Clone)]
pub struct OverlaySource(pub String);
