//! Expands a layout into modules and checks it: references, geometry, ids and addresses.
//!
//! Findings are collected with the value path they concern and only turned into file positions
//! when there are any, so a valid layout pays nothing for error reporting. Findings that could
//! repeat per module (duplicate ids between two racks) are aggregated per rack pair: one clear
//! message instead of thousands.

use std::collections::{BTreeMap, HashMap};

use crate::diagnostic::{Diagnostic, Severity};
use crate::layout::{Facing, Rect, SiteLayout};
use crate::location::{LocationFormat, LocationValues};
use crate::register_map::{BUILTIN_MAPS, RegisterMap, builtin_maps};
use crate::shifts::ShiftCalendar;
use crate::site::{ControllerPlan, LayoutError, Module, ModuleId, ModuleIndex, Site};
use crate::source_map::{SourceMap, ValuePath};

/// Overlaps smaller than this (metres) are touching, not overlapping.
const TOLERANCE: f32 = 1e-3;
/// Most modules a site may expand to: guards memory against a typo like `bays: 60000`.
pub const MAX_SITE_MODULES: u64 = 2_000_000;

mod checker;
mod controllers;
mod endpoint;
mod header;
mod overlaps;
mod places;
mod racks;
mod report;
mod sources;

use checker::{Checker, Conflict, Origin, count_conflict};
use controllers::{check_controllers, controller_names, controller_ref, register_maps};
use endpoint::parse_endpoint;
use overlaps::check_overlaps;

/// Expands and validates `layout`; `src` (if the layout came from text) positions the findings.
pub(crate) fn compile(layout: SiteLayout, src: Option<&str>, file: &str) -> Result<Site, LayoutError> {
    let mut ck = Checker { findings: Vec::new() };
    let site = expand(&layout, &mut ck);
    let map = SourceMap::new(if ck.findings.is_empty() { "" } else { src.unwrap_or("") });
    let mut diagnostics: Vec<Diagnostic> =
        ck.findings.into_iter().map(|f| Diagnostic::from_finding(f, file, &map)).collect();
    diagnostics.sort_by_key(|d| (d.severity, d.at));
    match site {
        Some(e) if !diagnostics.iter().any(|d| d.severity == Severity::Error) => Ok(Site {
            layout,
            maps: e.maps,
            modules: e.modules,
            rack_modules: e.rack_modules,
            rack_zone: e.rack_zone,
            controllers: e.controllers,
            shifts: e.shifts,
            file: file.to_owned(),
            warnings: diagnostics,
            by_id: e.by_id,
        }),
        _ => Err(LayoutError::Invalid { diagnostics }),
    }
}

/// Everything [`Site`] holds beyond the layout itself.
struct Expanded {
    maps: Vec<RegisterMap>,
    modules: Vec<Module>,
    rack_modules: Vec<std::ops::Range<ModuleIndex>>,
    rack_zone: Vec<u16>,
    controllers: Vec<ControllerPlan>,
    shifts: ShiftCalendar,
    by_id: HashMap<ModuleId, ModuleIndex>,
}

