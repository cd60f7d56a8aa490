//! picktwin's replay: a recording drives the same 3D floor and overlay the live link drives
//! (through the view channel and the overlay's feeder), and an egui timeline plays, pauses,
//! scrubs, steps, changes speed (0.25×–600×), jumps to alarms and bookmarks.

mod opening;
mod player;
mod timeline;

use bevy::prelude::*;
use bevy_egui::EguiPrimaryContextPass;

pub use opening::{OpenRequest, Opening};
pub use player::Replay;

/// Drives the view and the overlay from the [`Replay`] resource, and draws its timeline.
pub struct ReplayPlugin;

impl Plugin for ReplayPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(
            PreUpdate,
            (
                opening::finish_opening.run_if(resource_exists::<Opening>),
                player::drive.run_if(resource_exists::<Replay>),
            )
                .chain()
                .in_set(ReplaySystems::Drive),
        )
        .add_systems(
            EguiPrimaryContextPass,
            (
                opening::opening_window.run_if(resource_exists::<Opening>),
                timeline::timeline.run_if(resource_exists::<Replay>),
            )
                .chain()
                .in_set(ReplaySystems::Timeline),
        );
    }
}

/// The replay's systems.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplaySystems {
    /// Seeks or plays forward (PreUpdate, before the link applies the view channel).
    Drive,
    /// The timeline window (EguiPrimaryContextPass, over the overlay).
    Timeline,
}
