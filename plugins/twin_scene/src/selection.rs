//! Click to select a module, rack or picker; double-click a picker to follow it.
//!
//! Picking is analytic rather than per-mesh: a ray against each rack's box (hundreds, not
//! 100,000 module meshes), then the slot under the hit point on the pick face, and a cylinder
//! per picker. It costs microseconds per click at any site size.

use bevy::input::mouse::MouseButton;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;
use twin_link::{LinkSite, Picker, PickerEntities};
use twin_model::{ModuleIndex, Site};

use crate::pickers::PickerMotion;
use crate::{SceneSystems, rack_box};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Selection>()
        .add_message::<SelectionChanged>()
        .add_message::<FollowPicker>()
        .add_message::<SelectRequest>()
        .add_systems(Update, (click_to_select, apply_select_requests).chain().in_set(SceneSystems::Select))
        // Both add meshes and materials: the pickers' visuals first, then the highlight.
        .add_systems(
            PostUpdate,
            draw_highlight.in_set(SceneSystems::Animate).after(crate::pickers::move_pickers),
        );
}

/// What is selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selected {
    /// Nothing.
    #[default]
    None,
    /// A light module (index into the site's modules).
    Module(ModuleIndex),
    /// A rack (index into the layout's racks).
    Rack(u32),
    /// A picker (index into the roster).
    Picker(u16),
}

/// The current selection, for the inspector.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// What is selected.
    pub selected: Selected,
}

/// The selection changed (to `selected`).
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectionChanged {
    /// The new selection.
    pub selected: Selected,
}

/// Follow this picker with the camera (double-click).
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowPicker {
    /// Picker index.
    pub picker: u16,
}

/// Asks for a selection from elsewhere (the overlay, tests).
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectRequest(pub Selected);

/// Seconds between two clicks that make a double-click.
const DOUBLE_CLICK_S: f64 = 0.4;

/// What a ray hits first: a picker or a rack (and which slot on its pick face).
pub fn pick(site: &Site, ray: Ray3d, pickers: &[(u16, Vec3)]) -> Selected {
    let mut best = (f32::INFINITY, Selected::None);
    for &(index, at) in pickers {
        if let Some(t) = ray_cylinder(ray, at, 0.35, 1.9)
            && t < best.0
        {
            best = (t, Selected::Picker(index));
        }
    }
    for (i, rack) in site.layout.racks.iter().enumerate() {
        let (min, max) = rack_box(rack);
        let Some(t) = ray_box(ray, min, max) else { continue };
        if t >= best.0 {
            continue;
        }
        let hit = ray.origin + *ray.direction * t;
        best = (t, module_under(site, i, hit).map_or(Selected::Rack(i as u32), Selected::Module));
    }
    best.1
}

/// The module whose slot contains `hit` on rack `rack`'s pick face (within 10 cm of it).
fn module_under(site: &Site, rack: usize, hit: Vec3) -> Option<ModuleIndex> {
    let r = &site.layout.racks[rack];
    let fp = r.footprint();
    // Back to plan coordinates.
    let (px, py, h) = (hit.x, -hit.z, hit.y);
    let [nx, ny] = r.facing.normal();
    // Distance from the pick face plane and position along the rack.
    let (depth_off, along) = if r.facing.runs_along_x() {
        let face_y = if ny > 0.0 { fp.y + fp.depth } else { fp.y };
        ((py - face_y).abs(), px - fp.x)
    } else {
        let face_x = if nx > 0.0 { fp.x + fp.width } else { fp.x };
        ((px - face_x).abs(), py - fp.y)
    };
    if depth_off > 0.1 || h < r.bottom_shelf_height - r.level_height * 0.5 {
        return None;
    }
    let bay = (along / r.bay_width).floor() as i32 + 1;
    let within = along - (bay - 1) as f32 * r.bay_width;
    let slot = (within / (r.bay_width / f32::from(r.slots_per_level.max(1)))).floor() as i32 + 1;
    // Each level's modules sit at its shelf edge; the band runs from half a level below.
    let level = ((h - r.bottom_shelf_height) / r.level_height + 0.5).floor() as i32 + 1;
    if bay < 1 || level < 1 || slot < 1 {
        return None;
    }
    let range = site.rack_modules.get(rack)?.clone();
    range.into_iter().find(|&m| {
        let module = &site.modules[m as usize];
        i32::from(module.bay) == bay && i32::from(module.level) == level && i32::from(module.slot) == slot
    })
}