fn expand(layout: &SiteLayout, ck: &mut Checker) -> Option<Expanded> {
    let root = ValuePath::root();
    let (floor, site_format, shifts) = header::check_header(layout, ck);

    // Register maps: the built-in ones, then the layout's.
    let (maps, map_names) = register_maps(layout, ck);
    let map_index = |name: &str| map_names.get(name).copied();

    let places = places::check_places(layout, ck, &floor);

    // Controllers.
    let controllers = controller_names(layout, ck);
    let controller_map = check_controllers(layout, ck, &maps, &map_index);
    sources::check_sources(layout, ck, &maps, &controller_map);
    let controller_ref = |ck: &mut Checker, path: ValuePath, what: &str, name: &str| {
        controller_ref(layout, &controllers, ck, path, what, name)
    };

    // Racks: references and geometry first, modules after.
    let (rack_ok, total) = racks::check_racks(layout, ck, &places.aisles, &floor)?;

    // Modules.
    let mut modules: Vec<Module> = Vec::with_capacity(total as usize);
    let mut rack_modules = Vec::with_capacity(layout.racks.len());
    let mut rack_zone = Vec::with_capacity(layout.racks.len());
    let mut by_id: HashMap<ModuleId, ModuleIndex> = HashMap::with_capacity(total as usize);
    // Where each module's id and address came from.
    let mut origins: Vec<(Origin, Origin)> = Vec::with_capacity(total as usize);
    let capacity: Vec<usize> =
        controller_map.iter().map(|m| m.map_or(0, |m| usize::from(maps[m].max_modules))).collect();
    let mut occupied: Vec<Vec<ModuleIndex>> = capacity.iter().map(|&n| vec![ModuleIndex::MAX; n]).collect();
    let mut next_address: Vec<u32> = vec![0; layout.controllers.len()];
    let mut per_controller: Vec<usize> = vec![0; layout.controllers.len()];
    let mut next_id: u64 = 1;
    let mut dup_ids = BTreeMap::new();
    let mut dup_addresses = BTreeMap::new();
    let mut dup_locations = BTreeMap::new();
    let mut locations: HashMap<Box<str>, ModuleIndex> = HashMap::with_capacity(total as usize);
    let mut location = String::new();

    for (ri, r) in layout.racks.iter().enumerate() {
        let start = modules.len() as ModuleIndex;
        let path = root.field("racks").index(ri);
        let zone_idx = places.aisles.get(r.aisle.as_str()).and_then(|&a| places.aisle_zone[a]).unwrap_or(0);
        rack_zone.push(zone_idx as u16);
        if !rack_ok[ri] {
            rack_modules.push(start..start);
            continue;
        }
        let format = match &r.location_format {
            Some(f) => match LocationFormat::parse(f) {
                Ok(f) => Some(f),
                Err(e) => {
                    ck.error(
                        path.field("location_format"),
                        format!("rack {:?}: bad location format: {e}", r.id),
                        "",
                    );
                    None
                }
            },
            None => site_format.clone(),
        };
        let rack_controller = r
            .controller
            .as_deref()
            .and_then(|c| controller_ref(ck, path.field("controller"), &format!("rack {:?}", r.id), c));
        let first_id = u64::from(r.first_module_id.unwrap_or(next_id.min(u64::from(u32::MAX)) as u32));
        next_id = first_id + r.slot_count();
        let first_address =
            rack_controller.map(|c| u64::from(r.first_address.map_or(next_address[c], u32::from)));
        if let (Some(c), Some(first)) = (rack_controller, first_address) {
            next_address[c] = (first + r.slot_count()).min(u64::from(u32::MAX)) as u32;
        }

        // Overrides by slot number.
        let slots = u64::from(r.slots_per_level);
        let levels = u64::from(r.levels);
        let mut overrides: HashMap<u64, usize> = HashMap::new();
        for (k, o) in r.overrides.iter().enumerate() {
            let opath = path.field("overrides").index(k);
            let mut in_range = true;
            for (field, value, max) in
                [("bay", o.bay, r.bays), ("level", o.level, r.levels), ("slot", o.slot, r.slots_per_level)]
            {
                if value == 0 || value > max {
                    ck.error(
                        opath.field(field),
                        format!("override of rack {:?}: {field} {value} does not exist", r.id),
                        format!("{field}s are numbered from 1 to {max}"),
                    );
                    in_range = false;
                }
            }
            if let Some(c) = &o.controller {
                controller_ref(ck, opath.field("controller"), &format!("override of rack {:?}", r.id), c);
                if o.address.is_none() {
                    ck.error(
                        opath.field("controller"),
                        format!(
                            "override of rack {:?} moves a slot to controller {c:?} without an address",
                            r.id
                        ),
                        "add `address: N` with the module's address on that controller",
                    );
                }
            }
            if !in_range {
                continue;
            }
            let n =
                ((u64::from(o.bay) - 1) * levels + u64::from(o.level) - 1) * slots + u64::from(o.slot) - 1;
            if let Some(first) = overrides.insert(n, k) {
                ck.error(
                    opath.clone(),
                    format!(
                        "rack {:?} bay {} level {} slot {} is overridden twice",
                        r.id, o.bay, o.level, o.slot
                    ),
                    "merge the two overrides into one",
                );
                ck.related(path.field("overrides").index(first), "first override");
            }
        }

        let mut found = report::RackFindings::default();
        let face = r.footprint();
        let along_step = r.bay_width / f32::from(r.slots_per_level);
        let facing = r.facing;
        for n in 0..r.slot_count() {
            let bay = (n / (levels * slots)) as u16 + 1;
            let level = ((n / slots) % levels) as u16 + 1;
            let slot = (n % slots) as u16 + 1;
            let ov = overrides.get(&n).map(|&k| (k, &r.overrides[k]));
            if ov.is_some_and(|(_, o)| o.absent) {
                continue;
            }
            let id_origin =
                Origin { rack: ri, override_index: ov.filter(|(_, o)| o.id.is_some()).map(|(k, _)| k) };
            let Ok(id) = u32::try_from(ov.and_then(|(_, o)| o.id).map_or(first_id + n, u64::from)) else {
                ck.error(
                    id_origin.path("first_module_id", "id"),
                    format!("rack {:?} module ids run past {}", r.id, u32::MAX),
                    "lower `first_module_id`",
                );
                break;
            };
            let controller = match ov.and_then(|(_, o)| o.controller.as_deref()) {
                Some(name) => controllers.get(name).copied(),
                None => rack_controller,
            };
            let address_origin =
                Origin { rack: ri, override_index: ov.filter(|(_, o)| o.address.is_some()).map(|(k, _)| k) };
            let address = match (ov.and_then(|(_, o)| o.address), first_address) {
                (Some(a), _) => Some(u64::from(a)),
                (None, Some(first)) if ov.and_then(|(_, o)| o.controller.as_deref()).is_none() => {
                    Some(first + n)
                }
                _ => None,
            };
            if controller.is_none()
                && r.controller.is_none()
                && ov.and_then(|(_, o)| o.controller.as_deref()).is_none()
            {
                found.missing_controller += 1;
            }

            location.clear();
            match ov.and_then(|(_, o)| o.location.as_deref()) {
                Some(text) => location.push_str(text),
                None => {
                    if let Some(f) = &format {
                        let values = LocationValues {
                            zone: layout.zones.get(zone_idx).map_or("", |z| &z.name),
                            aisle: &r.aisle,
                            rack: &r.id,
                            bay,
                            level,
                            slot,
                            id,
                            address: address.unwrap_or(0).min(u64::from(u16::MAX)) as u16,
                        };
                        f.render_into(&values, &mut location);
                    }
                }
            }
            if !location.is_ascii() || location.chars().any(|c| c.is_ascii_control()) {
                found.not_ascii.get_or_insert_with(|| location.clone());
            }
            if let Some(m) = controller.and_then(|c| controller_map[c]) {
                let chars = maps[m].location_chars();
                if location.len() > chars
                    && found.too_long.as_ref().is_none_or(|(_, l)| location.len() > l.len())
                {
                    found.too_long = Some((chars, location.clone()));
                }
                let mut regs = [0u16; 16];
                let len = usize::from(maps[m].module_commands.location_len).min(16);
                if found.not_encodable.is_none()
                    && let Err(e) = maps[m].text.encode(&location, &mut regs[..len])
                {
                    found.not_encodable = Some((location.clone(), e));
                }
            }

            let index = modules.len() as ModuleIndex;
            if let Some(&first) = by_id.get(&ModuleId(id)) {
                count_conflict(&mut dup_ids, origins[first as usize].0, id_origin, || {
                    format!("module id {id}")
                });
            } else {
                by_id.insert(ModuleId(id), index);
            }
            let mut module_address = 0u16;
            if let (Some(c), Some(a)) = (controller, address) {
                per_controller[c] += 1;
                match occupied[c].get_mut(a as usize) {
                    Some(slot_owner) => {
                        module_address = a as u16;
                        if *slot_owner == ModuleIndex::MAX {
                            *slot_owner = index;
                        } else {
                            let first = origins[*slot_owner as usize].1;
                            let name = &layout.controllers[c].name;
                            count_conflict(&mut dup_addresses, first, address_origin, || {
                                format!("address {a} on controller {name:?}")
                            });
                        }
                    }
                    None if controller_map[c].is_some() => {
                        let entry = found.beyond_map.get_or_insert((0, a, address_origin));
                        entry.0 += 1;
                        entry.1 = entry.1.max(a);
                    }
                    None => {}
                }
            }
            let along = f32::from(bay - 1) * r.bay_width + (f32::from(slot) - 0.5) * along_step;
            let height = r.bottom_shelf_height + f32::from(level - 1) * r.level_height;
            let position = match facing {
                Facing::North => [face.x + along, face.max_y(), height],
                Facing::South => [face.x + along, face.y, height],
                Facing::East => [face.max_x(), face.y + along, height],
                Facing::West => [face.x, face.y + along, height],
            };
            let boxed: Box<str> = location.as_str().into();
            if let Some(&first) = locations.get(&boxed) {
                count_conflict(
                    &mut dup_locations,
                    origins[first as usize].0,
                    Origin { rack: ri, override_index: None },
                    || format!("location {boxed:?}"),
                );
            } else {
                locations.insert(boxed.clone(), index);
            }
            modules.push(Module {
                id: ModuleId(id),
                rack: ri as u32,
                bay,
                level,
                slot,
                controller: controller.unwrap_or(0) as u16,
                address: module_address,
                location: boxed,
                position,
                facing,
            });
            origins.push((id_origin, address_origin));
        }
        rack_modules.push(start..modules.len() as ModuleIndex);

        report::rack(layout, ck, ri, &path, &found, &capacity, rack_controller);
    }

    report::duplicates(layout, ck, &dup_ids, &dup_addresses, &dup_locations);
    report::controller_load(layout, ck, &per_controller, &capacity, &controller_map);

    if ck.has_errors() {
        return None;
    }
    let controllers = occupied
        .into_iter()
        .zip(&controller_map)
        .map(|(owners, map)| ControllerPlan {
            map: map.unwrap_or(0),
            modules: owners.into_iter().filter(|&m| m != ModuleIndex::MAX).collect(),
        })
        .collect();
    Some(Expanded { maps, modules, rack_modules, rack_zone, controllers, shifts, by_id })
}
