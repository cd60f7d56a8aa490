//! A real frame: the windowed twin renders demo.ron with one known module lit (through the
//! same view channel the live link feeds), saves a screenshot, and the test finds green
//! location digits and red quantity digits at that module's projected position and none at
//! an unlit neighbour. Runs under Xvfb with Mesa's software Vulkan (`scripts/test` arranges it).
//!
//! One test per binary: a process can create only one window event loop.

use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use twin_app::{CapturedFrame, LastCapture, window_app};
use twin_camera::{CameraMode, CameraSystems, Rig, TwinCamera, Walk};
use twin_link::{LinkMessage, LocationText, ModuleReading, view_channel};
use twin_scene::{ViewArea, plan_to_world};

#[path = "support/frames.rs"]
mod frames;
use frames::{count, green, layout, red, require_display, screenshot_path};

#[test]
fn a_lit_module_shows_green_location_and_red_quantity_digits() {
    require_display();
    let site = layout("demo.ron");
    let find = |bay: u16, level: u16, slot: u16| {
        site.modules
            .iter()
            .position(|m| m.rack == 0 && m.bay == bay && m.level == level && m.slot == slot)
            .unwrap() as u32
    };
    // Rack A1 faces north into aisle A1; the walk camera stands in the aisle looking at it.
    let lit = find(2, 4, 1);
    // Its neighbour on the same shelf, 0.6 m to the right, stays dark.
    let unlit = find(2, 4, 2);
    let location = site.modules[lit as usize].location.to_string();

    let (mut tx, rx) = view_channel(8);
    let reading = ModuleReading {
        location: {
            let mut regs = [0u16; 8];
            twin_model::codes::text_to_registers(&location, &mut regs);
            LocationText::from_registers(&regs)
        },
        ..frames::lit_reading(42, 2)
    };
    tx.push(LinkMessage::Module { module: lit, reading });
    tx.ship();

    let png = screenshot_path("demo-lit-module.png");
    let options = frames::shot(CameraMode::Walk, &png, (1280, 720), 2.0);
    let mut app = window_app(site.clone(), rx, &options);
    // Stand 1.7 m in front of rack A1's bay 2, facing south at its modules.
    let m = site.modules[lit as usize].clone();
    let stand = plan_to_world([m.position[0] + 0.3, m.position[1] + 1.7, 0.0]);
    app.add_systems(
        Update,
        (move |mut rig: ResMut<Rig>| {
            rig.walk = Walk { at: Vec2::new(stand.x, stand.z), yaw: std::f32::consts::PI, pitch: -0.05 };
        })
        .before(CameraSystems::Move),
    );
    // The app is consumed by its runner: hand the frame and the projections out on capture.
    type Projection = (Vec2, Vec2);
    type Seen = (CapturedFrame, Projection, Projection, Option<Rect>);
    let out: Arc<Mutex<Option<Seen>>> = Arc::default();
    let sink = out.clone();
    let probe = site.clone();
    app.add_systems(
        Last,
        move |last: Res<LastCapture>,
              area: Res<ViewArea>,
              cameras: Query<(&Camera, &GlobalTransform), With<TwinCamera>>| {
            let (Some(frame), Ok((camera, at))) = (last.0.as_ref(), cameras.single()) else { return };
            let project = |index: u32| {
                let m = &probe.modules[index as usize];
                let p = camera.world_to_viewport(at, plan_to_world(m.position)).expect("module in view");
                // Half the module's width on screen, from a point 10 cm along the shelf.
                let edge = camera
                    .world_to_viewport(at, plan_to_world([m.position[0] + 0.1, m.position[1], m.position[2]]))
                    .expect("edge in view");
                let w = (edge.x - p.x).abs().max(8.0);
                (p, Vec2::new(w, w * 0.6))
            };
            *sink.lock().unwrap() = Some((frame.clone(), project(lit), project(unlit), area.0));
        },
    );
    let exit = app.run();
    assert_eq!(exit, AppExit::Success, "the twin saved a frame and exited 0");
    assert!(png.exists(), "screenshot at {}", png.display());
    println!("screenshot: {}", png.display());
    let (frame, (lit_at, half), (unlit_at, unlit_half), area) =
        out.lock().unwrap().take().expect("a captured frame");
    // The 3D view is the free area between the panels: the digits are inside it, not under a
    // panel.
    let area = area.expect("the overlay reported its free area");
    let digits = Rect::from_center_half_size(lit_at, half);
    assert!(
        area.contains(digits.min) && area.contains(digits.max),
        "the lit module's digits {digits:?} are inside the free area {area:?}"
    );
    let scale = frame.width as f32 / 1280.0;
    let (lit_at, half, unlit_at, unlit_half) =
        (lit_at * scale, half * scale, unlit_at * scale, unlit_half * scale);
    for p in [lit_at, unlit_at] {
        assert!(
            p.x > 0.0 && p.y > 0.0 && p.x < frame.width as f32 && p.y < frame.height as f32,
            "{p} on screen"
        );
    }
    let g = count(&frame, lit_at, half, green);
    let r = count(&frame, lit_at, half, red);
    assert!(g >= 20, "green location digits at the lit module {location} ({lit_at}): {g} pixels");
    assert!(r >= 20, "red quantity digits at the lit module ({lit_at}): {r} pixels");
    let g0 = count(&frame, unlit_at, unlit_half, green);
    let r0 = count(&frame, unlit_at, unlit_half, red);
    assert_eq!((g0, r0), (0, 0), "no lit digits at the unlit module ({unlit_at})");
}