/// Entry distance of a ray into an axis-aligned box (slab method); `None` if it misses.
pub fn ray_box(ray: Ray3d, min: Vec3, max: Vec3) -> Option<f32> {
    let inv = ray.direction.recip();
    let t0 = (min - ray.origin) * inv;
    let t1 = (max - ray.origin) * inv;
    let near = t0.min(t1).max_element();
    let far = t0.max(t1).min_element();
    (far >= near.max(0.0)).then_some(near.max(0.0))
}

/// Entry distance into an upright cylinder standing at `base`.
fn ray_cylinder(ray: Ray3d, base: Vec3, radius: f32, height: f32) -> Option<f32> {
    let o = Vec2::new(ray.origin.x - base.x, ray.origin.z - base.z);
    let d = Vec2::new(ray.direction.x, ray.direction.z);
    let a = d.length_squared();
    if a < 1e-9 {
        return None;
    }
    let b = o.dot(d);
    let c = o.length_squared() - radius * radius;
    let disc = b * b - a * c;
    if disc < 0.0 {
        return None;
    }
    let t = (-b - disc.sqrt()) / a;
    let y = ray.origin.y + ray.direction.y * t - base.y;
    (t > 0.0 && (0.0..=height).contains(&y)).then_some(t)
}

/// Press position, to tell a click from a camera drag.
#[derive(Default)]
struct ClickState {
    pressed_at: Option<Vec2>,
    last_click: Option<(f64, Selected)>,
}

#[expect(clippy::too_many_arguments, reason = "input, camera, site and the selection outputs")]
fn click_to_select(
    buttons: Option<Res<ButtonInput<MouseButton>>>,
    window: Query<&Window, With<PrimaryWindow>>,
    cameras: Query<(&Camera, &GlobalTransform), With<Camera3d>>,
    site: Option<Res<LinkSite>>,
    pickers: Query<(&Picker, &PickerMotion, &InheritedVisibility)>,
    egui: Option<Res<EguiWantsInput>>,
    time: Res<Time<Real>>,
    mut state: Local<ClickState>,
    mut requests: MessageWriter<SelectRequest>,
    mut follow: MessageWriter<FollowPicker>,
) {
    let (Some(site), Some(buttons)) = (site, buttons) else { return };
    let Ok(window) = window.single() else { return };
    let cursor = window.cursor_position();
    if buttons.just_pressed(MouseButton::Left) {
        // A press that egui takes is not ours.
        state.pressed_at =
            if egui.as_ref().is_some_and(|e| e.wants_any_pointer_input()) { None } else { cursor };
    }
    if !buttons.just_released(MouseButton::Left) {
        return;
    }
    let (Some(from), Some(to)) = (state.pressed_at.take(), cursor) else { return };
    if from.distance(to) > 5.0 {
        return; // a drag: the camera's
    }
    let Some((camera, at)) = cameras.iter().find(|(c, _)| c.is_active) else { return };
    let Ok(ray) = camera.viewport_to_world(at, to) else { return };
    let shown: Vec<(u16, Vec3)> =
        pickers.iter().filter(|(_, m, v)| m.placed && v.get()).map(|(p, m, _)| (p.index, m.shown)).collect();
    let selected = pick(&site.0, ray, &shown);
    let now = time.elapsed_secs_f64();
    if let (Selected::Picker(p), Some((then, Selected::Picker(q)))) = (selected, state.last_click)
        && p == q
        && now - then < DOUBLE_CLICK_S
    {
        follow.write(FollowPicker { picker: p });
    }
    state.last_click = Some((now, selected));
    requests.write(SelectRequest(selected));
}

