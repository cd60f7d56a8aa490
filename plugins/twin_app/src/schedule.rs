//! The order of the plugins' system sets against each other, in one place. Each plugin orders
//! its own systems; which plugin's sets run before another's is decided here, by the app that
//! composes them.
//!
//! | schedule | order |
//! |---|---|
//! | Startup | link spawns entities → scene builds the floor |
//! | PreUpdate | replay drives the view channel → link applies it to the ECS |
//! | Update | scene selection → camera input → camera move → overlay tracks the link's state → zone cards → shell |
//! | PostUpdate | scene animates pickers and highlights → packs module states (before transforms) |
//! | EguiPrimaryContextPass | scene labels (background) → overlay panels → replay timeline |

use bevy::prelude::*;
use bevy_egui::EguiPrimaryContextPass;
use twin_camera::CameraSystems;
use twin_link::LinkSystems;
use twin_overlay::OverlaySystems;
use twin_replay::ReplaySystems;
use twin_scene::SceneSystems;

use crate::ShellSystems;

/// Orders the plugins' sets (called by [`crate::ShellPlugin`]).
pub fn order(app: &mut App) {
    app.configure_sets(Startup, SceneSystems::Build.after(LinkSystems::Spawn))
        .configure_sets(PreUpdate, ReplaySystems::Drive.before(LinkSystems::Apply))
        .configure_sets(
            Update,
            (
                SceneSystems::Select.before(CameraSystems::Input),
                // The overlay reads the state the scene's selection and the camera leave.
                OverlaySystems::Track.after(CameraSystems::Move),
                ShellSystems::Source.after(OverlaySystems::Cards),
                ShellSystems::Report.after(ShellSystems::Source),
                ShellSystems::Run.after(ShellSystems::Report),
            ),
        )
        .configure_sets(
            EguiPrimaryContextPass,
            (SceneSystems::Labels, OverlaySystems::Draw, ReplaySystems::Timeline).chain(),
        );
}
