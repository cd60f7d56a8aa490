//! Findings gathered while expanding the modules, reported once each: duplicate ids and
//! addresses per rack pair, repeated location texts, and each controller's load against its map.

use super::*;

type Conflicts = BTreeMap<(usize, usize), Conflict>;

/// What went wrong with one rack's modules while expanding it (each reported once per rack).
#[derive(Default)]
pub(super) struct RackFindings {
    /// Modules with no controller.
    pub(super) missing_controller: usize,
    /// The longest location text past its display: (display characters, text).
    pub(super) too_long: Option<(usize, String)>,
    /// The first location text that is not plain ASCII.
    pub(super) not_ascii: Option<String>,
    /// The first location text the controller's map cannot encode, and why.
    pub(super) not_encodable: Option<(String, String)>,
    /// Modules addressed past the map: (count, highest address, where the address came from).
    pub(super) beyond_map: Option<(usize, u64, Origin)>,
}

/// Reports one rack's findings.
pub(super) fn rack(
    layout: &SiteLayout,
    ck: &mut Checker,
    ri: usize,
    path: &ValuePath,
    found: &RackFindings,
    capacity: &[usize],
    rack_controller: Option<usize>,
) {
    let r = &layout.racks[ri];
    if found.missing_controller > 0 {
        ck.error(
            path.clone(),
            format!("rack {:?}: {} module(s) have no controller", r.id, found.missing_controller),
            "add `controller: \"NAME\"` to the rack, or a controller to each slot's override",
        );
    }
    if let Some((chars, text)) = &found.too_long {
        let at = if r.location_format.is_some() { path.field("location_format") } else { path.clone() };
        ck.error(
            at,
            format!(
                "rack {:?}: location text {text:?} has {} characters; its controller's display shows {chars}",
                r.id,
                text.len()
            ),
            "shorten the location format (e.g. drop separators) or give overrides a shorter `location`",
        );
    }
    if let Some((text, why)) = &found.not_encodable {
        let at = if r.location_format.is_some() { path.field("location_format") } else { path.clone() };
        ck.error(
            at,
            format!("rack {:?}: location text {text:?} cannot be shown by its controller's map: {why}", r.id),
            "give the rack a numeric `location_format` (e.g. \"{id}\") or overrides numeric `location`s",
        );
    }
    if let Some(text) = &found.not_ascii {
        ck.error(
            path.clone(),
            format!(
                "rack {:?}: location text {text:?} is not plain ASCII; module displays show ASCII only",
                r.id
            ),
            "use letters, digits and punctuation only",
        );
    }
    if let Some((count, max, origin)) = found.beyond_map {
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

/// One finding per rack pair with duplicate module ids, controller addresses or location texts.
pub(super) fn duplicates(
    layout: &SiteLayout,
    ck: &mut Checker,
    dup_ids: &Conflicts,
    dup_addresses: &Conflicts,
    dup_locations: &Conflicts,
) {
    for (conflicts, what, field, override_field, help) in [
        (
            dup_ids,
            ["module id", "module ids"],
            "first_module_id",
            "id",
            "give one of the racks a `first_module_id` past the other's ids, or fix the override",
        ),
        (
            dup_addresses,
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
}

/// A controller driving more modules than its map addresses (error) or none (warning).
pub(super) fn controller_load(
    layout: &SiteLayout,
    ck: &mut Checker,
    per_controller: &[usize],
    capacity: &[usize],
    controller_map: &[Option<usize>],
) {
    let root = ValuePath::root();
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
}
