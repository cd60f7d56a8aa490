//! Light modules at site scale: one shared mesh (a cuboid and its beacon quad,
//! [`crate::beacons`]) and one [`ModuleMaterial`] for every module, so they draw as one
//! instanced batch whatever the module count; each instance's
//! `MeshTag` indexes a storage buffer of packed display states ([`crate::display`]).
//!
//! Only changed modules are rewritten: the main world keeps a CPU mirror of the buffer, packs
//! the modules whose `LightModule` changed this frame and queues their byte ranges; the render
//! world writes just those ranges into the GPU buffer (`RenderQueue::write_buffer`), so a frame
//! with one change uploads 32 bytes, not the whole site.

use bevy::asset::RenderAssetUsages;
use bevy::light::NotShadowCaster;
use bevy::mesh::MeshTag;
use bevy::prelude::*;
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::AsBindGroup;
use bevy::render::renderer::RenderQueue;
use bevy::render::storage::{GpuShaderBuffer, ShaderBuffer};
use bevy::render::{Extract, ExtractSchedule, Render, RenderApp, RenderSystems};
use bevy::shader::ShaderRef;
use twin_link::{LightModule, LinkSite, ModuleEntities, ModuleReading};
use twin_model::ModuleIndex;

use crate::display::{self, Packed};
use crate::selection::{Selected, Selection};
use crate::{SceneSystems, plan_to_world};

/// The embedded shader's asset path.
const SHADER: &str = "embedded://twin_scene/shaders/module.wgsl";

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ModuleStates>()
        .init_resource::<crate::beacons::Beacons>()
        .init_resource::<ModuleHighlights>()
        .init_resource::<ModuleHeat>()
        .init_resource::<FloorStale>()
        .add_systems(
            PostUpdate,
            (attach_module_visuals, pack_changed_modules).chain().in_set(SceneSystems::Sync),
        );
    if app.get_sub_app(RenderApp).is_some() {
        bevy::asset::embedded_asset!(app, "shaders/module.wgsl");
        app.add_plugins(MaterialPlugin::<ModuleMaterial>::default());
        let render = app.sub_app_mut(RenderApp);
        render
            .init_resource::<PendingWrites>()
            .add_systems(ExtractSchedule, extract_module_writes.in_set(SceneSystems::Render))
            .add_systems(
                Render,
                write_module_ranges.in_set(RenderSystems::PrepareResources).in_set(SceneSystems::Render),
            );
    }
}

/// The one material every light module uses: per-instance state comes from `states`.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct ModuleMaterial {
    /// Packed display states, 32 bytes per module, indexed by `MeshTag`.
    #[storage(0, read_only)]
    pub states: Handle<ShaderBuffer>,
    /// Beacon height, radius and smallest size on screen ([`crate::beacons::BeaconParams`]).
    #[uniform(1)]
    pub beacons: Vec4,
}

impl Material for ModuleMaterial {
    fn vertex_shader() -> ShaderRef {
        SHADER.into()
    }

    fn fragment_shader() -> ShaderRef {
        SHADER.into()
    }
}

/// The CPU mirror of the module state buffer and this frame's changed ranges.
#[derive(Resource, Default, Debug)]
pub struct ModuleStates {
    /// Packed state of every module, by module index.
    pub packed: Vec<Packed>,
    /// Ranges `(first module, count)` changed this frame, merged where adjacent.
    pub changed: Vec<(u32, u32)>,
    /// The GPU buffer (absent when running without a renderer).
    pub buffer: Option<Handle<ShaderBuffer>>,
    /// Modules packed since start (for measurements).
    pub packed_total: u64,
    /// Bytes queued for upload since start (for measurements).
    pub uploaded_bytes: u64,
    scratch: Vec<ModuleIndex>,
    selected: Option<ModuleIndex>,
}

/// Modules the overlay highlights (e.g. the lit lines of a selected order).
#[derive(Resource, Default, Debug, Clone, PartialEq, Eq)]
pub struct ModuleHighlights(pub Vec<ModuleIndex>);

