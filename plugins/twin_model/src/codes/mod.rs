//! Register value encodings shared by the simulator, the live link and the scene: what the
//! numbers in a controller's registers mean (docs/register-map.md).

mod orders;

pub use orders::{LineStatus, NO_PICKER, OrderStatus};

/// Host → module mode (`module_commands.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[repr(u16)]
pub enum Mode {
    /// Display blank, LED off.
    #[default]
    Off = 0,
    /// Pick: take `quantity` from this location, then press confirm.
    Pick = 1,
    /// Put: place `quantity` here (put-to-light), then press confirm.
    Put = 2,
    /// Done: the host shows the line is complete.
    Done = 3,
    /// Error: the host flags this location.
    Error = 4,
}

impl Mode {
    /// Lower-case name for logs, JSON and the overlay.
    pub fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Pick => "pick",
            Self::Put => "put",
            Self::Done => "done",
            Self::Error => "error",
        }
    }

    /// Decodes a register value; unknown values are `None`.
    pub fn from_register(v: u16) -> Option<Self> {
        Some(match v {
            0 => Self::Off,
            1 => Self::Pick,
            2 => Self::Put,
            3 => Self::Done,
            4 => Self::Error,
            _ => return None,
        })
    }

    /// Whether the module is lit and waits for a press.
    pub fn awaits_press(self) -> bool {
        matches!(self, Self::Pick | Self::Put)
    }
}

/// Module → host state (`module_status.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[repr(u16)]
pub enum ModuleState {
    /// Nothing shown.
    #[default]
    Idle = 0,
    /// Lit, waiting for the picker.
    Lit = 1,
    /// The picker confirmed the full quantity.
    Confirmed = 2,
    /// The picker confirmed less than asked (short pick).
    Shortage = 3,
    /// The module reports a fault (`fault_code`).
    Fault = 4,
}

impl ModuleState {
    /// Lower-case name for logs, JSON and the overlay.
    pub fn name(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Lit => "lit",
            Self::Confirmed => "confirmed",
            Self::Shortage => "shortage",
            Self::Fault => "fault",
        }
    }

    /// Decodes a register value; unknown values are `None`.
    pub fn from_register(v: u16) -> Option<Self> {
        Some(match v {
            0 => Self::Idle,
            1 => Self::Lit,
            2 => Self::Confirmed,
            3 => Self::Shortage,
            4 => Self::Fault,
            _ => return None,
        })
    }
}

/// `module_status.fault_code` values.
pub mod fault {
    /// No fault.
    pub const NONE: u16 = 0;
    /// The button was pressed while the module was not lit (a mis-pick at this location).
    pub const UNEXPECTED_PRESS: u16 = 1;
    /// The host wrote a mode the module does not know.
    pub const BAD_COMMAND: u16 = 2;
}

/// Quantity value that blanks the red display.
pub const QUANTITY_BLANK: u16 = 0xFFFF;

/// LED colours (`module_commands.colour`); multi-picker sites give each picker a colour.
pub const COLOURS: [(&str, [u8; 3]); 7] = [
    ("red", [230, 40, 40]),
    ("green", [40, 220, 70]),
    ("blue", [50, 110, 240]),
    ("yellow", [245, 210, 40]),
    ("cyan", [40, 220, 230]),
    ("magenta", [220, 60, 220]),
    ("white", [240, 240, 240]),
];

/// LED colour, by its index in [`COLOURS`] (what `module_commands.colour` holds in picktwin-v1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[repr(u16)]
pub enum Colour {
    /// Red.
    #[default]
    Red = 0,
    /// Green.
    Green = 1,
    /// Blue.
    Blue = 2,
    /// Yellow (amber).
    Yellow = 3,
    /// Cyan.
    Cyan = 4,
    /// Magenta.
    Magenta = 5,
    /// White.
    White = 6,
}

/// Blink patterns (`module_commands.blink`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[repr(u16)]
pub enum Blink {
    /// Steady light.
    #[default]
    Steady = 0,
    /// On/off, half the period each.
    Blink = 1,
    /// Short flash once per period.
    Flash = 2,
}

impl Blink {
    /// Lower-case name for logs, JSON and the overlay.
    pub fn name(self) -> &'static str {
        match self {
            Self::Steady => "steady",
            Self::Blink => "blink",
            Self::Flash => "flash",
        }
    }

    /// Decodes a register value; unknown values are `None`.
    pub fn from_register(v: u16) -> Option<Self> {
        Some(match v {
            0 => Self::Steady,
            1 => Self::Blink,
            2 => Self::Flash,
            _ => return None,
        })
    }
}

