//! The camera entity and its controls: keys and mouse to modes and poses, smooth transitions
//! between modes, the tour clock and following a picker.

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy::window::{CursorGrabMode, CursorOptions, MonitorSelection, PrimaryWindow, WindowMode};
use bevy_egui::input::EguiWantsInput;
use twin_link::{LinkSite, PickerEntities};
use twin_scene::{FollowPicker, PickerMotion};

use crate::poses::{Orbit, Pose, Walk, home_orbit, tour_stops, walk_start};
use crate::{CameraMode, CameraSystems, FlyTo, InitialMode, TourSettings, TwinCamera};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (
            (switch_modes, fly_to, mouse_controls, walk_keys).chain().in_set(CameraSystems::Input),
            (crate::viewport::fit_view_area, place_camera).chain().in_set(CameraSystems::Move),
        ),
    );
}

/// Seconds a mode switch takes to fly the camera over.
const SWITCH_S: f32 = 1.2;

/// The rig's state for every mode, so switching back resumes where it was.
#[derive(Resource, Debug)]
pub struct Rig {
    /// Overview orbit.
    pub orbit: Orbit,
    /// The fitted home orbit.
    pub home: Orbit,
    /// Walk state.
    pub walk: Walk,
    /// Tour stops (one per zone).
    pub stops: Vec<Orbit>,
    /// Current stop.
    pub stop: usize,
    /// Seconds into the current stop.
    pub stop_t: f32,
    /// Pose to blend from after a mode switch, and seconds since.
    from: Option<(Pose, f32)>,
    /// The mouse button dragging the camera (pressed outside egui).
    drag: Option<MouseButton>,
    /// The cursor is captured for mouse look (walk).
    grabbed: bool,
    last_mode: CameraMode,
    /// Width / height of the area the home view and the tour stops were framed for.
    pub(crate) aspect: f32,
}

pub(crate) fn spawn_camera(
    mut commands: Commands,
    site: Option<Res<LinkSite>>,
    initial: Res<InitialMode>,
    tour: Res<TourSettings>,
    mut mode: ResMut<CameraMode>,
    window: Query<&Window, With<PrimaryWindow>>,
) {
    let Some(site) = site else { return };
    let fov = std::f32::consts::FRAC_PI_4;
    let aspect = window.single().map_or(16.0 / 9.0, |w| w.width() / w.height().max(1.0));
    let home = home_orbit(&site.0, fov, aspect);
    let rig = Rig {
        orbit: home,
        home,
        walk: walk_start(&site.0),
        stops: tour_stops(&site.0, fov, aspect),
        stop: 0,
        // Start at the first zone, not flying in from the last.
        stop_t: tour.transition_s,
        from: None,
        drag: None,
        grabbed: false,
        last_mode: initial.0,
        aspect,
    };
    *mode = initial.0;
    let pose = match initial.0 {
        CameraMode::Walk => rig.walk.pose(),
        CameraMode::Tour => tour_pose(&rig, tour.transition_s),
        _ => home.pose(),
    };
    commands.spawn((
        TwinCamera,
        Camera3d::default(),
        Projection::Perspective(PerspectiveProjection { fov, ..default() }),
        pose.transform(),
    ));
    commands.insert_resource(rig);
}

fn switch_modes(
    keys: Res<ButtonInput<KeyCode>>,
    egui: Option<Res<EguiWantsInput>>,
    mut follow: MessageReader<FollowPicker>,
    mut mode: ResMut<CameraMode>,
    rig: Option<ResMut<Rig>>,
    mut windows: Query<(&mut Window, &mut CursorOptions), With<PrimaryWindow>>,
) {
    let Some(mut rig) = rig else { return };
    if let Some(f) = follow.read().last() {
        *mode = CameraMode::Follow(f.picker);
    }
    if egui.as_ref().is_some_and(|e| e.wants_any_keyboard_input()) {
        return;
    }
    if keys.just_pressed(KeyCode::Digit1) {
        *mode = CameraMode::Overview;
    } else if keys.just_pressed(KeyCode::Digit2) {
        *mode = CameraMode::Walk;
    } else if keys.just_pressed(KeyCode::Digit3) {
        *mode = CameraMode::Tour;
    }
    if keys.just_pressed(KeyCode::KeyH) {
        rig.orbit = rig.home;
        *mode = CameraMode::Overview;
    }
    let Ok((mut window, mut cursor)) = windows.single_mut() else { return };
    if keys.just_pressed(KeyCode::KeyF) {
        window.mode = match window.mode {
            WindowMode::Windowed => WindowMode::BorderlessFullscreen(MonitorSelection::Current),
            _ => WindowMode::Windowed,
        };
    }
    if keys.just_pressed(KeyCode::Escape) {
        if matches!(*mode, CameraMode::Follow(_)) {
            *mode = CameraMode::Overview;
        }
        release(&mut rig, &mut cursor);
    }
    if *mode != CameraMode::Walk && rig.grabbed {
        release(&mut rig, &mut cursor);
    }
}

