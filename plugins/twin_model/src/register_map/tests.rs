//! Unit tests of the built-in maps and of map validation.

use super::*;

#[test]
fn builtin_maps_are_consistent() {
    for m in builtin_maps() {
        assert_eq!(m.problems(), Vec::new(), "{}", m.name);
    }
}

#[test]
fn default_map_reads_whole_modules_per_request() {
    let map = RegisterMap::default();
    assert_eq!(125 / map.module_commands.stride, 10);
    assert_eq!(125 / map.module_status.stride, 15);
    assert_eq!(map.location_chars(), 8);
    assert_eq!(map.command_register(3, map.module_commands.quantity), 100 + 36 + 1);
}

#[test]
fn per_unit_image_lays_units_end_to_end_after_the_header() {
    let map = builtin_maps().into_iter().find(|m| m.name == UNIT_MAP_NAME).unwrap();
    let image = map.image();
    assert_eq!(image.shape, Shape::Blocks);
    assert_eq!(image.module_commands.base, 8);
    assert_eq!(image.command_register(2, 1), 8 + 2 * 5 + 1);
    assert_eq!(map.unit_of(0), Some(1));
    assert_eq!(map.unit_of(239), Some(240));
    assert_eq!(RegisterMap::default().unit_of(3), None);
    assert_eq!(map.location_chars(), 4);
}

#[test]
fn field_outside_stride_is_reported() {
    let mut map = RegisterMap::default();
    map.module_commands.sequence = Some(12);
    let problems = map.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, ["module_commands", "sequence"]);
}

#[test]
fn overlapping_blocks_are_reported() {
    let mut map = RegisterMap::default();
    map.orders.as_mut().unwrap().base = 1000; // inside module_commands 100..24100
    let problems = map.problems();
    assert!(problems.iter().any(|p| p.message.contains("overlaps")), "{problems:?}");
}

#[test]
fn block_past_address_space_is_reported() {
    // 100 + 6000 * 12 > 65536
    let map = RegisterMap { max_modules: 6000, ..Default::default() };
    let problems = map.problems();
    assert!(problems.iter().any(|p| p.message.contains("past the last Modbus address")), "{problems:?}");
}

#[test]
fn latch_and_acknowledge_need_what_they_use() {
    let map = RegisterMap { bits: None, ..Default::default() };
    let fields: Vec<_> = map.problems().into_iter().map(|p| p.field[0]).collect();
    assert_eq!(fields, vec!["latch", "acknowledge"]);
    let mut unit = builtin_maps().into_iter().find(|m| m.name == UNIT_MAP_NAME).unwrap();
    unit.max_modules = 248;
    assert!(unit.problems().iter().any(|p| p.field[0] == "shape"));
}

#[test]
fn the_documented_device_map_is_ptl_unit_v1_in_ron() {
    // docs/layout-format.md's full example, verbatim.
    let src = r#"RegisterMap(
    name: "acme-ptl", version: 1, max_modules: 240, shape: PerUnit(first_unit: 1),
    header: (base: 0, len: 8, global_command: None, global_sequence: None, clock_s: None,
             clock_speed: None, change_counter: None),
    module_commands: (base: 0, stride: 5, mode: 0, quantity: 1, location: 2, location_len: 1, colour: 3,
                      blink: 4, blink_period_ms: None, job_id: None, sequence: None),
    module_status: (base: 0, stride: 3, applied_sequence: None, state: 0, confirmed_quantity: 1,
                    job_id: None, press_count: 2, fault_code: None),
    bits: None, changes: None, pickers: None, orders: None,
    values: (mode: [(0, Off), (16, Pick), (17, Put), (32, Done), (48, Error)],
             state: [(0, Idle), (1, Lit), (2, Confirmed), (4, Shortage), (8, Fault)],
             colour: [(1, Red), (2, Green), (3, Yellow), (4, Blue), (5, Magenta), (6, Cyan), (7, White)]),
    text: Number(digits: 4), latch: State, acknowledge: Register(offset: 0, value: 0),
)"#;
    let parsed: RegisterMap = crate::ron_options().from_str(src).unwrap();
    let mut unit = builtin_maps().into_iter().find(|m| m.name == UNIT_MAP_NAME).unwrap();
    unit.name = "acme-ptl".to_owned();
    // The example leaves blink's table out (picktwin-v1 numbering, which is the same here).
    unit.values.blink.clear();
    assert_eq!(parsed, unit);
    assert_eq!(parsed.problems(), Vec::new());
}
