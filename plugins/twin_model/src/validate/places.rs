//! The named places of the floor: zones (on the floor, overlaps warned), aisles in zones,
//! pickers' home zones and stations.

use super::*;

/// What the racks and modules need from the places.
pub(super) struct Places<'a> {
    /// Aisle name → index.
    pub(super) aisles: HashMap<&'a str, usize>,
    /// Each aisle's zone (None: unknown zone, already reported).
    pub(super) aisle_zone: Vec<Option<usize>>,
}

/// Checks zones, aisles, pickers and stations against each other and the floor.
pub(super) fn check_places<'a>(layout: &'a SiteLayout, ck: &mut Checker, floor: &Rect) -> Places<'a> {
    let root = ValuePath::root();
    let floor = *floor;
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
    Places { aisles, aisle_zone }
}
