//! Beacons: what makes a lit module findable from the overview. Each module's mesh is the
//! cuboid plus one extra quad; the module shader collapses that quad for an idle module and,
//! for a lit, confirmed, short or faulty one, turns it into a screen-facing mark above the rack
//! tops with a minimum size in pixels. No entity, material or draw call is added: the beacons
//! are part of the modules' one instanced batch.

use bevy::mesh::{Indices, PrimitiveTopology, VertexAttributeValues};
use bevy::prelude::*;
use twin_model::Site;

/// Height (mesh-local y) that marks a vertex as a beacon corner. Far above the unit cube, so
/// the mesh's bounding box also reaches up to where the beacon is drawn (frustum culling keeps
/// a module whose beacon is in view).
pub const BEACON_MARK_Y: f32 = 100.0;

/// Whether lit modules draw beacons (on unless a benchmark measures the floor without them).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beacons(pub bool);

impl Default for Beacons {
    fn default() -> Self {
        Self(true)
    }
}

/// Beacon placement and size, the module material's uniform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeaconParams {
    /// World height of the beacons' centres: above the highest rack, so no rack hides one from
    /// above.
    pub height: f32,
    /// Radius in metres (what the beacon is when the camera is close).
    pub radius_m: f32,
    /// Smallest radius on screen, in pixels per 1080 pixels of viewport height.
    pub min_radius_px: f32,
}

impl BeaconParams {
    /// For a site: half a metre over its highest rack.
    pub fn for_site(site: &Site) -> Self {
        Self { height: site.rack_top() + 0.5, radius_m: 0.3, min_radius_px: 7.0 }
    }

    /// No beacons: the shader collapses every beacon quad (a zero radius).
    pub fn off(self) -> Self {
        Self { radius_m: 0.0, min_radius_px: 0.0, ..self }
    }

    /// As the shader reads it.
    pub fn to_vec4(self) -> Vec4 {
        Vec4::new(self.height, self.radius_m, self.min_radius_px, 0.0)
    }
}

/// The module mesh: a unit cuboid (24 vertices, 36 indices) and a beacon quad whose corners
/// sit at `(±1, BEACON_MARK_Y, ±1)` with zero normals.
pub fn module_mesh() -> Mesh {
    let mut mesh = Mesh::from(Cuboid::new(1.0, 1.0, 1.0));
    let corners = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]];
    let base = mesh.count_vertices() as u32;
    if let Some(VertexAttributeValues::Float32x3(p)) = mesh.attribute_mut(Mesh::ATTRIBUTE_POSITION) {
        p.extend(corners.iter().map(|[x, z]| [*x, BEACON_MARK_Y, *z]));
    }
    if let Some(VertexAttributeValues::Float32x3(n)) = mesh.attribute_mut(Mesh::ATTRIBUTE_NORMAL) {
        n.extend([[0.0; 3]; 4]);
    }
    if let Some(VertexAttributeValues::Float32x2(uv)) = mesh.attribute_mut(Mesh::ATTRIBUTE_UV_0) {
        uv.extend(corners.iter().map(|[x, z]| [x * 0.5 + 0.5, z * 0.5 + 0.5]));
    }
    let quad = [0, 1, 2, 0, 2, 3].map(|i| base + i);
    let indices: Vec<u32> = match mesh.indices() {
        Some(Indices::U16(v)) => v.iter().map(|&i| u32::from(i)).chain(quad).collect(),
        Some(Indices::U32(v)) => v.iter().copied().chain(quad).collect(),
        None => quad.to_vec(),
    };
    mesh.insert_indices(Indices::U32(indices));
    debug_assert_eq!(mesh.primitive_topology(), PrimitiveTopology::TriangleList);
    mesh
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_mesh_is_the_cube_and_one_marked_quad() {
        let mesh = module_mesh();
        assert_eq!(mesh.count_vertices(), 28);
        assert_eq!(mesh.indices().map(Indices::len), Some(42));
        let Some(VertexAttributeValues::Float32x3(p)) = mesh.attribute(Mesh::ATTRIBUTE_POSITION) else {
            panic!("positions")
        };
        let marked = p.iter().filter(|v| v[1] == BEACON_MARK_Y).count();
        assert_eq!(marked, 4);
        assert!(p[..24].iter().all(|v| v.iter().all(|c| c.abs() <= 0.5)));
    }

    #[test]
    fn beacons_float_over_the_highest_rack() {
        let site = Site::from_ron(include_str!("../../../layouts/pharma_dc.ron"), "pharma_dc.ron").unwrap();
        let top = site.layout.racks.iter().map(|r| r.height()).fold(0.0f32, f32::max);
        let p = BeaconParams::for_site(&site);
        assert_eq!(p.height, top + 0.5);
        assert_eq!(p.to_vec4(), Vec4::new(top + 0.5, 0.3, 7.0, 0.0));
    }
}
