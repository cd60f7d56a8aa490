//! Unit tests of the emulated controller: both map shapes, the firmware and the checks.

use super::*;
use twin_model::register_map::{UNIT_MAP_NAME, builtin_maps};

fn controller() -> ControllerSim {
    let addresses: Vec<u16> = (0..10).collect();
    ControllerSim::new(RegisterMap::default(), &addresses)
}

/// Writes module `a`'s command block as a host would.
fn light(c: &mut ControllerSim, a: u16, mode: Mode, qty: u16, seq: u16) {
    let b = c.map().module_commands.clone();
    let mut block = vec![0u16; usize::from(b.stride)];
    block[usize::from(b.mode)] = mode as u16;
    block[usize::from(b.quantity)] = qty;
    codes::text_to_registers("A1-0111", &mut block[usize::from(b.location)..][..4]);
    block[usize::from(b.job_id.unwrap()) + 1] = 77;
    block[usize::from(b.sequence.unwrap())] = seq;
    c.write_registers(c.map().command_register(a, 0) as u16, &block, MAX_WRITE_REGISTERS).unwrap();
}

#[test]
fn header_describes_the_controller() {
    let c = controller();
    let h = c.read_registers(Table::Holding, 0, 16).unwrap();
    assert_eq!(h[0], 1, "map version");
    assert_eq!(h[1], 10, "module count");
    assert_eq!(h[2] & status::RUNNING, status::RUNNING);
}

#[test]
fn command_applies_only_when_the_sequence_changes() {
    let mut c = controller();
    light(&mut c, 3, Mode::Pick, 4, 1);
    assert_eq!(c.module_state(3), Some(ModuleState::Lit));
    let s = c.map().module_status.clone();
    let status = c.read_registers(Table::Input, c.map().status_register(3, 0) as u16, 8).unwrap();
    assert_eq!(status[usize::from(s.applied_sequence.unwrap())], 1);
    assert_eq!(status[usize::from(s.job_id.unwrap()) + 1], 77);
    // Same sequence, different mode: not applied.
    light(&mut c, 3, Mode::Off, 4, 1);
    assert_eq!(c.module_state(3), Some(ModuleState::Lit));
    light(&mut c, 3, Mode::Off, 4, 2);
    assert_eq!(c.module_state(3), Some(ModuleState::Idle));
}

#[test]
fn press_latches_until_the_host_acknowledges() {
    let mut c = controller();
    light(&mut c, 2, Mode::Pick, 3, 1);
    assert_eq!(c.press(2, 3), ModuleState::Confirmed);
    assert!(c.read_bits(Table::Discrete, 2, 1).unwrap()[0], "confirm latch");
    assert!(c.latched(2));
    c.write_coils(2, &[true]).unwrap();
    assert!(!c.latched(2));
    assert!(!c.read_bits(Table::Coils, 2, 1).unwrap()[0], "ack coil self-clears");
    // Short pick sets the shortage latch.
    light(&mut c, 4, Mode::Pick, 5, 1);
    assert_eq!(c.press(4, 2), ModuleState::Shortage);
    assert!(c.read_bits(Table::Discrete, 4096 + 4, 1).unwrap()[0]);
    // A press on an unlit module is a fault, not a confirmation.
    assert_eq!(c.press(5, 1), ModuleState::Idle);
    assert!(!c.latched(5));
    let fc = c.map().status_register(5, c.map().module_status.fault_code.unwrap()) as u16;
    assert_eq!(c.read_registers(Table::Input, fc, 1).unwrap()[0], fault::UNEXPECTED_PRESS);
}

#[test]
fn addresses_and_quantities_are_checked() {
    let mut c = controller();
    assert_eq!(c.read_registers(Table::Holding, 0, 0), Err(Exception::IllegalDataValue));
    assert_eq!(c.read_registers(Table::Holding, 100, 126), Err(Exception::IllegalDataValue));
    assert!(c.read_registers(Table::Holding, 100, 125).is_ok());
    assert_eq!(c.read_registers(Table::Holding, 16, 1), Err(Exception::IllegalDataAddress), "gap");
    assert_eq!(c.read_registers(Table::Holding, 10, 10), Err(Exception::IllegalDataAddress), "spans");
    assert_eq!(c.read_registers(Table::Input, 65535, 2), Err(Exception::IllegalDataAddress));
    assert_eq!(c.read_bits(Table::Discrete, 0, 2001), Err(Exception::IllegalDataValue));
    assert!(c.read_bits(Table::Discrete, 0, 2000).is_ok());
    assert_eq!(
        c.write_registers(1, &[5], 123),
        Err(Exception::IllegalDataAddress),
        "module count is read-only"
    );
    assert!(c.write_registers(4, &[5], 123).is_ok(), "host watchdog is writable");
    assert_eq!(c.write_coils(0, &[]), Err(Exception::IllegalDataValue));
}

