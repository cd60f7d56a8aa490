//! Validation errors of the floor: duplicate ids and names, unknown references, overlapping
//! or misplaced racks and stations, overrides, location texts, sizes and limits.

mod common;
use common::*;
use twin_model::{Severity, Site};

#[test]
fn duplicate_module_ids() {
    let src = edit(&[("controller: \"c1\"),\n    ],", "controller: \"c1\", first_module_id: 3),\n    ],")]);
    let d = expect_one(
        &src,
        "rack \"R2\" repeats 6 module ids of rack \"R1\", first module id 3",
        pos(&src, "first_module_id", 0),
    );
    let (related, note) = d.related.clone().expect("points at the other rack");
    assert_eq!((related.line, related.col), pos(&src, "Rack(id: \"R1\"", 0));
    assert!(note.contains("R1"));
    assert!(d.help.unwrap().contains("first_module_id"));
}

#[test]
fn duplicate_id_from_override() {
    let src = edit(&[(
        "controller: \"c1\"),\n    ],",
        "controller: \"c1\", overrides: [(bay: 1, level: 1, slot: 1, id: 2)]),\n    ],",
    )]);
    expect_one(&src, "repeats 1 module id of rack \"R1\", first module id 2", pos(&src, "id: 2)", 0));
}

#[test]
fn racks_overlapping() {
    let src = edit(&[
        ("origin: (x: 2.0, y: 5.0)", "origin: (x: 2.5, y: 2.2)"),
        ("area: (x: 1.0, y: 2.6", "area: (x: 1.0, y: 3.6"),
    ]);
    let d = expect_one(
        &src,
        "rack \"R2\" (x 2.5..4.5 m, y 2.2..2.8000002 m) overlaps rack \"R1\"",
        pos(&src, "origin: (x: 2.5", 0),
    );
    assert_eq!(d.path, "racks[1].origin");
}

#[test]
fn rack_in_aisle_walkway() {
    let src = edit(&[("origin: (x: 2.0, y: 5.0)", "origin: (x: 2.0, y: 4.0)")]);
    expect_one(
        &src,
        "rack \"R2\" (x 2..4 m, y 4..4.6 m) stands in aisle \"A1\"'s walkway",
        pos(&src, "origin: (x: 2.0, y: 4.0)", 0),
    );
}

#[test]
fn station_overlapping_rack() {
    let src = edit(&[("area: (x: 12.0, y: 1.0", "area: (x: 3.0, y: 1.5")]);
    expect_one(&src, "station \"S1\"", pos(&src, "area: (x: 3.0, y: 1.5", 0));
}

#[test]
fn unknown_references() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "aisle: \"A1\", origin: (x: 2.0, y: 5.0)",
            "aisle: \"A9\", origin: (x: 2.0, y: 5.0)",
            "rack \"R2\" refers to unknown aisle \"A9\"",
            "aisle: \"A9\"",
        ),
        (
            "controller: \"c1\"),\n    ],",
            "controller: \"c9\"),\n    ],",
            "rack \"R2\" refers to unknown controller \"c9\"",
            "controller: \"c9\"",
        ),
        (
            "Aisle(name: \"A1\", zone: \"PICK\"",
            "Aisle(name: \"A1\", zone: \"COLD\"",
            "aisle \"A1\" refers to unknown zone \"COLD\"",
            "zone: \"COLD\"",
        ),
        (
            "home_zone: \"PICK\"",
            "home_zone: \"PACK\"",
            "picker \"P1\" refers to unknown zone \"PACK\"",
            "home_zone",
        ),
        (
            "kind: Pack, zone: \"PICK\"",
            "kind: Pack, zone: \"DOCK\"",
            "station \"S1\" refers to unknown zone \"DOCK\"",
            "zone: \"DOCK\"",
        ),
        (
            "\"127.0.0.1:1502\")",
            "\"127.0.0.1:1502\", register_map: \"acme\")",
            "uses unknown register map \"acme\"",
            "register_map",
        ),
    ];
    for &(old, new, message, at) in cases {
        let src = edit(&[(old, new)]);
        let errs = errors(&src);
        let d = errs
            .iter()
            .find(|d| d.message.contains(message))
            .unwrap_or_else(|| panic!("no {message:?} in {errs:?}"));
        assert_eq!((d.at.line, d.at.col), pos(&src, at, 0), "{d}");
        assert!(
            d.help.as_deref().unwrap_or("").contains("known")
                || d.help.as_deref().unwrap_or("").contains("define"),
            "{d}"
        );
    }
}

