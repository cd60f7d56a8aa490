//! Register maps and controllers: the layout's maps checked and numbered after the built-in
//! ones, and each controller's address, timing, connections, heartbeat limit and map.

use super::*;

/// The maps (built-in first) and every map's index by name.
pub(super) fn register_maps<'a>(
    layout: &'a SiteLayout,
    ck: &mut Checker,
) -> (Vec<RegisterMap>, HashMap<&'a str, usize>) {
    let root = ValuePath::root();
    let mut maps = builtin_maps();
    let map_names = ck.unique_names(
        "register_maps",
        "name",
        "register map",
        layout.register_maps.iter().map(|m| m.name.as_str()),
    );
    for (i, m) in layout.register_maps.iter().enumerate() {
        let path = root.field("register_maps").index(i);
        if BUILTIN_MAPS.contains(&m.name.as_str()) {
            ck.error(
                path.field("name"),
                format!("register map name {:?} is reserved for a built-in map", m.name),
                "give your map another name and refer to it from the controllers that use it",
            );
        }
        for p in m.problems() {
            let mut at = path.field(p.field[0]);
            if !p.field[1].is_empty() {
                at = at.field(p.field[1]);
            }
            ck.error(at, format!("register map {:?}: {}", m.name, p.message), "");
        }
        maps.push(m.clone());
    }
    // Names to indices in `maps`: the built-in ones first, the layout's after them.
    let mut index: HashMap<&'a str, usize> = BUILTIN_MAPS.iter().enumerate().map(|(i, b)| (*b, i)).collect();
    for (name, i) in map_names {
        index.entry(name).or_insert(i + BUILTIN_MAPS.len());
    }
    (maps, index)
}

/// The controllers' names (unique, not empty) → index.
pub(super) fn controller_names<'a>(layout: &'a SiteLayout, ck: &mut Checker) -> HashMap<&'a str, usize> {
    ck.unique_names("controllers", "name", "controller", layout.controllers.iter().map(|c| c.name.as_str()))
}

/// The controller `what` refers to by `name`; an unknown name is an error listing the known ones.
pub(super) fn controller_ref(
    layout: &SiteLayout,
    names: &HashMap<&str, usize>,
    ck: &mut Checker,
    path: ValuePath,
    what: &str,
    name: &str,
) -> Option<usize> {
    let found = names.get(name).copied();
    if found.is_none() {
        let known: Vec<&str> = layout.controllers.iter().map(|c| c.name.as_str()).collect();
        ck.error(
            path,
            format!("{what} refers to unknown controller {name:?}"),
            format!("known controllers: {}", known.join(", ")),
        );
    }
    found
}

/// Checks every controller; returns each one's map index (`None`: unknown map).
pub(super) fn check_controllers(
    layout: &SiteLayout,
    ck: &mut Checker,
    maps: &[RegisterMap],
    map_index: &dyn Fn(&str) -> Option<usize>,
) -> Vec<Option<usize>> {
    let root = ValuePath::root();
    let mut controller_map = Vec::with_capacity(layout.controllers.len());
    let mut endpoints: HashMap<(String, u8), usize> = HashMap::new();
    for (i, c) in layout.controllers.iter().enumerate() {
        let path = root.field("controllers").index(i);
        match parse_endpoint(&c.address) {
            Ok(host_port) => {
                if let Some(&first) = endpoints.get(&(host_port.clone(), c.unit_id)) {
                    ck.error(
                        path.field("address"),
                        format!(
                            "controller {:?} uses {} unit {} like another controller",
                            c.name, c.address, c.unit_id
                        ),
                        "two controllers cannot share one address and unit id; fix the address or `unit_id`",
                    );
                    ck.related(
                        root.field("controllers").index(first).field("address"),
                        "the other controller",
                    );
                } else {
                    endpoints.insert((host_port, c.unit_id), i);
                }
            }
            Err(e) => ck.error(
                path.field("address"),
                format!("controller {:?}: {e}", c.name),
                "write it as host:port, e.g. \"10.1.20.5:502\" or \"[fd00::5]:502\"",
            ),
        }
        if !(10..=60_000).contains(&c.poll_interval_ms) {
            ck.error(
                path.field("poll_interval_ms"),
                format!("controller {:?} polls every {} ms", c.name, c.poll_interval_ms),
                "use 10 to 60000 ms (100–250 ms is usual)",
            );
        }
        if !(1..=8).contains(&c.connections) {
            ck.error(
                path.field("connections"),
                format!("controller {:?} asks for {} connections", c.name, c.connections),
                "use 1 to 8 (PLCs accept 3 to 8 connections; leave room for other hosts)",
            );
        }
        if !(500..=600_000).contains(&c.frozen_after_ms) {
            ck.error(
                path.field("frozen_after_ms"),
                format!("controller {:?} has frozen_after_ms {}", c.name, c.frozen_after_ms),
                "use 500 to 600000 ms (the heartbeat changes every 100 ms; 3000 is the default)",
            );
        }
        let map = map_index(&c.register_map);
        if map.is_none() {
            let mut known: Vec<String> = BUILTIN_MAPS.iter().map(|b| format!("{b:?}")).collect();
            known.extend(layout.register_maps.iter().map(|m| format!("{:?}", m.name)));
            ck.error(
                path.field("register_map"),
                format!("controller {:?} uses unknown register map {:?}", c.name, c.register_map),
                format!("define it under `register_maps` or use one of: {}", known.join(", ")),
            );
        }
        if let Some(m) = map
            && let Some(first) = maps[m].unit_of(0)
        {
            let last = u32::from(first) + u32::from(maps[m].max_modules) - 1;
            if (u32::from(first)..=last).contains(&u32::from(c.unit_id)) {
                ck.error(
                    path.field("unit_id"),
                    format!(
                        "controller {:?}: unit_id {} is one of its modules' unit ids ({first}..={last}, map {:?})",
                        c.name, c.unit_id, maps[m].name
                    ),
                    "give the gateway a unit id outside its modules' range (e.g. 247)",
                );
            }
        }
        controller_map.push(map);
    }
    controller_map
}
