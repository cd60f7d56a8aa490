//! The static floor from the layout: floor slab, zone areas in their colours with their names,
//! aisle markings, racks with uprights and shelves, pack stations, and the lights.
//!
//! Rack geometry never changes, so racks are merged into a few meshes (one per chunk of racks,
//! vertex-coloured, one shared material): draw calls stay flat as sites grow. Each rack still
//! has an entity ([`RackEntity`]) for selection and inspection.

use bevy::asset::RenderAssetUsages;
use bevy::light::NotShadowCaster;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use twin_link::LinkSite;
use twin_model::Site;
use twin_model::layout::Rect;

use crate::labels::WorldLabel;
use crate::{SceneSystems, plan_rect_centre, plan_to_world, rack_box};

/// Racks per merged mesh: large enough to keep draw calls low, small enough for frustum
/// culling to skip what is behind the camera.
const RACKS_PER_CHUNK: usize = 32;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_floor.in_set(SceneSystems::Build));
}

/// A zone's card (its [`WorldLabel`]), by zone index.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneEntity(pub u16);

/// A rack of the layout (index into `layout.racks`); its transform is the footprint centre.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct RackEntity(pub u32);

/// A pack or dispatch station (index into `layout.stations`).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct StationEntity(pub u32);

/// The site's floor extent in world units, for cameras.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct FloorBounds {
    /// World-space minimum corner (y = 0).
    pub min: Vec3,
    /// World-space maximum corner (y = tallest rack).
    pub max: Vec3,
}

/// Colours the racks are painted (linear RGB): blue uprights, orange beams, like most
/// warehouse racking.
const UPRIGHT: [f32; 4] = [0.05, 0.16, 0.45, 1.0];
const BEAM: [f32; 4] = [0.85, 0.32, 0.04, 1.0];
const SHELF: [f32; 4] = [0.16, 0.17, 0.18, 1.0];

