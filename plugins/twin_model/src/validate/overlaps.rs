//! Geometry checks across racks and stations: footprints that overlap, racks in walkways.

use super::*;

pub(super) fn check_overlaps(layout: &SiteLayout, rack_ok: &[bool], ck: &mut Checker) {
    let root = ValuePath::root();
    // Sweep along x: sort by west edge, compare with racks whose east edge is still ahead.
    // (footprint, path, name); racks before stations, each in file order.
    let mut items: Vec<(Rect, ValuePath, String, usize)> = layout
        .racks
        .iter()
        .enumerate()
        .filter(|(i, _)| rack_ok[*i])
        .map(|(i, r)| {
            (r.footprint(), root.field("racks").index(i).field("origin"), format!("rack {:?}", r.id))
        })
        .chain(layout.stations.iter().enumerate().map(|(i, s)| {
            (s.area, root.field("stations").index(i).field("area"), format!("station {:?}", s.id))
        }))
        .filter(|(r, _, _)| [r.x, r.y, r.width, r.depth].iter().all(|v| v.is_finite()))
        .enumerate()
        .map(|(order, (r, p, n))| (r, p, n, order))
        .collect();
    // Sweep along x: sort by west edge, compare only with items that start before this one ends.
    items.sort_by(|a, b| a.0.x.total_cmp(&b.0.x));
    for i in 0..items.len() {
        for j in i + 1..items.len() {
            if items[j].0.x >= items[i].0.max_x() - TOLERANCE {
                break;
            }
            if items[i].0.overlaps(&items[j].0, TOLERANCE) {
                // Report on whichever is written later in the file.
                let (a, b) =
                    if items[i].3 < items[j].3 { (&items[i], &items[j]) } else { (&items[j], &items[i]) };
                ck.error(
                    b.1.clone(),
                    format!("{} ({}) overlaps {} ({})", b.2, b.0, a.2, a.0),
                    "move one of them; footprints may touch but not overlap",
                );
                ck.related(a.1.clone(), a.2.clone());
            }
        }
    }
    // Racks must leave aisle walkways free.
    for (i, r) in layout.racks.iter().enumerate() {
        if !rack_ok[i] {
            continue;
        }
        let fp = r.footprint();
        for (k, a) in layout.aisles.iter().enumerate() {
            if fp.overlaps(&a.area, TOLERANCE) {
                ck.error(
                    root.field("racks").index(i).field("origin"),
                    format!("rack {:?} ({fp}) stands in aisle {:?}'s walkway ({})", r.id, a.name, a.area),
                    "move the rack beside the aisle, or narrow the aisle's area",
                );
                ck.related(root.field("aisles").index(k).field("area"), format!("aisle {:?}", a.name));
            }
        }
    }
}
