//! picktwin's cameras: overview (orbit, pan, zoom; home fits the site), walk (first person at
//! eye height, can't pass through racks), tour (an unattended path through the zones for wall
//! displays) and follow (behind a picker, on double-click).
//!
//! Keys 1/2/3 pick overview/walk/tour, H goes home, F toggles fullscreen, Esc releases the
//! mouse (and stops following). Pointer input that egui takes never reaches the camera.

mod controls;
pub use controls::Rig;
mod poses;
mod viewport;

pub use viewport::viewport_for;

use bevy::prelude::*;

pub use poses::{Orbit, Pose, Walk, blocked, home_orbit, tour_stops, walk_start};

/// The camera rig.
pub struct CameraPlugin {
    /// Mode at start.
    pub initial: CameraMode,
    /// Seconds the tour spends at each zone.
    pub tour_dwell_s: f32,
}

impl Default for CameraPlugin {
    fn default() -> Self {
        Self { initial: CameraMode::Overview, tour_dwell_s: 20.0 }
    }
}

impl Plugin for CameraPlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<FlyTo>()
            .insert_resource(CameraMode::Overview)
            .insert_resource(InitialMode(self.initial))
            .insert_resource(TourSettings { dwell_s: self.tour_dwell_s, transition_s: 3.0 })
            .configure_sets(Update, (CameraSystems::Input, CameraSystems::Move).chain())
            .add_systems(PostStartup, controls::spawn_camera.in_set(CameraSystems::Spawn));
        controls::plugin(app);
    }
}

/// The camera's systems.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CameraSystems {
    /// Spawns the camera (PostStartup).
    Spawn,
    /// Keyboard and mouse (Update).
    Input,
    /// Places the camera (Update).
    Move,
}

/// How the camera moves.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraMode {
    /// Orbit, pan and zoom around a focus point.
    Overview,
    /// First person at eye height.
    Walk,
    /// Automatic tour of the zones.
    Tour,
    /// Behind a picker.
    Follow(u16),
}

impl CameraMode {
    /// Parses `overview`, `walk` or `tour`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "overview" => Some(Self::Overview),
            "walk" => Some(Self::Walk),
            "tour" => Some(Self::Tour),
            _ => None,
        }
    }
}

#[derive(Resource, Debug, Clone, Copy)]
struct InitialMode(CameraMode);

/// Tour timing.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct TourSettings {
    /// Seconds at each zone.
    pub dwell_s: f32,
    /// Seconds flying between zones.
    pub transition_s: f32,
}

/// Flies the overview camera to look at a point (from the overlay: an order's modules, an
/// alarm's place). Ignored in tour mode, which a wall display must keep.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub struct FlyTo {
    /// World point to look at.
    pub focus: Vec3,
    /// Distance from it, metres.
    pub distance: f32,
}

/// Marks the twin's camera.
#[derive(Component, Debug)]
pub struct TwinCamera;

/// Eye height in walk mode (metres).
pub const EYE_HEIGHT: f32 = 1.7;