/// The pick heatmap the overlay computes (`twin_ops::heat`): when `on`, every module's housing
/// shows its level (0: not picked in the window; 255: the busiest module).
#[derive(Resource, Default, Debug, Clone, PartialEq, Eq)]
pub struct ModuleHeat {
    /// Drawn at all.
    pub on: bool,
    /// Level by module index.
    pub levels: Vec<u8>,
}

/// Size of a module on a shelf front with slots `slot_width` wide: real PTL modules are about
/// 10–30 cm wide; ours fill most of the slot so the digits read from 2–3 m.
pub fn module_size(slot_width: f32, level_height: f32) -> Vec3 {
    Vec3::new((slot_width * 0.9).min(0.30), (level_height * 0.32).clamp(0.05, 0.10), 0.035)
}

/// Gives every module entity the link spawned its mesh, material, tag and place.
#[expect(clippy::too_many_arguments, reason = "the render assets are optional: headless runs have none")]
fn attach_module_visuals(
    mut commands: Commands,
    site: Option<Res<LinkSite>>,
    added: Query<(Entity, &LightModule), Added<LightModule>>,
    mut states: ResMut<ModuleStates>,
    mut meshes: Option<ResMut<Assets<Mesh>>>,
    mut materials: Option<ResMut<Assets<ModuleMaterial>>>,
    mut buffers: Option<ResMut<Assets<ShaderBuffer>>>,
    mut shared: Local<Option<(Handle<Mesh>, Handle<ModuleMaterial>)>>,
    beacons_on: Res<crate::beacons::Beacons>,
) {
    let Some(site) = site else { return };
    if added.is_empty() {
        return;
    }
    let site = &site.0;
    let n = site.modules.len();
    if states.packed.len() != n {
        states.packed = vec![display::pack_reading(&Default::default(), false, false); n];
        states.scratch = Vec::with_capacity(n);
    }
    if shared.is_none()
        && let (Some(meshes), Some(materials), Some(buffers)) =
            (meshes.as_deref_mut(), materials.as_deref_mut(), buffers.as_deref_mut())
    {
        let mut bytes = Vec::new();
        display::write_bytes(&states.packed, &mut bytes);
        if bytes.is_empty() {
            // A storage binding cannot be empty.
            bytes.resize(32, 0);
        }
        // The CPU copy lives in `ModuleStates`; the asset's bytes are needed only once.
        let buffer = buffers.add(ShaderBuffer::new(&bytes, RenderAssetUsages::RENDER_WORLD));
        states.buffer = Some(buffer.clone());
        let params = crate::beacons::BeaconParams::for_site(site);
        let beacons = if beacons_on.0 { params } else { params.off() }.to_vec4();
        *shared = Some((
            meshes.add(crate::beacons::module_mesh()),
            materials.add(ModuleMaterial { states: buffer, beacons }),
        ));
    }
    for (entity, module) in &added {
        let Some(m) = site.modules.get(module.index as usize) else { continue };
        let rack = &site.layout.racks[m.rack as usize];
        let size = module_size(rack.bay_width / f32::from(rack.slots_per_level.max(1)), rack.level_height);
        let [nx, ny] = m.facing.normal();
        let normal = Vec3::new(nx, 0.0, -ny);
        let centre = plan_to_world(m.position) + normal * (size.z * 0.5);
        let transform = Transform::from_translation(centre).looking_to(-normal, Vec3::Y).with_scale(size);
        let mut e = commands.entity(entity);
        e.insert((transform, MeshTag(module.index), NotShadowCaster));
        if let Some((mesh, material)) = shared.as_ref() {
            e.insert((Mesh3d(mesh.clone()), MeshMaterial3d(material.clone())));
        }
    }
}

/// The whole floor's data is stale (the overlay decides: docs/overlay.md): every module is
/// drawn grey, whatever its last reading says.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FloorStale(pub bool);