fn spawn_floor(
    mut commands: Commands,
    site: Option<Res<LinkSite>>,
    meshes: Option<ResMut<Assets<Mesh>>>,
    materials: Option<ResMut<Assets<StandardMaterial>>>,
    mut ambient: Option<ResMut<GlobalAmbientLight>>,
    mut clear: Option<ResMut<ClearColor>>,
) {
    let Some(site) = site else { return };
    let site = &site.0;
    let layout = &site.layout;
    let top = site.rack_top().max(2.0);
    commands.insert_resource(FloorBounds {
        min: Vec3::new(0.0, 0.0, -layout.floor.depth),
        max: Vec3::new(layout.floor.width, top, 0.0),
    });

    // Racks and stations exist as entities with or without a renderer.
    for (i, rack) in layout.racks.iter().enumerate() {
        let (min, max) = rack_box(rack);
        commands.spawn((RackEntity(i as u32), Transform::from_translation((min + max) * 0.5)));
    }
    for (i, station) in layout.stations.iter().enumerate() {
        commands.spawn((
            StationEntity(i as u32),
            Transform::from_translation(plan_rect_centre(&station.area)),
            WorldLabel::new(station.id.clone(), Color::srgb(0.95, 0.95, 0.95), Vec3::Y * 1.3),
        ));
    }
    // Zone cards float over the racks (no rack hides them from above); the overlay writes
    // their activity lines.
    for (i, zone) in layout.zones.iter().enumerate() {
        let colour = rgb(zone.colour);
        commands.spawn((
            ZoneEntity(i as u16),
            Transform::from_translation(plan_rect_centre(&zone.area).with_y(top + 1.0)),
            WorldLabel::new(zone.name.clone(), colour, Vec3::ZERO).large(),
        ));
    }

    let (Some(mut meshes), Some(mut materials)) = (meshes, materials) else { return };
    if let Some(ambient) = ambient.as_deref_mut() {
        ambient.brightness = 600.0;
    }
    if let Some(clear) = clear.as_deref_mut() {
        clear.0 = Color::srgb(0.07, 0.08, 0.1);
    }
    commands.spawn((
        DirectionalLight { illuminance: 9_000.0, shadow_maps_enabled: false, ..default() },
        Transform::from_xyz(0.0, 10.0, 0.0).looking_at(Vec3::new(0.4, 0.0, -0.7), Vec3::Y),
    ));

    // Floor slab.
    let floor = Rect { x: 0.0, y: 0.0, width: layout.floor.width, depth: layout.floor.depth };
    let floor_material = materials.add(StandardMaterial {
        base_color: Color::srgb(0.32, 0.33, 0.35),
        perceptual_roughness: 0.9,
        ..default()
    });
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(floor.width, floor.depth))),
        MeshMaterial3d(floor_material),
        Transform::from_translation(plan_rect_centre(&floor)),
        NotShadowCaster,
    ));

    // Zone areas, slightly above the floor, in their colours (unlit so they read from afar).
    let quad = meshes.add(Plane3d::default().mesh().size(1.0, 1.0));
    for (i, zone) in layout.zones.iter().enumerate() {
        // A tint of the zone's colour over the floor grey: readable, never louder than the lights.
        let colour = rgb(zone.colour).to_linear();
        let tinted = LinearRgba::rgb(0.03, 0.032, 0.035) * 0.75 + colour * 0.06;
        let material = materials.add(StandardMaterial {
            base_color: Color::LinearRgba(tinted),
            unlit: true,
            ..default()
        });
        commands.spawn((
            Mesh3d(quad.clone()),
            MeshMaterial3d(material),
            Transform::from_translation(plan_rect_centre(&zone.area).with_y(0.002 + i as f32 * 0.0005))
                .with_scale(Vec3::new(zone.area.width, 1.0, zone.area.depth)),
            NotShadowCaster,
        ));
    }

    // Aisle markings: yellow lines along both long edges of each walkway.
    let marking = materials.add(StandardMaterial {
        base_color: Color::srgb(0.95, 0.78, 0.1),
        unlit: true,
        ..default()
    });
    let mut lines = BoxMesh::default();
    for aisle in &layout.aisles {
        let a = &aisle.area;
        let w = 0.08;
        let c = plan_rect_centre(a).with_y(0.006);
        if a.width >= a.depth {
            for dz in [-a.depth * 0.5 + w, a.depth * 0.5 - w] {
                lines.push(c + Vec3::new(0.0, 0.0, dz), Vec3::new(a.width * 0.5, 0.002, w * 0.5), [1.0; 4]);
            }
        } else {
            for dx in [-a.width * 0.5 + w, a.width * 0.5 - w] {
                lines.push(c + Vec3::new(dx, 0.0, 0.0), Vec3::new(w * 0.5, 0.002, a.depth * 0.5), [1.0; 4]);
            }
        }
    }
    if !lines.is_empty() {
        commands.spawn((Mesh3d(meshes.add(lines.build())), MeshMaterial3d(marking), NotShadowCaster));
    }

    // Stations: a bench per station.
    let bench = materials.add(StandardMaterial {
        base_color: Color::srgb(0.62, 0.5, 0.36),
        perceptual_roughness: 0.8,
        ..default()
    });
    let mut benches = BoxMesh::default();
    for station in &layout.stations {
        let a = &station.area;
        benches.push(
            plan_rect_centre(a).with_y(0.45),
            Vec3::new(a.width * 0.5, 0.45, a.depth * 0.5),
            [1.0; 4],
        );
    }
    if !benches.is_empty() {
        commands.spawn((Mesh3d(meshes.add(benches.build())), MeshMaterial3d(bench)));
    }

    // Racks, merged per chunk, vertex-coloured.
    let steel = materials.add(StandardMaterial {
        base_color: Color::WHITE,
        perceptual_roughness: 0.6,
        metallic: 0.2,
        ..default()
    });
    for first in (0..layout.racks.len()).step_by(RACKS_PER_CHUNK) {
        let mut mesh = BoxMesh::default();
        for i in first..(first + RACKS_PER_CHUNK).min(layout.racks.len()) {
            rack_geometry(site, i, &mut mesh);
        }
        commands.spawn((Mesh3d(meshes.add(mesh.build())), MeshMaterial3d(steel.clone())));
    }
}

