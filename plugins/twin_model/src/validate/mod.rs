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
mod overlaps;
mod sources;

use checker::{Checker, Origin, count_conflict};
use controllers::{check_controllers, register_maps};
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
    if layout.name.trim().is_empty() {
        ck.error(
            root.field("name"),
            "the site has an empty name",
            "give the site a name, e.g. `name: \"Pharma DC North\"`",
        );
    }
    let floor_ok = ck.positive(root.field("floor").field("width"), "floor width", layout.floor.width)
        & ck.positive(root.field("floor").field("depth"), "floor depth", layout.floor.depth);
    let floor = if floor_ok {
        Rect { x: 0.0, y: 0.0, width: layout.floor.width, depth: layout.floor.depth }
    } else {
        Rect { x: f32::MIN / 4.0, y: f32::MIN / 4.0, width: f32::MAX / 2.0, depth: f32::MAX / 2.0 }
    };
    let site_format = match LocationFormat::parse(&layout.location_format) {
        Ok(f) => Some(f),
        Err(e) => {
            ck.error(root.field("location_format"), format!("bad location format: {e}"), "");
            None
        }
    };

    let shifts = match ShiftCalendar::parse(&layout.shifts) {
        Ok(s) => s,
        Err((i, why)) => {
            ck.error(
                root.field("shifts").index(i),
                why,
                "write each start as HH:MM, e.g. `shifts: [\"06:00\", \"14:00\", \"22:00\"]`",
            );
            ShiftCalendar::default()
        }
    };

    // Register maps: the built-in ones, then the layout's.
    let (maps, map_names) = register_maps(layout, ck);
    let map_index = |name: &str| map_names.get(name).copied();

    // Zones, aisles.
    let zones = ck.unique_names("zones", "name", "zone", layout.zones.iter().map(|z| z.name.as_str()));
    for (i, z) in layout.zones.iter().enumerate() {
        ck.rect(&root.field("zones").index(i).field("area"), &format!("zone {:?}", z.name), &z.area, &floor);
    }
    for (i, a) in layout.zones.iter().enumerate() {
        for (j, b) in layout.zones.iter().enumerate().skip(i + 1) {
            if a.area.overlaps(&b.area, TOLERANCE) {
                ck.warning(
                    root.field("zones").index(j).field("area"),
                    format!("zone {:?} overlaps zone {:?}", b.name, a.name),
                    "zones are usually disjoint; check the areas",
                );
                ck.related(root.field("zones").index(i).field("area"), format!("zone {:?} is here", a.name));
            }
        }
    }
    let zone_ref = |ck: &mut Checker, path: ValuePath, what: &str, name: &str| -> Option<usize> {
        let found = zones.get(name).copied();
        if found.is_none() {
            let known: Vec<&str> = layout.zones.iter().map(|z| z.name.as_str()).collect();
            ck.error(
                path,
                format!("{what} refers to unknown zone {name:?}"),
                format!("known zones: {}", known.join(", ")),
            );
        }
        found
    };
    let aisles = ck.unique_names("aisles", "name", "aisle", layout.aisles.iter().map(|a| a.name.as_str()));
    let mut aisle_zone = Vec::with_capacity(layout.aisles.len());
    for (i, a) in layout.aisles.iter().enumerate() {
        let path = root.field("aisles").index(i);
        aisle_zone.push(zone_ref(ck, path.field("zone"), &format!("aisle {:?}", a.name), &a.zone));
        ck.rect(&path.field("area"), &format!("aisle {:?}", a.name), &a.area, &floor);
    }

    // Controllers.
    let controllers = ck.unique_names(
        "controllers",
        "name",
        "controller",
        layout.controllers.iter().map(|c| c.name.as_str()),
    );
    let controller_map = check_controllers(layout, ck, &maps, &map_index);
    sources::check_sources(layout, ck, &maps, &controller_map);
    let controller_ref = |ck: &mut Checker, path: ValuePath, what: &str, name: &str| -> Option<usize> {
        let found = controllers.get(name).copied();
        if found.is_none() {
            let known: Vec<&str> = layout.controllers.iter().map(|c| c.name.as_str()).collect();
            ck.error(
                path,
                format!("{what} refers to unknown controller {name:?}"),
                format!("known controllers: {}", known.join(", ")),
            );
        }
        found
    };

    // Pickers and stations.
    ck.unique_names("pickers", "id", "picker", layout.pickers.iter().map(|p| p.id.as_str()));
    for (i, p) in layout.pickers.iter().enumerate() {
        zone_ref(
            ck,
            root.field("pickers").index(i).field("home_zone"),
            &format!("picker {:?}", p.id),
            &p.home_zone,
        );
    }
    ck.unique_names("stations", "id", "station", layout.stations.iter().map(|s| s.id.as_str()));
    for (i, s) in layout.stations.iter().enumerate() {
        let path = root.field("stations").index(i);
        zone_ref(ck, path.field("zone"), &format!("station {:?}", s.id), &s.zone);
        ck.rect(&path.field("area"), &format!("station {:?}", s.id), &s.area, &floor);
    }

    // Racks: references and geometry first, modules after.
    ck.unique_names("racks", "id", "rack", layout.racks.iter().map(|r| r.id.as_str()));
    let mut total: u64 = 0;
    let mut rack_ok = Vec::with_capacity(layout.racks.len());
    for (i, r) in layout.racks.iter().enumerate() {
        let path = root.field("racks").index(i);
        let mut ok = true;
        if !aisles.contains_key(r.aisle.as_str()) {
            let known: Vec<&str> = layout.aisles.iter().map(|a| a.name.as_str()).collect();
            ck.error(
                path.field("aisle"),
                format!("rack {:?} refers to unknown aisle {:?}", r.id, r.aisle),
                format!("known aisles: {}", known.join(", ")),
            );
        }
        for (field, value) in [("bays", r.bays), ("levels", r.levels), ("slots_per_level", r.slots_per_level)]
        {
            if value == 0 {
                ck.error(
                    path.field(field),
                    format!("rack {:?} has 0 {field}", r.id),
                    "a rack needs at least one of each",
                );
                ok = false;
            }
        }
        for (field, value) in
            [("bay_width", r.bay_width), ("level_height", r.level_height), ("depth", r.depth)]
        {
            ok &= ck.positive(path.field(field), &format!("rack {:?} {field}", r.id), value);
        }
        if !(r.bottom_shelf_height.is_finite() && r.bottom_shelf_height >= 0.0) {
            ck.error(
                path.field("bottom_shelf_height"),
                format!("rack {:?} bottom_shelf_height must be 0 or more metres", r.id),
                "",
            );
        }
        if ok {
            ck.rect(&path.field("origin"), &format!("rack {:?}", r.id), &r.footprint(), &floor);
        }
        total += r.slot_count();
        rack_ok.push(ok);
    }
    if total > MAX_SITE_MODULES {
        ck.error(
            root.field("racks"),
            format!("the racks have {total} slots in all; picktwin supports at most {MAX_SITE_MODULES} modules per site"),
            "check bays × levels × slots_per_level of the largest racks",
        );
        return None;
    }
    check_overlaps(layout, &rack_ok, ck);

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
        let zone_idx = aisles.get(r.aisle.as_str()).and_then(|&a| aisle_zone[a]).unwrap_or(0);
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

        let mut missing_controller = 0usize;
        let mut too_long: Option<(usize, String)> = None;
        let mut not_ascii: Option<String> = None;
        let mut not_encodable: Option<(String, String)> = None;
        let mut beyond_map: Option<(usize, u64, Origin)> = None;
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
                missing_controller += 1;
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
                not_ascii.get_or_insert_with(|| location.clone());
            }
            if let Some(m) = controller.and_then(|c| controller_map[c]) {
                let chars = maps[m].location_chars();
                if location.len() > chars && too_long.as_ref().is_none_or(|(_, l)| location.len() > l.len()) {
                    too_long = Some((chars, location.clone()));
                }
                let mut regs = [0u16; 16];
                let len = usize::from(maps[m].module_commands.location_len).min(16);
                if not_encodable.is_none()
                    && let Err(e) = maps[m].text.encode(&location, &mut regs[..len])
                {
                    not_encodable = Some((location.clone(), e));
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
                        let entry = beyond_map.get_or_insert((0, a, address_origin));
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

        if missing_controller > 0 {
            ck.error(
                path.clone(),
                format!("rack {:?}: {missing_controller} module(s) have no controller", r.id),
                "add `controller: \"NAME\"` to the rack, or a controller to each slot's override",
            );
        }
        if let Some((chars, text)) = too_long {
            let at = if r.location_format.is_some() { path.field("location_format") } else { path.clone() };
            ck.error(
                at,
                format!("rack {:?}: location text {text:?} has {} characters; its controller's display shows {chars}", r.id, text.len()),
                "shorten the location format (e.g. drop separators) or give overrides a shorter `location`",
            );
        }
        if let Some((text, why)) = not_encodable {
            let at = if r.location_format.is_some() { path.field("location_format") } else { path.clone() };
            ck.error(
                at,
                format!(
                    "rack {:?}: location text {text:?} cannot be shown by its controller's map: {why}",
                    r.id
                ),
                "give the rack a numeric `location_format` (e.g. \"{id}\") or overrides numeric `location`s",
            );
        }
        if let Some(text) = not_ascii {
            ck.error(
                path.clone(),
                format!(
                    "rack {:?}: location text {text:?} is not plain ASCII; module displays show ASCII only",
                    r.id
                ),
                "use letters, digits and punctuation only",
            );
        }
        if let Some((count, max, origin)) = beyond_map {
            let c = rack_controller.unwrap_or(0);
            ck.error(
                origin.path("first_address", "address"),
                format!(
                    "rack {:?}: {count} module(s) get addresses up to {max}, past the last address ({}) of controller {:?}'s register map",
                    r.id,
                    capacity.get(c).copied().unwrap_or(0).saturating_sub(1),
                    layout.controllers.get(c).map_or("", |c| c.name.as_str()),
                ),
                "lower `first_address`, or move the rack to another controller",
            );
        }
    }

    for (conflicts, what, field, override_field, help) in [
        (
            &dup_ids,
            ["module id", "module ids"],
            "first_module_id",
            "id",
            "give one of the racks a `first_module_id` past the other's ids, or fix the override",
        ),
        (
            &dup_addresses,
            ["controller address", "controller addresses"],
            "first_address",
            "address",
            "give one of the racks a `first_address` past the other's modules, or fix the override",
        ),
    ] {
        for c in conflicts.values() {
            let rack = &layout.racks[c.second.rack].id;
            let other = &layout.racks[c.first.rack].id;
            let what = what[usize::from(c.count != 1)];
            let message = if c.first.rack == c.second.rack {
                format!("rack {rack:?}: {} duplicate {what} within the rack, first {}", c.count, c.example)
            } else {
                format!("rack {rack:?} repeats {} {what} of rack {other:?}, first {}", c.count, c.example)
            };
            ck.error(c.second.path(field, override_field), message, help);
            ck.related(c.first.path(field, override_field), format!("rack {other:?}"));
        }
    }
    for c in dup_locations.values() {
        let rack = &layout.racks[c.second.rack].id;
        let other = &layout.racks[c.first.rack].id;
        ck.warning(
            ValuePath::root().field("racks").index(c.second.rack),
            format!(
                "rack {rack:?} shows {} location text(s) that rack {other:?} shows too, first {}",
                c.count, c.example
            ),
            "pickers cannot tell such modules apart; include `{rack}` or `{aisle}` in the location format",
        );
        ck.related(ValuePath::root().field("racks").index(c.first.rack), format!("rack {other:?}"));
    }

    for (i, c) in layout.controllers.iter().enumerate() {
        let path = root.field("controllers").index(i);
        if per_controller[i] > capacity[i] && controller_map[i].is_some() {
            ck.error(
                path.field("name"),
                format!(
                    "controller {:?} drives {} modules but its register map {:?} addresses at most {}",
                    c.name, per_controller[i], c.register_map, capacity[i]
                ),
                "move racks to another controller, or use a map with a larger `max_modules`",
            );
        } else if per_controller[i] == 0 {
            ck.warning(
                path.field("name"),
                format!("controller {:?} drives no modules", c.name),
                "assign racks to it or remove it",
            );
        }
    }

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