/// Packs the modules whose state, selection or highlight changed; queues their ranges.
#[expect(clippy::too_many_arguments, reason = "a system's parameters are its data access")]
fn pack_changed_modules(
    floor: Res<FloorStale>,
    mut states: ResMut<ModuleStates>,
    changed: Query<&LightModule, Changed<LightModule>>,
    all: Query<&LightModule>,
    entities: Res<ModuleEntities>,
    selection: Res<Selection>,
    highlights: Res<ModuleHighlights>,
    heat: Res<ModuleHeat>,
    mut last_highlights: Local<Vec<ModuleIndex>>,
) {
    let states = &mut *states;
    states.changed.clear();
    if states.packed.is_empty() {
        return;
    }
    states.scratch.clear();
    states.scratch.extend(changed.iter().map(|m| m.index));
    let selected = match selection.selected {
        Selected::Module(i) => Some(i),
        _ => None,
    };
    if selected != states.selected {
        states.scratch.extend(states.selected);
        states.scratch.extend(selected);
        states.selected = selected;
    }
    if highlights.is_changed() {
        states.scratch.extend(last_highlights.iter().copied());
        states.scratch.extend(highlights.0.iter().copied());
        // Kept sorted: the loop below looks every packed module up in it.
        last_highlights.clone_from(&highlights.0);
        last_highlights.sort_unstable();
    }
    if floor.is_changed() || heat.is_changed() {
        states.scratch.extend(0..states.packed.len() as ModuleIndex);
    }
    if states.scratch.is_empty() {
        return;
    }
    states.scratch.sort_unstable();
    states.scratch.dedup();
    for k in 0..states.scratch.len() {
        let index = states.scratch[k];
        let Some(entity) = entities.0.get(index as usize) else { continue };
        let Ok(module) = all.get(*entity) else { continue };
        let Some(slot) = states.packed.get_mut(index as usize) else { continue };
        let is_selected = selected == Some(index);
        let highlighted = last_highlights.binary_search(&index).is_ok();
        let reading = ModuleReading { stale: module.reading.stale || floor.0, ..module.reading };
        *slot = display::pack_reading(&reading, is_selected, highlighted);
        if heat.on {
            display::with_heat(slot, heat.levels.get(index as usize).copied().unwrap_or(0));
        }
        states.packed_total += 1;
        match states.changed.last_mut() {
            Some((first, count)) if *first + *count == index => *count += 1,
            _ => states.changed.push((index, 1)),
        }
    }
    states.uploaded_bytes += states.changed.iter().map(|(_, c)| u64::from(*c) * 32).sum::<u64>();
}

/// Byte ranges waiting for the GPU buffer (render world). One byte vector for all of them,
/// reused frame after frame.
#[derive(Resource, Default)]
struct PendingWrites {
    buffer: Option<AssetId<ShaderBuffer>>,
    bytes: Vec<u8>,
    /// (offset in the GPU buffer, range of `bytes`)
    ranges: Vec<(u64, std::ops::Range<usize>)>,
}

fn extract_module_writes(states: Extract<Res<ModuleStates>>, mut pending: ResMut<PendingWrites>) {
    let Some(buffer) = states.buffer.as_ref() else { return };
    let pending = &mut *pending;
    pending.buffer = Some(buffer.id());
    for &(first, count) in &states.changed {
        let Some(packed) = states.packed.get(first as usize..(first + count) as usize) else { continue };
        let start = pending.bytes.len();
        display::write_bytes(packed, &mut pending.bytes);
        pending.ranges.push((u64::from(first) * 32, start..pending.bytes.len()));
    }
}

fn write_module_ranges(
    mut pending: ResMut<PendingWrites>,
    buffers: Res<RenderAssets<GpuShaderBuffer>>,
    queue: Res<RenderQueue>,
) {
    let Some(id) = pending.buffer else { return };
    // Until the buffer is on the GPU the writes wait (they are newer than its initial data).
    let Some(gpu) = buffers.get(id) else { return };
    let pending = &mut *pending;
    for (offset, range) in pending.ranges.drain(..) {
        if offset + range.len() as u64 <= gpu.buffer.size() {
            queue.write_buffer(&gpu.buffer, offset, &pending.bytes[range]);
        }
    }
    pending.bytes.clear();
}