/// Uprights at every bay boundary (front and back), a beam and a shelf deck per level.
fn rack_geometry(site: &Site, index: usize, mesh: &mut BoxMesh) {
    let rack = &site.layout.racks[index];
    let fp = rack.footprint();
    let along_x = rack.facing.runs_along_x();
    let length = rack.length();
    let height = rack.height();
    // Rack frame in world space: u runs along the rack from its origin corner, v across its depth.
    let origin = plan_to_world([fp.x, fp.y, 0.0]);
    let (u_axis, v_axis) = if along_x { (Vec3::X, Vec3::NEG_Z) } else { (Vec3::NEG_Z, Vec3::X) };
    let (u_len, v_len) = (length, rack.depth);
    let at = |u: f32, v: f32, y: f32| origin + u_axis * u + v_axis * v + Vec3::Y * y;
    let half = |du: f32, dv: f32, dy: f32| (u_axis * du + v_axis * dv).abs() + Vec3::Y * dy;
    let post = 0.04;
    for b in 0..=rack.bays {
        let u = (f32::from(b) * rack.bay_width).clamp(post, u_len - post);
        for v in [post, v_len - post] {
            mesh.push(at(u, v, height * 0.5), half(post, post, height * 0.5), UPRIGHT);
        }
    }
    for l in 0..rack.levels {
        let y = rack.bottom_shelf_height + f32::from(l) * rack.level_height;
        // Beams front and back just under the module line, and the shelf deck.
        for v in [0.03, v_len - 0.03] {
            mesh.push(at(u_len * 0.5, v, y - 0.07), half(u_len * 0.5, 0.025, 0.035), BEAM);
        }
        mesh.push(
            at(u_len * 0.5, v_len * 0.5, y - 0.035),
            half(u_len * 0.5 - 0.02, v_len * 0.5 - 0.03, 0.01),
            SHELF,
        );
    }
    // Top frame.
    for v in [0.03, v_len - 0.03] {
        mesh.push(at(u_len * 0.5, v, height), half(u_len * 0.5, 0.025, 0.035), BEAM);
    }
}

/// A layout colour as a Bevy colour.
pub fn rgb(c: twin_model::layout::Rgb) -> Color {
    let [r, g, b] = c.0;
    Color::srgb_u8(r, g, b)
}

/// Accumulates axis-aligned boxes into one vertex-coloured triangle mesh.
#[derive(Default)]
pub(crate) struct BoxMesh {
    positions: Vec<[f32; 3]>,
    normals: Vec<[f32; 3]>,
    colours: Vec<[f32; 4]>,
    indices: Vec<u32>,
}

impl BoxMesh {
    pub(crate) fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Adds a box with centre `c` and half extents `h`.
    pub(crate) fn push(&mut self, c: Vec3, h: Vec3, colour: [f32; 4]) {
        let faces: [(Vec3, Vec3, Vec3); 6] = [
            (Vec3::X, Vec3::Y, Vec3::Z),
            (Vec3::NEG_X, Vec3::Z, Vec3::Y),
            (Vec3::Y, Vec3::Z, Vec3::X),
            (Vec3::NEG_Y, Vec3::X, Vec3::Z),
            (Vec3::Z, Vec3::X, Vec3::Y),
            (Vec3::NEG_Z, Vec3::Y, Vec3::X),
        ];
        for (n, a, b) in faces {
            let base = self.positions.len() as u32;
            // Corners in counter-clockwise order seen from outside: (a × b) must equal n.
            let (a, b) = if a.cross(b).dot(n) > 0.0 { (a, b) } else { (b, a) };
            for (sa, sb) in [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)] {
                let p = c + n * h + a * h * sa + b * h * sb;
                self.positions.push(p.into());
                self.normals.push(n.into());
                self.colours.push(colour);
            }
            self.indices.extend([base, base + 1, base + 2, base, base + 2, base + 3]);
        }
    }

    pub(crate) fn build(self) -> Mesh {
        Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::RENDER_WORLD)
            .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, self.positions)
            .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, self.normals)
            .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, self.colours)
            .with_inserted_indices(Indices::U32(self.indices))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_have_outward_counter_clockwise_faces() {
        let mut m = BoxMesh::default();
        m.push(Vec3::ZERO, Vec3::ONE, [1.0; 4]);
        assert_eq!(m.positions.len(), 24);
        assert_eq!(m.indices.len(), 36);
        for tri in m.indices.chunks(3) {
            let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(m.positions[tri[k] as usize]));
            let n = Vec3::from(m.normals[tri[0] as usize]);
            assert!((b - a).cross(c - a).dot(n) > 0.0, "triangle {tri:?} faces inwards");
        }
    }

    #[test]
    fn layout_colours_convert() {
        assert_eq!(rgb(twin_model::layout::Rgb([255, 0, 0])), Color::srgb_u8(255, 0, 0));
    }
}