/// Global commands (`header.global_command`), applied when `global_sequence` changes.
pub mod global {
    /// Nothing.
    pub const NONE: u16 = 0;
    /// Every module off.
    pub const ALL_OFF: u16 = 1;
    /// Lamp test: every module shows `88888888`/`8888` for a few seconds, then returns.
    pub const LAMP_TEST: u16 = 2;
}

/// Bits of `header.status`.
pub mod status {
    /// The controller runs.
    pub const RUNNING: u16 = 1 << 0;
    /// The host watchdog expired: all modules were blanked.
    pub const WATCHDOG_TRIPPED: u16 = 1 << 1;
    /// A lamp test is in progress.
    pub const LAMP_TEST: u16 = 1 << 2;
    /// This controller is picktwin's simulator, not hardware.
    pub const SIMULATED: u16 = 1 << 3;
}

/// Picker state (`pickers.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u16)]
pub enum PickerState {
    /// Waiting for work.
    #[default]
    Idle = 0,
    /// Walking to a location or station.
    Walking = 1,
    /// Picking at a location.
    Picking = 2,
    /// Packing at a station.
    Packing = 3,
    /// On a break.
    Break = 4,
    /// Not on shift (the block entry is unused).
    Absent = 5,
}

impl PickerState {
    /// Lower-case name for logs, JSON and the overlay.
    pub fn name(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Walking => "walking",
            Self::Picking => "picking",
            Self::Packing => "packing",
            Self::Break => "break",
            Self::Absent => "absent",
        }
    }

    /// Decodes a register value; unknown values are `None`.
    pub fn from_register(v: u16) -> Option<Self> {
        Some(match v {
            0 => Self::Idle,
            1 => Self::Walking,
            2 => Self::Picking,
            3 => Self::Packing,
            4 => Self::Break,
            5 => Self::Absent,
            _ => return None,
        })
    }
}

/// Packs ASCII text into registers, two characters each, high byte first, padded with spaces.
pub fn text_to_registers(text: &str, out: &mut [u16]) {
    let mut bytes = text.bytes().chain(std::iter::repeat(b' '));
    for r in out.iter_mut() {
        let hi = bytes.next().unwrap_or(b' ');
        let lo = bytes.next().unwrap_or(b' ');
        *r = u16::from_be_bytes([hi, lo]);
    }
}

/// Reads registers packed by [`text_to_registers`] back into text, trailing spaces and NULs
/// removed, non-ASCII bytes replaced by `?`.
pub fn registers_to_text(regs: &[u16]) -> String {
    let mut s: String = regs
        .iter()
        .flat_map(|r| r.to_be_bytes())
        .map(|b| {
            if b.is_ascii() && !b.is_ascii_control() {
                char::from(b)
            } else if b == 0 {
                ' '
            } else {
                '?'
            }
        })
        .collect();
    s.truncate(s.trim_end().len());
    s
}

/// Splits a 32-bit value into two registers, high word first.
pub fn u32_to_registers(v: u32) -> [u16; 2] {
    [(v >> 16) as u16, v as u16]
}

/// Joins two registers, high word first.
pub fn registers_to_u32(regs: [u16; 2]) -> u32 {
    (u32::from(regs[0]) << 16) | u32::from(regs[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_through_registers() {
        let mut regs = [0u16; 4];
        text_to_registers("A1-0312", &mut regs);
        assert_eq!(regs[0], u16::from_be_bytes([b'A', b'1']));
        assert_eq!(regs[3], u16::from_be_bytes([b'2', b' ']));
        assert_eq!(registers_to_text(&regs), "A1-0312");
        text_to_registers("TOO-LONG-TEXT", &mut regs);
        assert_eq!(registers_to_text(&regs), "TOO-LONG");
        assert_eq!(registers_to_text(&[0, 0xC3A9]), "  ??");
    }

    #[test]
    fn u32_round_trips() {
        assert_eq!(u32_to_registers(0x1234_5678), [0x1234, 0x5678]);
        assert_eq!(registers_to_u32([0x1234, 0x5678]), 0x1234_5678);
    }

    #[test]
    fn decoders_reject_unknown_values() {
        assert_eq!(Mode::from_register(1), Some(Mode::Pick));
        assert_eq!(Mode::from_register(9), None);
        assert_eq!(ModuleState::from_register(3), Some(ModuleState::Shortage));
        assert_eq!(PickerState::from_register(6), None);
        assert_eq!(OrderStatus::from_register(2), Some(OrderStatus::Active));
        assert_eq!(Blink::from_register(2), Some(Blink::Flash));
    }
}
