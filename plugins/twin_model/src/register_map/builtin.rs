//! The built-in maps: `picktwin-v1` (blocks at a stride, docs/register-map.md) and
//! `ptl-unit-v1` (one Modbus unit per light module behind a gateway, a few registers each).

use super::*;
use crate::codes::{Blink, Colour, Mode, ModuleState};

/// Name of the built-in per-unit map.
pub const UNIT_MAP_NAME: &str = "ptl-unit-v1";

/// Names of the maps every layout has without defining them, in [`builtin_maps`] order.
pub const BUILTIN_MAPS: [&str; 2] = [DEFAULT_MAP_NAME, UNIT_MAP_NAME];

/// The built-in maps, `picktwin-v1` first.
pub fn builtin_maps() -> Vec<RegisterMap> {
    vec![RegisterMap::default(), unit_map()]
}

/// One device per unit id (1..=240), as PTL device families behind a Modbus gateway are wired:
/// five holding registers (mode, quantity, a numeric location, an RGB-bit colour, blink) and
/// three input registers (state, confirmed quantity, presses). No job ids, no sequence echo, no
/// bitmaps: a confirmation is the state itself, cleared by writing mode 0. The gateway's own
/// unit holds an 8-register header.
fn unit_map() -> RegisterMap {
    RegisterMap {
        name: UNIT_MAP_NAME.to_owned(),
        version: 1,
        max_modules: 240,
        shape: Shape::PerUnit { first_unit: 1 },
        header: Some(HeaderBlock {
            base: 0,
            len: 8,
            map_version: 0,
            module_count: 1,
            status: 2,
            heartbeat: 3,
            host_watchdog: Some(4),
            watchdog_timeout_ms: Some(5),
            global_command: None,
            global_sequence: None,
            clock_s: None,
            clock_speed: None,
            change_counter: None,
        }),
        module_commands: ModuleCommandBlock {
            base: 0,
            stride: 5,
            mode: 0,
            quantity: 1,
            location: 2,
            location_len: 1,
            colour: 3,
            blink: Some(4),
            blink_period_ms: None,
            job_id: None,
            sequence: None,
        },
        module_status: ModuleStatusBlock {
            base: 0,
            stride: 3,
            applied_sequence: None,
            state: 0,
            confirmed_quantity: 1,
            job_id: None,
            press_count: Some(2),
            fault_code: None,
        },
        bits: None,
        changes: None,
        pickers: None,
        orders: None,
        values: ValueTables {
            mode: vec![
                (0, Mode::Off),
                (16, Mode::Pick),
                (17, Mode::Put),
                (32, Mode::Done),
                (48, Mode::Error),
            ],
            state: vec![
                (0, ModuleState::Idle),
                (1, ModuleState::Lit),
                (2, ModuleState::Confirmed),
                (4, ModuleState::Shortage),
                (8, ModuleState::Fault),
            ],
            // Bit 0 red, bit 1 green, bit 2 blue.
            colour: vec![
                (1, Colour::Red),
                (2, Colour::Green),
                (3, Colour::Yellow),
                (4, Colour::Blue),
                (5, Colour::Magenta),
                (6, Colour::Cyan),
                (7, Colour::White),
            ],
            blink: vec![(0, Blink::Steady), (1, Blink::Blink), (2, Blink::Flash)],
        },
        text: TextEncoding::Number { digits: 4 },
        latch: Latch::State,
        acknowledge: Acknowledge::Register { offset: 0, value: 0 },
    }
}
