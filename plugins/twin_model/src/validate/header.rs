//! The site's own fields: its name, the floor, the location text template and the shift
//! calendar.

use super::*;

/// Checks the site's fields; returns the floor (unbounded when its size is invalid, so that
/// nothing else is reported off it), the site's location format and the shift calendar.
pub(super) fn check_header(
    layout: &SiteLayout,
    ck: &mut Checker,
) -> (Rect, Option<LocationFormat>, ShiftCalendar) {
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
    (floor, site_format, shifts)
}
