//! Validation errors of controllers and register maps: addresses, capacity, maps broken or
//! reserved, and the documented custom map.

mod common;
use common::*;
use twin_model::Site;

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
fn bad_controller_address() {
    let src = edit(&[("\"127.0.0.1:1502\"", "\"127.0.0.1\"")]);
    let d = expect_one(&src, "address \"127.0.0.1\" has no port", pos(&src, "address: \"127.0.0.1\"", 0));
    assert!(d.help.unwrap().contains("host:port"));
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
