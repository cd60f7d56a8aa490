//! Every validation error, provoked by a broken layout, with its message and file position.

use twin_model::{Diagnostic, LayoutError, Severity, Site};

/// A small valid site; each test breaks one thing in it.
const BASE: &str = r##"Site(
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
fn pos(src: &str, needle: &str, nth: usize) -> (usize, usize) {
    let offset = src.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("{needle:?} not in layout")).0;
    let line = src[..offset].matches('\n').count() + 1;
    let col = offset - src[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

fn edit(pairs: &[(&str, &str)]) -> String {
    let mut src = BASE.to_owned();
    for (old, new) in pairs {
        assert!(src.contains(old), "{old:?} not in layout");
        src = src.replacen(old, new, 1);
    }
    src
}

/// Loads `src`, expecting errors; returns them.
fn errors(src: &str) -> Vec<Diagnostic> {
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
fn expect_one(src: &str, message: &str, at: (usize, usize)) -> Diagnostic {
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

#[test]
fn base_layout_is_valid() {
    let site = Site::from_ron(BASE, "base.ron").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(site.modules.len(), 16);
    assert!(site.warnings.is_empty(), "{:?}", site.warnings);
}

#[test]
fn syntax_error_has_position() {
    let src = edit(&[("name: \"test site\",", "name: \"test site\"")]);
    let d = expect_one(&src, "", pos(&src, "floor", 0));
    assert!(d.to_string().starts_with("broken.ron:3:5: error: "), "{d}");
}

#[test]
fn unknown_field_is_named() {
    let src = edit(&[(
        "bay_width: 1.0, level_height: 0.4, depth: 0.6, controller: \"c1\"),\n        Rack(id: \"R2\"",
        "bay_widht: 1.0, level_height: 0.4, depth: 0.6, controller: \"c1\"),\n        Rack(id: \"R2\"",
    )]);
    let d = expect_one(&src, "bay_widht", pos(&src, "bay_widht", 0));
    assert!(d.help.as_deref().unwrap_or("").contains("spelling"));
}

#[test]
fn missing_field_is_named() {
    let src = edit(&[("facing: South, ", "")]);
    let errs = errors(&src);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("facing"), "{}", errs[0]);
    assert_eq!(errs[0].at.line, pos(&src, "Rack(id: \"R2\"", 0).0 + 1, "{}", errs[0]);
}

#[test]
fn bad_colour_is_explained() {
    let src = edit(&[("\"#4f8fd8\"", "\"blue\"")]);
    let errs = errors(&src);
    assert_eq!(errs.len(), 1, "{errs:?}");
    let d = &errs[0];
    assert!(d.message.contains("colour \"blue\" is not of the form \"#rrggbb\""), "{d}");
    // ron points into the offending value.
    let (line, col) = pos(&src, "\"blue\"", 0);
    assert_eq!(d.at.line, line, "{d}");
    assert!((col..col + 6).contains(&d.at.col), "{d}");
}

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
fn two_modules_on_one_controller_address() {
    let src = edit(&[("controller: \"c1\"),\n    ],", "controller: \"c1\", first_address: 4),\n    ],")]);
    expect_one(
        &src,
        "rack \"R2\" repeats 4 controller addresses of rack \"R1\", first address 4 on controller \"c1\"",
        pos(&src, "first_address", 0),
    );
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
fn module_with_no_controller() {
    let src = edit(&[(", controller: \"c1\"),\n    ],", "),\n    ],")]);
    expect_one(&src, "rack \"R2\": 8 module(s) have no controller", pos(&src, "Rack(id: \"R2\"", 0));
}

#[test]
fn controller_with_more_modules_than_its_map_addresses() {
    let src = edit(&[
        (
            "    controllers: [",
            "    register_maps: [\n        RegisterMap(name: \"small\", max_modules: 10),\n    ],\n    controllers: [",
        ),
        ("address: \"127.0.0.1:1502\")", "address: \"127.0.0.1:1502\", register_map: \"small\")"),
    ]);
    let errs = errors(&src);
    let d = errs.iter().find(|d| d.message.contains("drives 16 modules")).expect("capacity error");
    assert_eq!(
        d.message,
        "controller \"c1\" drives 16 modules but its register map \"small\" addresses at most 10"
    );
    assert_eq!((d.at.line, d.at.col), pos(&src, "name: \"c1\"", 0));
    // The rack whose addresses fall off the map is named too.
    let beyond =
        errs.iter().find(|d| d.message.contains("past the last address (9)")).expect("address error");
    assert!(beyond.message.starts_with("rack \"R2\": 6 module(s) get addresses up to 15"), "{beyond}");
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
fn bad_location_format() {
    let src = edit(&[("    zones: [", "    location_format: \"{rack}-{shelf}\",\n    zones: [")]);
    expect_one(&src, "unknown placeholder `{shelf}`", pos(&src, "location_format", 0));
}

#[test]
fn bad_controller_address() {
    let src = edit(&[("\"127.0.0.1:1502\"", "\"127.0.0.1\"")]);
    let d = expect_one(&src, "address \"127.0.0.1\" has no port", pos(&src, "address: \"127.0.0.1\"", 0));
    assert!(d.help.unwrap().contains("host:port"));
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
fn broken_register_map() {
    let src = edit(&[(
        "    controllers: [",
        "    register_maps: [\n        RegisterMap(name: \"plc\", module_commands: (stride: 8)),\n    ],\n    controllers: [",
    )]);
    let errs = errors(&src);
    let d = errs
        .iter()
        .find(|d| d.message.contains("`module_commands.job_id` at offset 9"))
        .expect("stride error");
    assert_eq!((d.at.line, d.at.col), pos(&src, "module_commands", 0), "points at the block");
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
fn errors_render_with_source_and_caret() {
    let src = edit(&[("aisle: \"A1\", origin: (x: 2.0, y: 5.0)", "aisle: \"A9\", origin: (x: 2.0, y: 5.0)")]);
    let text = errors(&src)[0].to_string();
    let (line, col) = pos(&src, "aisle: \"A9\"", 0);
    assert!(
        text.starts_with(&format!(
            "broken.ron:{line}:{col}: error: rack \"R2\" refers to unknown aisle \"A9\""
        )),
        "{text}"
    );
    assert!(text.contains(&format!("{line} |         Rack(id: \"R2\", aisle: \"A9\"")), "{text}");
    assert!(text.contains(&format!("   | {}^", " ".repeat(col - 1))), "{text}");
    assert!(text.contains("= help: known aisles: A1"), "{text}");
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "(",
        "Site(",
        "Site(name: 1)",
        "[[[[",
        "\u{0}",
        "Site(name: \"x\", floor: (width: -1.0, depth: nan))",
    ];
    for input in inputs {
        assert!(Site::from_ron(input, "g.ron").is_err());
    }
    // Every prefix of a valid layout fails cleanly.
    for end in (0..BASE.len()).step_by(7).filter(|&e| BASE.is_char_boundary(e)) {
        assert!(Site::from_ron(&BASE[..end], "prefix.ron").is_err());
    }
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

#[test]
fn custom_register_map_as_documented() {
    let src = edit(&[
        (
            "    controllers: [",
            "    register_maps: [\n        RegisterMap(name: \"plc-hall-b\", max_modules: 500, module_commands: (base: 2000, stride: 16)),\n    ],\n    controllers: [",
        ),
        ("address: \"127.0.0.1:1502\")", "address: \"127.0.0.1:1502\", register_map: \"plc-hall-b\")"),
    ]);
    let site = Site::from_ron(&src, "map.ron").unwrap_or_else(|e| panic!("{e}"));
    let map = site.controller_map(0).unwrap();
    assert_eq!(map.name, "plc-hall-b");
    assert_eq!(map.max_modules, 500);
    // Unnamed fields keep picktwin-v1's values.
    assert_eq!(map.module_commands.quantity, 1);
    assert_eq!(map.command_register(2, map.module_commands.quantity), 2000 + 32 + 1);
}

#[test]
fn reserved_map_name_is_refused() {
    let src = edit(&[(
        "    controllers: [",
        "    register_maps: [\n        RegisterMap(name: \"picktwin-v1\"),\n    ],\n    controllers: [",
    )]);
    expect_one(&src, "is reserved for a built-in map", pos(&src, "name: \"picktwin-v1\"", 0));
}

#[test]
fn bad_shift_start() {
    let src = edit(&[("    zones: [", "    shifts: [\"06:00\", \"25:00\"],\n    zones: [")]);
    let d = expect_one(
        &src,
        "bad shift start \"25:00\": expected HH:MM from 00:00 to 23:59",
        pos(&src, "\"25:00\"", 0),
    );
    assert!(d.help.unwrap().contains("HH:MM"));
}