#[test]
fn watchdog_blanks_all_modules_when_the_host_goes_silent() {
    let mut c = controller();
    c.write_registers(5, &[1000], 123).unwrap(); // timeout 1 s
    light(&mut c, 1, Mode::Pick, 2, 1);
    c.write_registers(4, &[1], 123).unwrap();
    c.tick(100, 0, 1);
    c.tick(1000, 0, 1);
    assert_eq!(c.module_state(1), Some(ModuleState::Lit), "within the timeout");
    c.tick(1200, 0, 1);
    assert_eq!(c.module_state(1), Some(ModuleState::Idle));
    let st = c.read_registers(Table::Holding, 2, 1).unwrap()[0];
    assert_ne!(st & status::WATCHDOG_TRIPPED, 0);
    c.write_registers(4, &[2], 123).unwrap();
    c.tick(1300, 0, 1);
    assert_eq!(c.read_registers(Table::Holding, 2, 1).unwrap()[0] & status::WATCHDOG_TRIPPED, 0);
}

#[test]
fn global_all_off_and_lamp_test() {
    let mut c = controller();
    light(&mut c, 1, Mode::Pick, 2, 1);
    c.write_registers(6, &[global::ALL_OFF, 1], 123).unwrap();
    assert_eq!(c.module_state(1), Some(ModuleState::Idle));
    c.tick(0, 0, 1);
    c.write_registers(6, &[global::LAMP_TEST, 2], 123).unwrap();
    assert_ne!(c.read_registers(Table::Holding, 2, 1).unwrap()[0] & status::LAMP_TEST, 0);
    c.tick(3500, 0, 1);
    assert_eq!(c.read_registers(Table::Holding, 2, 1).unwrap()[0] & status::LAMP_TEST, 0);
}

#[test]
fn clock_and_heartbeat() {
    let mut c = controller();
    c.tick(12_345, 70_000, 60);
    let h = c.read_registers(Table::Holding, 0, 16).unwrap();
    assert_eq!(h[3], 123, "heartbeat counts 100 ms");
    assert_eq!(codes::registers_to_u32([h[8], h[9]]), 70_000);
    assert_eq!(h[10], 60);
}

#[test]
fn change_counters_move_with_every_module_change() {
    let mut c = controller();
    let counter = |c: &ControllerSim| c.read_registers(Table::Holding, 11, 1).unwrap()[0];
    let revision = |c: &ControllerSim, a: u16| c.read_registers(Table::Input, 16384 + a, 1).unwrap()[0];
    let (c0, r3, r4) = (counter(&c), revision(&c, 3), revision(&c, 4));
    light(&mut c, 3, Mode::Pick, 4, 1);
    assert_ne!(counter(&c), c0);
    assert_ne!(revision(&c, 3), r3);
    assert_eq!(revision(&c, 4), r4, "an untouched module keeps its counter");
    let r3 = revision(&c, 3);
    let group = |c: &ControllerSim| c.read_registers(Table::Input, 16368, 1).unwrap()[0];
    let g0 = group(&c);
    c.press(3, 4);
    assert_ne!(revision(&c, 3), r3, "a press counts");
    assert_ne!(group(&c), g0, "in module 3's group counter too");
}

#[test]
fn frozen_controller_keeps_answering_with_a_still_heartbeat() {
    let mut c = controller();
    c.tick(1000, 0, 1);
    c.set_frozen(true);
    c.tick(5000, 0, 1);
    assert_eq!(c.read_registers(Table::Holding, 3, 1).unwrap()[0], 10);
}

fn unit_controller() -> ControllerSim {
    let map = builtin_maps().into_iter().find(|m| m.name == UNIT_MAP_NAME).unwrap();
    ControllerSim::new(map, &[0, 1, 2, 5])
}

#[test]
fn per_unit_map_routes_units_and_translates_codes() {
    let mut c = unit_controller();
    // The gateway's header at its own unit; modules at units 1.. (address + 1).
    let h = c.route(7, 7, Table::Holding, 0, 8).unwrap();
    assert_eq!(c.read_registers(Table::Holding, h, 2).unwrap(), &[1, 4]);
    assert_eq!(c.route(7, 7, Table::Holding, 8, 1), Err(Exception::IllegalDataAddress));
    assert_eq!(
        c.route(7, 4, Table::Holding, 0, 5),
        Err(Exception::GatewayTargetFailed),
        "address 3 is absent"
    );
    assert_eq!(
        c.route(7, 2, Table::Holding, 0, 6),
        Err(Exception::IllegalDataAddress),
        "past the unit's block"
    );
    let command = crate::controller::host::Command {
        mode: Mode::Pick,
        quantity: 3,
        location: "0412",
        colour: codes::Colour::Green as u16,
        job: 9,
        sequence: 1,
    };
    c.command(1, command).unwrap();
    let at = c.route(7, 2, Table::Holding, 0, 5).unwrap();
    assert_eq!(
        c.read_registers(Table::Holding, at, 5).unwrap(),
        &[16, 3, 412, 2, 0],
        "device codes on the wire"
    );
    let st = c.route(7, 2, Table::Input, 0, 3).unwrap();
    assert_eq!(c.read_registers(Table::Input, st, 3).unwrap(), &[1, 0, 0], "lit");
    assert_eq!(c.press(1, 2), ModuleState::Shortage);
    assert!(c.latched(1));
    assert_eq!(c.read_registers(Table::Input, st, 3).unwrap(), &[4, 2, 1]);
    c.acknowledge(1).unwrap();
    assert!(!c.latched(1));
    assert_eq!(c.module_state(1), Some(ModuleState::Idle));
    assert!(c.command(1, crate::controller::host::Command { location: "A1", ..command }).is_err());
}