/// Overview orbit around the requested point, flown to from wherever the camera is.
fn fly_to(
    mut requests: MessageReader<FlyTo>,
    mut mode: ResMut<CameraMode>,
    rig: Option<ResMut<Rig>>,
    camera: Query<&Transform, With<TwinCamera>>,
) {
    let Some(request) = requests.read().last().copied() else { return };
    let Some(mut rig) = rig else { return };
    if *mode == CameraMode::Tour {
        return;
    }
    if let Ok(t) = camera.single() {
        rig.from = Some((Pose { eye: t.translation, rotation: t.rotation }, 0.0));
    }
    rig.orbit.focus = request.focus;
    rig.orbit.distance = request.distance.clamp(2.0, 2000.0);
    rig.orbit.pitch = rig.orbit.pitch.clamp(0.35, 0.9);
    *mode = CameraMode::Overview;
    rig.last_mode = CameraMode::Overview;
}

fn release(rig: &mut Rig, cursor: &mut CursorOptions) {
    rig.grabbed = false;
    cursor.grab_mode = CursorGrabMode::None;
    cursor.visible = true;
}

#[expect(clippy::too_many_arguments, reason = "mouse state, egui and the rig")]
fn mouse_controls(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    egui: Option<Res<EguiWantsInput>>,
    mode: Res<CameraMode>,
    rig: Option<ResMut<Rig>>,
    mut cursors: Query<&mut CursorOptions, With<PrimaryWindow>>,
    windows: Query<&Window, With<PrimaryWindow>>,
) {
    let Some(mut rig) = rig else { return };
    let over_egui = egui.as_ref().is_some_and(|e| e.wants_any_pointer_input());
    // A drag belongs to whoever got the press: egui or the camera.
    for b in [MouseButton::Left, MouseButton::Right, MouseButton::Middle] {
        if buttons.just_pressed(b) && !over_egui && rig.drag.is_none() {
            rig.drag = Some(b);
        }
    }
    if rig.drag.is_some_and(|b| !buttons.pressed(b)) {
        rig.drag = None;
    }
    let delta = motion.delta;
    match *mode {
        CameraMode::Overview => {
            let drag = rig.drag;
            let orbit = &mut rig.orbit;
            match drag {
                Some(MouseButton::Left) => {
                    orbit.yaw -= delta.x * 0.005;
                    orbit.pitch = (orbit.pitch + delta.y * 0.005).clamp(0.08, 1.5);
                }
                Some(MouseButton::Right | MouseButton::Middle) => {
                    let right = Vec3::new(orbit.yaw.cos(), 0.0, -orbit.yaw.sin());
                    let forward = Vec3::new(-orbit.yaw.sin(), 0.0, -orbit.yaw.cos());
                    let speed = orbit.distance * 0.0015;
                    orbit.focus += (-right * delta.x + forward * delta.y) * speed;
                }
                _ => {}
            }
            if !over_egui && scroll.delta.y != 0.0 {
                let lines = match scroll.unit {
                    MouseScrollUnit::Line => scroll.delta.y,
                    MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
                };
                orbit.distance = (orbit.distance * 0.9f32.powf(lines)).clamp(2.0, 2000.0);
            }
        }
        CameraMode::Walk => {
            let Ok(mut cursor) = cursors.single_mut() else { return };
            if buttons.just_pressed(MouseButton::Left) && !over_egui && !rig.grabbed {
                rig.grabbed = true;
                cursor.grab_mode = CursorGrabMode::Locked;
                cursor.visible = false;
            }
            let look = rig.grabbed || rig.drag == Some(MouseButton::Right);
            if look && windows.single().is_ok_and(|w| w.focused) {
                rig.walk.yaw -= delta.x * 0.003;
                rig.walk.pitch = (rig.walk.pitch - delta.y * 0.003).clamp(-1.4, 1.4);
            }
        }
        CameraMode::Tour | CameraMode::Follow(_) => {}
    }
}