fn apply_select_requests(
    mut requests: MessageReader<SelectRequest>,
    mut selection: ResMut<Selection>,
    mut changed: MessageWriter<SelectionChanged>,
) {
    for SelectRequest(selected) in requests.read() {
        if selection.selected != *selected {
            selection.selected = *selected;
            changed.write(SelectionChanged { selected: *selected });
        }
    }
}

/// The highlight around a selected rack or picker (modules highlight in their shader).
#[derive(Component)]
struct Highlight;

#[expect(clippy::too_many_arguments, reason = "the highlight is created lazily from optional render assets")]
fn draw_highlight(
    mut commands: Commands,
    selection: Res<Selection>,
    site: Option<Res<LinkSite>>,
    pickers: Res<PickerEntities>,
    motions: Query<&PickerMotion>,
    mut highlight: Query<(&mut Transform, &mut Visibility), With<Highlight>>,
    meshes: Option<ResMut<Assets<Mesh>>>,
    materials: Option<ResMut<Assets<StandardMaterial>>>,
) {
    let Some(site) = site else { return };
    let Ok((mut transform, mut visibility)) = highlight.single_mut() else {
        if let (Some(mut meshes), Some(mut materials)) = (meshes, materials) {
            commands.spawn((
                Highlight,
                Mesh3d(meshes.add(Cuboid::new(1.0, 1.0, 1.0))),
                MeshMaterial3d(materials.add(StandardMaterial {
                    base_color: Color::srgba(0.0, 0.8, 1.0, 0.18),
                    emissive: LinearRgba::rgb(0.0, 0.4, 0.6),
                    alpha_mode: AlphaMode::Blend,
                    unlit: true,
                    ..default()
                })),
                Transform::default(),
                Visibility::Hidden,
                bevy::light::NotShadowCaster,
            ));
        }
        return;
    };
    let target = match selection.selected {
        Selected::Rack(i) => site.0.layout.racks.get(i as usize).map(|r| {
            let (min, max) = rack_box(r);
            ((min + max) * 0.5, (max - min) + Vec3::splat(0.06))
        }),
        Selected::Picker(p) => pickers
            .0
            .get(usize::from(p))
            .and_then(|e| motions.get(*e).ok())
            .map(|m| (m.shown + Vec3::Y * 1.0, Vec3::new(0.8, 2.05, 0.8))),
        Selected::Module(_) | Selected::None => None,
    };
    match target {
        Some((centre, size)) => {
            transform.translation = centre;
            transform.scale = size;
            visibility.set_if_neq(Visibility::Inherited);
        }
        None => {
            visibility.set_if_neq(Visibility::Hidden);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan_to_world;

    fn demo() -> Site {
        Site::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")))
            .unwrap()
    }

    #[test]
    fn a_ray_at_a_module_selects_that_module() {
        let site = demo();
        for index in [0u32, 17, 123, 198] {
            let m = &site.modules[index as usize];
            let target = plan_to_world(m.position);
            let [nx, ny] = m.facing.normal();
            let outward = Vec3::new(nx, 0.0, -ny);
            let origin = target + outward * 2.0 + Vec3::Y * 0.3;
            let ray = Ray3d::new(origin, Dir3::new(target - origin).unwrap());
            assert_eq!(pick(&site, ray, &[]), Selected::Module(index), "module {index} ({})", m.location);
        }
    }

    #[test]
    fn rays_select_racks_pickers_or_nothing() {
        let site = demo();
        // Straight down onto the top of rack A1 (away from its pick face): the rack.
        let fp = site.layout.racks[0].footprint();
        let top = plan_to_world([fp.x + 1.0, fp.y + fp.depth * 0.5, 10.0]);
        assert_eq!(pick(&site, Ray3d::new(top, Dir3::NEG_Y), &[]), Selected::Rack(0));
        // A picker in front of everything.
        let at = plan_to_world([1.0, 1.0, 0.0]);
        let ray = Ray3d::new(at + Vec3::new(-5.0, 1.0, 0.0), Dir3::X);
        assert_eq!(pick(&site, ray, &[(2, at)]), Selected::Picker(2));
        // Up into the sky.
        assert_eq!(pick(&site, Ray3d::new(Vec3::new(1.0, 1.0, -1.0), Dir3::Y), &[]), Selected::None);
    }
}
