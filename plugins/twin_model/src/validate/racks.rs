//! Racks before their modules: references, sizes, footprints on the floor, the site's total
//! slot count and overlaps.

use super::*;

/// Checks every rack; returns which racks can be expanded and the site's slot count, or None
/// when the slots exceed [`MAX_SITE_MODULES`] (nothing is expanded then).
pub(super) fn check_racks(
    layout: &SiteLayout,
    ck: &mut Checker,
    aisles: &HashMap<&str, usize>,
    floor: &Rect,
) -> Option<(Vec<bool>, u64)> {
    let root = ValuePath::root();
    let floor = *floor;
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
    Some((rack_ok, total))
}
