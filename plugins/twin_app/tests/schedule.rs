//! The full app without a renderer (MinimalPlugins + every plugin that runs without a GPU),
//! built schedule by schedule with Bevy's ambiguity detection: no two of the project's systems
//! may touch the same data in an undefined order. Accepted pairs are listed with the reason.

use std::sync::Arc;

use bevy::ecs::schedule::{
    AmbiguousSystemConflictsWarning, LogLevel, ScheduleBuildError, ScheduleBuildSettings,
    ScheduleBuildWarning,
};
use bevy::prelude::*;
use twin_app::ShellPlugin;
use twin_camera::CameraPlugin;
use twin_link::{LinkPlugin, LinkReceiver, LinkSite, view_channel};
use twin_model::Site;
use twin_overlay::{OpsConfig, OverlayPlugin};
use twin_replay::ReplayPlugin;
use twin_scene::ScenePlugin;

/// Pairs of the project's systems that may run in either order, and why.
const ACCEPTED: &[(&str, &str, &str)] = &[];

fn ours(name: &str) -> bool {
    name.starts_with("twin_") || name.starts_with("picktwin")
}

#[test]
fn the_projects_systems_have_no_ambiguous_order() {
    let site = Arc::new(
        Site::from_ron(include_str!("../../../layouts/demo.ron"), "demo.ron")
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let (_tx, rx) = view_channel(4);
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_plugins((
            LinkPlugin,
            ScenePlugin,
            CameraPlugin::default(),
            OverlayPlugin { config: OpsConfig::for_site(&site), ..Default::default() },
            ReplayPlugin,
            ShellPlugin,
        ))
        .insert_resource(LinkSite(site))
        .insert_resource(LinkReceiver(rx))
        // Ambiguities fail the build (leaving the graph readable for their names); full paths,
        // so the project's systems can be told from Bevy's.
        .configure_schedules(ScheduleBuildSettings {
            ambiguity_detection: LogLevel::Error,
            use_shortnames: false,
            ..Default::default()
        });

    let labels: Vec<_> = app.world().resource::<Schedules>().iter().map(|(_, s)| s.label()).collect();
    let mut found = Vec::new();
    let mut systems = 0;
    for label in labels {
        let world = app.world_mut();
        let Some(mut schedule) = world.resource_mut::<Schedules>().remove(label) else { continue };
        systems += schedule.graph().systems.len();
        let conflicts = match schedule.initialize(world) {
            Ok(_) => Default::default(),
            Err(ScheduleBuildError::Elevated(ScheduleBuildWarning::Ambiguity(
                AmbiguousSystemConflictsWarning(c),
            ))) => c,
            Err(e) => panic!("{label:?}: {e}"),
        };
        for (a, b, on) in conflicts.to_string(schedule.graph(), world.components()) {
            if !(ours(&a) && ours(&b)) {
                continue;
            }
            let accepted = ACCEPTED
                .iter()
                .any(|(x, y, _)| (a.ends_with(x) && b.ends_with(y)) || (a.ends_with(y) && b.ends_with(x)));
            if !accepted {
                let on: Vec<String> = on.iter().map(|n| n.to_string()).collect();
                found.push(format!("{label:?}: {a} <-> {b} on [{}]", on.join(", ")));
            }
        }
        world.resource_mut::<Schedules>().insert(schedule);
    }
    assert!(systems > 20, "the app was built ({systems} systems)");
    assert!(found.is_empty(), "ambiguous order between the project's systems:\n{}", found.join("\n"));
}
