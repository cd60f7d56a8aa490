//! The pick heatmap on the floor: once a second (and when the user changes it) the overlay
//! counts each module's picks in the chosen window ([`crate::ops::heat`]) and hands the levels
//! to the scene, which colours every module's housing by them; the overlay draws the legend and
//! the inspector shows the selected module's count. Live and in replay alike (both feed the
//! same model).

use bevy::prelude::*;
use twin_link::LinkSite;
use twin_scene::ModuleHeat;

use crate::ops::{heat_counts, heat_levels};
use crate::ui::heat::HeatView;
use crate::{OpsModel, OverlayUi};

pub(super) fn plugin(app: &mut App) {
    // The scene owns `ModuleHeat`; initialised here too so the overlay runs without a scene.
    app.init_resource::<HeatCounts>()
        .init_resource::<ModuleHeat>()
        .add_systems(Update, update_heat.in_set(crate::OverlaySystems::Cards));
}

/// Seconds between recounts.
const EVERY_S: f32 = 1.0;

/// The counts behind the heatmap, for the legend and the inspector.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct HeatCounts(pub HeatView);

fn update_heat(
    time: Res<Time<Real>>,
    mut since: Local<Option<f32>>,
    site: Option<Res<LinkSite>>,
    model: Res<OpsModel>,
    ui: Res<OverlayUi>,
    mut counts: ResMut<HeatCounts>,
    mut heat: ResMut<ModuleHeat>,
) {
    let Some(site) = site else { return };
    let window = ui.state.heat;
    let now = time.elapsed_secs();
    if window == counts.0.window && since.is_some_and(|t| now - t < EVERY_S) {
        return;
    }
    *since = Some(now);
    let Some(window) = window else {
        if counts.0.window.is_some() {
            *counts = HeatCounts::default();
            heat.set_if_neq(ModuleHeat::default());
        }
        return;
    };
    let c = heat_counts(&model.0, site.0.modules.len(), window);
    let (levels, max) = heat_levels(&c);
    counts.set_if_neq(HeatCounts(HeatView { window: Some(window), counts: c, max }));
    heat.set_if_neq(ModuleHeat { on: true, levels });
}