#[test]
fn duplicate_names() {
    let src = edit(&[
        ("Rack(id: \"R2\"", "Rack(id: \"R1\""),
        (
            "controller: \"c1\"),\n    ],",
            "controller: \"c1\", first_module_id: 100, first_address: 100),\n    ],",
        ),
    ]);
    let d = expect_one(&src, "duplicate rack id \"R1\"", pos(&src, "id: \"R1\"", 1));
    assert_eq!(d.related.unwrap().0.line, pos(&src, "id: \"R1\"", 0).0);
}

#[test]
fn override_of_a_slot_that_does_not_exist() {
    let src = edit(&[(
        "controller: \"c1\"),\n    ],",
        "controller: \"c1\", overrides: [(bay: 3, level: 1, slot: 1, absent: true)]),\n    ],",
    )]);
    let d = expect_one(&src, "bay 3 does not exist", pos(&src, "bay: 3", 0));
    assert_eq!(d.help.unwrap(), "bays are numbered from 1 to 2");
}

#[test]
fn location_text_too_long_for_the_display() {
    let src = edit(&[(
        "    zones: [",
        "    location_format: \"{rack}-{bay:03}-{level:02}-{slot}\",\n    zones: [",
    )]);
    let errs = errors(&src);
    assert_eq!(errs.len(), 2, "one per rack: {errs:?}");
    assert!(
        errs[0]
            .message
            .contains("location text \"R1-001-01-1\" has 11 characters; its controller's display shows 8"),
        "{}",
        errs[0]
    );
    assert_eq!((errs[0].at.line, errs[0].at.col), pos(&src, "Rack(id: \"R1\"", 0));
}

#[test]
fn rack_beyond_the_floor() {
    let src = edit(&[
        ("floor: (width: 20.0", "floor: (width: 3.0"),
        ("area: (x: 0.0, y: 0.0, width: 20.0", "area: (x: 0.0, y: 0.0, width: 3.0"),
    ]);
    let errs = errors(&src);
    assert!(
        errs.iter()
            .any(|d| d.message.contains("rack \"R1\" (x 2..4 m, y 2..2.6 m) extends beyond the floor")),
        "{errs:?}"
    );
}

#[test]
fn zero_sized_rack() {
    let src = edit(&[("bays: 2, levels: 2", "bays: 0, levels: 2")]);
    expect_one(&src, "rack \"R1\" has 0 bays", pos(&src, "bays: 0", 0));
}

#[test]
fn huge_rack_is_refused_without_allocating() {
    let src = edit(&[(
        "bays: 2, levels: 2, slots_per_level: 2",
        "bays: 60000, levels: 60000, slots_per_level: 60000",
    )]);
    let errs = errors(&src);
    assert!(errs.iter().any(|d| d.message.contains("picktwin supports at most 2000000 modules")), "{errs:?}");
}

#[test]
fn duplicate_location_text_is_a_warning() {
    let src = edit(&[("    zones: [", "    location_format: \"{bay}{level}{slot}\",\n    zones: [")]);
    let site = Site::from_ron(&src, "warn.ron").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(site.warnings.len(), 1, "{:?}", site.warnings);
    let w = &site.warnings[0];
    assert_eq!(w.severity, Severity::Warning);
    assert!(w.message.contains("rack \"R2\" shows 8 location text(s) that rack \"R1\" shows too"), "{w}");
    assert_eq!((w.at.line, w.at.col), pos(&src, "Rack(id: \"R2\"", 0));
}

#[test]
fn overlapping_zones_are_a_warning() {
    let src = edit(&[(
        "    ],\n    aisles: [",
        "        Zone(name: \"COLD\", kind: ColdChain, colour: \"#26c6da\", area: (x: 15.0, y: 0.0, width: 5.0, depth: 5.0)),\n    ],\n    aisles: [",
    )]);
    let site = Site::from_ron(&src, "zones.ron").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(site.warnings.len(), 1, "{:?}", site.warnings);
    assert_eq!(site.warnings[0].message, "zone \"COLD\" overlaps zone \"PICK\"");
    assert_eq!(site.warnings[0].at.line, pos(&src, "name: \"COLD\"", 0).0);
}
