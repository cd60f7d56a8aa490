//! The scene in the ECS without a renderer: what a layout spawns, and that a state change on
//! one module changes only that module's instance data (and queues only its bytes).

use std::sync::Arc;

use bevy::prelude::*;
use twin_link::channel::Shipped;
use twin_link::{
    LightModule, LinkMessage, LinkPlugin, LinkReceiver, LinkSite, ModuleReading, Picker, view_channel,
};
use twin_model::Site;
use twin_model::codes::ModuleState;
use twin_scene::{ModuleStates, RackEntity, ScenePlugin, SelectRequest, Selected, StationEntity, display};

fn demo() -> Arc<Site> {
    let path = format!("{}/../../layouts/demo.ron", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn demo_spawns_its_racks_modules_and_pickers_and_one_change_touches_one_instance() {
    let site = demo();
    let (mut tx, rx) = view_channel(8);
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, LinkPlugin, ScenePlugin))
        .insert_resource(LinkSite(site.clone()))
        .insert_resource(LinkReceiver(rx));
    app.update();
    app.update();

    let world = app.world_mut();
    assert_eq!(world.query::<&RackEntity>().iter(world).count(), 4);
    assert_eq!(world.query::<&StationEntity>().iter(world).count(), 3);
    assert_eq!(world.query::<(&LightModule, &Transform)>().iter(world).count(), 199);
    assert_eq!(world.query::<&Picker>().iter(world).count(), 3);
    assert_eq!(site.modules.len(), 199);
    let before = world.resource::<ModuleStates>().packed.clone();
    assert_eq!(before.len(), 199);

    // Module 17 lights up.
    let index = 17u32;
    let reading = ModuleReading {
        state: ModuleState::Lit as u16,
        mode: 1,
        quantity: 42,
        online: true,
        ..ModuleReading::default()
    };
    assert_eq!(tx.push(LinkMessage::Module { module: index, reading }), Shipped::Sent);
    assert_eq!(tx.ship(), Shipped::Sent);
    app.update();

    let states = app.world().resource::<ModuleStates>();
    let differing: Vec<usize> = (0..before.len()).filter(|&i| states.packed[i] != before[i]).collect();
    assert_eq!(differing, vec![index as usize], "only module 17's instance data changed");
    assert_eq!(states.changed, vec![(index, 1)], "only its 32 bytes are queued for the GPU");
    assert_eq!(states.packed[index as usize], display::pack_reading(&reading, false, false));

    // Nothing changes: nothing is queued.
    app.update();
    assert!(app.world().resource::<ModuleStates>().changed.is_empty());

    // Selecting it re-packs only it, with the selection flag.
    app.world_mut().write_message(SelectRequest(Selected::Module(index)));
    app.update();
    let states = app.world().resource::<ModuleStates>();
    assert_eq!(states.changed, vec![(index, 1)]);
    assert_ne!(states.packed[index as usize][5] & display::FLAG_SELECTED, 0);
}

#[test]
fn modules_sit_on_their_shelf_fronts_facing_the_aisle() {
    let site = demo();
    let (_tx, rx) = view_channel(8);
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, LinkPlugin, ScenePlugin))
        .insert_resource(LinkSite(site.clone()))
        .insert_resource(LinkReceiver(rx));
    app.update();
    let world = app.world_mut();
    for (module, transform) in world.query::<(&LightModule, &Transform)>().iter(world) {
        let m = &site.modules[module.index as usize];
        let [nx, ny] = m.facing.normal();
        let outward = Vec3::new(nx, 0.0, -ny);
        // The display (local +Z) faces out of the rack.
        assert!((transform.rotation * Vec3::Z).dot(outward) > 0.99, "module {}", m.location);
        let at = twin_scene::plan_to_world(m.position);
        assert!(
            transform.translation.distance(at) < 0.05,
            "module {} at {}",
            m.location,
            transform.translation
        );
    }
}