fn walk_keys(
    keys: Res<ButtonInput<KeyCode>>,
    egui: Option<Res<EguiWantsInput>>,
    time: Res<Time<Real>>,
    mode: Res<CameraMode>,
    site: Option<Res<LinkSite>>,
    rig: Option<ResMut<Rig>>,
) {
    let (Some(mut rig), Some(site)) = (rig, site) else { return };
    if *mode != CameraMode::Walk || egui.as_ref().is_some_and(|e| e.wants_any_keyboard_input()) {
        return;
    }
    let mut dir = Vec2::ZERO;
    for (key, d) in [
        (KeyCode::KeyW, Vec2::Y),
        (KeyCode::ArrowUp, Vec2::Y),
        (KeyCode::KeyS, Vec2::NEG_Y),
        (KeyCode::ArrowDown, Vec2::NEG_Y),
        (KeyCode::KeyA, Vec2::NEG_X),
        (KeyCode::KeyD, Vec2::X),
    ] {
        if keys.pressed(key) {
            dir += d;
        }
    }
    if keys.pressed(KeyCode::ArrowLeft) {
        rig.walk.yaw += 1.5 * time.delta_secs();
    }
    if keys.pressed(KeyCode::ArrowRight) {
        rig.walk.yaw -= 1.5 * time.delta_secs();
    }
    if dir == Vec2::ZERO {
        return;
    }
    let speed = if keys.pressed(KeyCode::ShiftLeft) || keys.pressed(KeyCode::ShiftRight) { 4.0 } else { 1.6 };
    // Small steps so a slow frame cannot tunnel through a thin rack.
    let total = dir.normalize() * speed * time.delta_secs().min(0.25);
    let steps = (total.length() / 0.1).ceil().max(1.0) as usize;
    for _ in 0..steps {
        rig.walk.step(&site.0, total / steps as f32);
    }
}

/// The tour pose `t` seconds into the current stop: fly from the previous stop, then circle.
fn tour_pose(rig: &Rig, transition_s: f32) -> Pose {
    let n = rig.stops.len().max(1);
    let here = rig.stops[rig.stop % n];
    let circling = |o: Orbit, t: f32| Orbit { yaw: o.yaw + t * 0.025, ..o }.pose();
    if rig.stop_t < transition_s && n > 1 {
        let prev = rig.stops[(rig.stop + n - 1) % n];
        circling(prev, rig.stop_t).blend(circling(here, 0.0), rig.stop_t / transition_s)
    } else {
        circling(here, rig.stop_t - transition_s.min(rig.stop_t))
    }
}

fn place_camera(
    time: Res<Time<Real>>,
    mode: Res<CameraMode>,
    tour: Res<TourSettings>,
    rig: Option<ResMut<Rig>>,
    pickers: Res<PickerEntities>,
    motions: Query<&PickerMotion>,
    mut camera: Query<&mut Transform, With<TwinCamera>>,
) {
    let Some(mut rig) = rig else { return };
    let Ok(mut transform) = camera.single_mut() else { return };
    let dt = time.delta_secs().min(0.25);
    if *mode != rig.last_mode {
        rig.from = Some((Pose { eye: transform.translation, rotation: transform.rotation }, 0.0));
        rig.last_mode = *mode;
        if *mode == CameraMode::Tour {
            rig.stop_t = tour.transition_s;
        }
    }
    let target = match *mode {
        CameraMode::Overview => rig.orbit.pose(),
        CameraMode::Walk => rig.walk.pose(),
        CameraMode::Tour => {
            rig.stop_t += dt;
            if rig.stop_t >= tour.dwell_s.max(tour.transition_s + 1.0) {
                rig.stop = (rig.stop + 1) % rig.stops.len().max(1);
                rig.stop_t = 0.0;
            }
            tour_pose(&rig, tour.transition_s)
        }
        CameraMode::Follow(p) => {
            let Some(m) = pickers.0.get(usize::from(p)).and_then(|e| motions.get(*e).ok()) else { return };
            let ahead = Quat::from_rotation_y(m.shown_heading) * Vec3::X;
            let eye_target = m.shown - ahead * 4.5 + Vec3::Y * 3.2;
            // Ease the eye after the picker so turns do not whip the view around.
            let eye = transform.translation.lerp(eye_target, 1.0 - (-dt * 2.5).exp());
            Pose::looking(eye, m.shown + Vec3::Y * 1.0)
        }
    };
    let pose = match rig.from.as_mut() {
        Some((from, t)) => {
            *t += dt;
            let p = from.blend(target, *t / SWITCH_S);
            if *t >= SWITCH_S {
                rig.from = None;
            }
            p
        }
        None => target,
    };
    *transform = pose.transform();
}
