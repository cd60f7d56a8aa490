//! Labels in walk mode: standing at the west end of aisle A1 of demo.ron, looking south-east
//! past the end of rack A1, both packing stations are in view: PACK-2 behind the rack, PACK-1
//! beside it. PACK-2's label must not be drawn through the rack; PACK-1's is drawn. A real
//! frame under Xvfb with Mesa's software Vulkan, like tests/render.rs.
//!
//! One test per binary: a process can create only one window event loop.

use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use twin_app::{LastCapture, window_app};
use twin_camera::{CameraMode, CameraSystems, Rig, TwinCamera, Walk};
use twin_link::view_channel;
use twin_scene::{DrawnLabels, RackBoxes, plan_rect_centre, plan_to_world};

#[path = "support/frames.rs"]
mod frames;
use frames::{layout, require_display, screenshot_path};

#[test]
fn no_label_is_drawn_through_a_rack() {
    require_display();
    let site = layout("demo.ron");
    let (_tx, rx) = view_channel(8);
    let png = screenshot_path("demo-walk-labels.png");
    let options = frames::shot(CameraMode::Walk, &png, (1280, 720), 2.0);
    let mut app = window_app(site.clone(), rx, &options);
    let label_at = |id: &str| {
        let s = site.layout.stations.iter().find(|s| s.id == id).expect("station");
        plan_rect_centre(&s.area) + Vec3::Y * 1.3
    };
    let (behind, beside) = (label_at("PACK-2"), label_at("PACK-1"));
    // West of rack A1's end (x 3 m), in the aisle (y 7.8 m), eyes half-way between the two.
    let stand = plan_to_world([1.5, 7.8, 0.0]);
    let mid = (behind + beside) * 0.5 - stand;
    // Walk yaw 0 looks north (-z); turning by yaw about +y looks along (-sin, 0, -cos).
    let yaw = f32::atan2(-mid.x, -mid.z);
    app.add_systems(
        Update,
        (move |mut rig: ResMut<Rig>| {
            rig.walk = Walk { at: Vec2::new(stand.x, stand.z), yaw, pitch: -0.05 };
        })
        .before(CameraSystems::Move),
    );
    type Seen = (Vec<(String, Rect)>, Option<Vec2>, Option<Vec2>, bool, bool);
    let out: Arc<Mutex<Option<Seen>>> = Arc::default();
    let sink = out.clone();
    app.add_systems(
        Last,
        move |last: Res<LastCapture>,
              drawn: Res<DrawnLabels>,
              racks: Res<RackBoxes>,
              cameras: Query<(&Camera, &GlobalTransform), With<TwinCamera>>| {
            let (Some(_), Ok((camera, at))) = (last.0.as_ref(), cameras.single()) else { return };
            let project = |p: Vec3| camera.world_to_viewport(at, p).ok();
            let eye = at.translation();
            *sink.lock().unwrap() = Some((
                drawn.0.clone(),
                project(behind),
                project(beside),
                racks.occluded(eye, behind, 0.3),
                racks.occluded(eye, beside, 0.3),
            ));
        },
    );
    assert_eq!(app.run(), AppExit::Success, "the twin saved a frame and exited 0");
    println!("screenshot: {}", png.display());
    let (drawn, behind_at, beside_at, hidden, beside_hidden) =
        out.lock().unwrap().take().expect("a captured frame");
    let inside = |p: Vec2| p.x > 0.0 && p.x < 1280.0 && p.y > 0.0 && p.y < 720.0;
    let (p, q) = (behind_at.expect("PACK-2 in front of the camera"), beside_at.expect("PACK-1 in front"));
    assert!(inside(p) && inside(q), "both stations project into the view: {p} {q}");
    assert!(hidden && !beside_hidden, "rack A1 stands before PACK-2, not before PACK-1");
    assert!(!drawn.iter().any(|(t, _)| t == "PACK-2"), "PACK-2's label drawn through the rack: {drawn:?}");
    assert!(drawn.iter().any(|(t, _)| t == "PACK-1"), "PACK-1's label, in plain view, is drawn: {drawn:?}");
    // Nothing drawn covers the point behind the rack.
    assert!(!drawn.iter().any(|(_, r)| r.contains(p)), "a label over the rack at {p}: {drawn:?}");
}
