//! The broken-layout harness the validation tests share: a small valid site, edits that break
//! one thing, and the diagnostics with their positions.

#![allow(dead_code, reason = "each test file uses its own part of the helpers")]

use twin_model::{Diagnostic, LayoutError, Severity, Site};

/// A small valid site; each test breaks one thing in it.
pub const BASE: &str = r##"Site(
    name: "test site",
    floor: (width: 20.0, depth: 10.0),
    zones: [
        Zone(name: "PICK", colour: "#4f8fd8", area: (x: 0.0, y: 0.0, width: 20.0, depth: 10.0)),
    ],
    aisles: [
        Aisle(name: "A1", zone: "PICK", area: (x: 1.0, y: 2.6, width: 8.0, depth: 2.4)),
    ],
    racks: [
        Rack(id: "R1", aisle: "A1", origin: (x: 2.0, y: 2.0), facing: North, bays: 2, levels: 2, slots_per_level: 2,
             bay_width: 1.0, level_height: 0.4, depth: 0.6, controller: "c1"),
        Rack(id: "R2", aisle: "A1", origin: (x: 2.0, y: 5.0), facing: South, bays: 2, levels: 2, slots_per_level: 2,
             bay_width: 1.0, level_height: 0.4, depth: 0.6, controller: "c1"),
    ],
    controllers: [
        Controller(name: "c1", address: "127.0.0.1:1502"),
    ],
    pickers: [
        Picker(id: "P1", name: "Anna", home_zone: "PICK"),
    ],
    stations: [
        Station(id: "S1", kind: Pack, zone: "PICK", area: (x: 12.0, y: 1.0, width: 2.0, depth: 1.0)),
    ],
)
"##;

/// Line and column (from 1) of the `nth` occurrence of `needle` in `src`.
pub fn pos(src: &str, needle: &str, nth: usize) -> (usize, usize) {
    let offset = src.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("{needle:?} not in layout")).0;
    let line = src[..offset].matches('\n').count() + 1;
    let col = offset - src[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

pub fn edit(pairs: &[(&str, &str)]) -> String {
    let mut src = BASE.to_owned();
    for (old, new) in pairs {
        assert!(src.contains(old), "{old:?} not in layout");
        src = src.replacen(old, new, 1);
    }
    src
}

/// Loads `src`, expecting errors; returns them.
pub fn errors(src: &str) -> Vec<Diagnostic> {
    match Site::from_ron(src, "broken.ron") {
        Ok(site) => panic!("layout loaded with {} modules; expected errors", site.modules.len()),
        Err(e @ LayoutError::Io { .. }) => panic!("{e}"),
        Err(LayoutError::Invalid { diagnostics }) => {
            diagnostics.into_iter().filter(|d| d.severity == Severity::Error).collect()
        }
    }
}

/// Asserts exactly one error, containing `message`, at `at`.
#[track_caller]
pub fn expect_one(src: &str, message: &str, at: (usize, usize)) -> Diagnostic {
    let errs = errors(src);
    assert_eq!(
        errs.len(),
        1,
        "expected one error, got: {}",
        errs.iter().map(|d| d.to_string()).collect::<String>()
    );
    let d = errs.into_iter().next().unwrap();
    assert!(d.message.contains(message), "message {:?} lacks {message:?}", d.message);
    assert_eq!((d.at.line, d.at.col), at, "{d}");
    assert_eq!(d.file, "broken.ron");
    d
}
