//! The floor at a glance: pharma_dc's whole site from the overview camera at 1920×1080, with
//! 24 modules lit in four light colours through the view channel. Every lit module must show a
//! mark of its colour, at least 6 pixels across, where its beacon projects (≥ 95 % of them),
//! inside the free area between the panels; a sample of dark modules shows none. Runs under
//! Xvfb with Mesa's software Vulkan, like tests/render.rs.
//!
//! One test per binary: a process can create only one window event loop.

use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use twin_app::{CapturedFrame, LastCapture, window_app};
use twin_camera::TwinCamera;
use twin_link::{LinkMessage, view_channel};
use twin_model::codes;
use twin_scene::beacons::BeaconParams;
use twin_scene::{ViewArea, plan_to_world};

#[path = "support/frames.rs"]
mod frames;
use frames::{count, layout, like, lit_reading, require_display, screenshot_path};

/// Light colours lit in the test (indices into `codes::COLOURS`): green, blue, cyan, magenta.
const COLOURS: [u16; 4] = [1, 2, 4, 5];

#[test]
fn every_lit_module_shows_a_mark_of_its_colour_from_the_overview() {
    require_display();
    let site = layout("pharma_dc.ron");
    let n = site.modules.len();
    // 24 lit modules spread over the whole site; a sample of 96 dark ones between them.
    let lit: Vec<u32> = (0..24).map(|k| (k * n / 24 + 37) as u32).collect();
    let dark: Vec<u32> =
        (0..96).map(|k| (k * n / 96 + n / 192 + 11) as u32).filter(|m| !lit.contains(m)).collect();
    let (mut tx, rx) = view_channel(64);
    for (k, &m) in lit.iter().enumerate() {
        tx.push(LinkMessage::Module { module: m, reading: lit_reading(3, COLOURS[k % COLOURS.len()]) });
    }
    tx.ship();

    let png = screenshot_path("pharma-overview.png");
    let options = frames::shot(twin_camera::CameraMode::Overview, &png, (1920, 1080), 2.5);
    let mut app = window_app(site.clone(), rx, &options);
    type Seen = (CapturedFrame, Vec<Option<Vec2>>, Vec<Option<Vec2>>, Option<Rect>, Vec<Option<Vec2>>);
    let out: Arc<Mutex<Option<Seen>>> = Arc::default();
    let sink = out.clone();
    let probe = site.clone();
    let height = BeaconParams::for_site(&site).height;
    // The zone cards' height (twin_scene's floor: 1 m over the racks, at least 2 m).
    let top = site.rack_top().max(2.0);
    let (lit_c, dark_c) = (lit.clone(), dark.clone());
    app.add_systems(
        Last,
        move |last: Res<LastCapture>,
              area: Res<ViewArea>,
              cameras: Query<(&Camera, &GlobalTransform), With<TwinCamera>>| {
            let (Some(frame), Ok((camera, at))) = (last.0.as_ref(), cameras.single()) else { return };
            let beacon = |m: &u32| {
                let p = probe.modules[*m as usize].position;
                camera.world_to_viewport(at, plan_to_world([p[0], p[1], height])).ok()
            };
            let cards = probe
                .layout
                .zones
                .iter()
                .map(|z| {
                    camera.world_to_viewport(at, twin_scene::plan_rect_centre(&z.area).with_y(top + 1.0)).ok()
                })
                .collect();
            *sink.lock().unwrap() = Some((
                frame.clone(),
                lit_c.iter().map(beacon).collect(),
                dark_c.iter().map(beacon).collect(),
                area.0,
                cards,
            ));
        },
    );
    assert_eq!(app.run(), AppExit::Success, "the twin saved a frame and exited 0");
    println!("screenshot: {}", png.display());
    let (frame, lit_at, dark_at, area, cards) = out.lock().unwrap().take().expect("a captured frame");
    let scale = frame.width as f32 / 1920.0;
    let area = area.expect("the overlay reported its free area");
    // Zone cards are egui text over the floor: dark samples under one are not judged.
    let under_card = |p: Vec2| {
        cards.iter().flatten().any(|c| (p.x - c.x).abs() < 170.0 && p.y < c.y + 8.0 && p.y > c.y - 70.0)
    };

    let mut found = 0;
    let mut missing = Vec::new();
    for (k, p) in lit_at.iter().enumerate() {
        let p = p.unwrap_or_else(|| panic!("lit module {} projects off screen", lit[k]));
        assert!(area.contains(p), "lit module {} at {p} is outside the free area {area:?}", lit[k]);
        let rgb = codes::COLOURS[usize::from(COLOURS[k % COLOURS.len()])].1;
        let pixels = count(&frame, p * scale, Vec2::splat(8.0 * scale), |r, g, b| like(rgb, r, g, b));
        // A disc 6 pixels across covers 28 pixels.
        if pixels >= 28 {
            found += 1;
        } else {
            missing.push((lit[k], p, pixels));
        }
    }
    assert!(
        found * 100 >= lit.len() * 95,
        "{found} of {} lit modules show a mark: missing {missing:?}",
        lit.len()
    );
    let mut judged = 0;
    for (k, p) in dark_at.iter().enumerate() {
        let Some(p) = *p else { continue };
        if under_card(p) || lit_at.iter().flatten().any(|l| l.distance(p) < 20.0) || !area.contains(p) {
            continue;
        }
        judged += 1;
        let any = COLOURS
            .iter()
            .map(|&c| {
                count(&frame, p * scale, Vec2::splat(4.0 * scale), |r, g, b| {
                    like(codes::COLOURS[usize::from(c)].1, r, g, b)
                })
            })
            .sum::<usize>();
        // A mark is a disc of at least 28 pixels; a stray pixel of rack shading is not one.
        assert!(any < 6, "a mark at dark module {} ({p}): {any} pixels", dark[k]);
    }
    assert!(judged >= 24, "only {judged} dark modules could be judged");
}
