//! What a map's values mean: code tables from device values to picktwin's meanings, the
//! encoding of location text, where a confirmation shows and how a host clears it. Host and
//! simulator both translate through these, so a device family with other codes is data.

use serde::{Deserialize, Serialize};

use crate::codes::{self, Blink, Colour, Mode, ModuleState};

/// picktwin's code for a device value its map's table does not list (decoders read it as
/// unknown, the overlay shows it as such).
pub const UNKNOWN_CODE: u16 = 0xFFFE;

/// How a map's modules are wired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Shape {
    /// Modules' blocks at a stride in the controller's own unit (picktwin-v1).
    #[default]
    Blocks,
    /// One Modbus unit per module behind a gateway: module address `a` is unit
    /// `first_unit + a`, each with its own command and status registers; the header is the
    /// gateway's own, at the controller's `unit_id`.
    PerUnit {
        /// Unit id of module address 0.
        first_unit: u8,
    },
}

/// Device value ↔ meaning tables. An empty table means picktwin-v1's numbering
/// (docs/register-map.md); a listed table must name every value the device uses.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValueTables {
    /// `module_commands.mode`: `[(device value, Off|Pick|Put|Done|Error)]`.
    pub mode: Vec<(u16, Mode)>,
    /// `module_status.state`: `[(device value, Idle|Lit|Confirmed|Shortage|Fault)]`.
    pub state: Vec<(u16, ModuleState)>,
    /// `module_commands.colour`: `[(device value, Red|Green|Blue|Yellow|Cyan|Magenta|White)]`.
    pub colour: Vec<(u16, Colour)>,
    /// `module_commands.blink`: `[(device value, Steady|Blink|Flash)]`.
    pub blink: Vec<(u16, Blink)>,
}

fn from_device<T: Copy>(table: &[(u16, T)], v: u16, code: impl Fn(T) -> u16) -> u16 {
    if table.is_empty() {
        return v;
    }
    table.iter().find(|(d, _)| *d == v).map_or(UNKNOWN_CODE, |&(_, t)| code(t))
}

fn to_device<T: Copy + PartialEq>(table: &[(u16, T)], t: T, code: impl Fn(T) -> u16) -> Option<u16> {
    if table.is_empty() {
        return Some(code(t));
    }
    table.iter().find(|(_, c)| *c == t).map(|&(d, _)| d)
}

impl ValueTables {
    /// picktwin's mode code for a device value.
    pub fn mode_from_device(&self, v: u16) -> u16 {
        from_device(&self.mode, v, |m| m as u16)
    }
    /// The device value of a mode (`None`: the device has no such mode).
    pub fn mode_to_device(&self, m: Mode) -> Option<u16> {
        to_device(&self.mode, m, |m| m as u16)
    }
    /// picktwin's state code for a device value.
    pub fn state_from_device(&self, v: u16) -> u16 {
        from_device(&self.state, v, |s| s as u16)
    }
    /// The device value of a state.
    pub fn state_to_device(&self, s: ModuleState) -> Option<u16> {
        to_device(&self.state, s, |s| s as u16)
    }
    /// picktwin's colour index for a device value.
    pub fn colour_from_device(&self, v: u16) -> u16 {
        from_device(&self.colour, v, |c| c as u16)
    }
    /// The device value of a colour index (an index the table lacks: `None`).
    pub fn colour_to_device(&self, index: u16) -> Option<u16> {
        if self.colour.is_empty() {
            return Some(index);
        }
        self.colour.iter().find(|(_, c)| *c as u16 == index).map(|&(d, _)| d)
    }
    /// picktwin's blink code for a device value.
    pub fn blink_from_device(&self, v: u16) -> u16 {
        from_device(&self.blink, v, |b| b as u16)
    }
    /// The device value of a blink pattern.
    pub fn blink_to_device(&self, b: Blink) -> Option<u16> {
        to_device(&self.blink, b, |b| b as u16)
    }

    /// Problems: a device value listed twice, or one meaning under two values.
    pub(super) fn problems(&self) -> Vec<(&'static str, String)> {
        fn dupes<T: PartialEq + std::fmt::Debug>(
            name: &'static str,
            t: &[(u16, T)],
            out: &mut Vec<(&'static str, String)>,
        ) {
            for (i, (d, m)) in t.iter().enumerate() {
                if let Some((_, m2)) = t[..i].iter().find(|(d2, _)| d2 == d) {
                    out.push((
                        name,
                        format!("`values.{name}` lists device value {d} twice ({m2:?} and {m:?}); keep one"),
                    ));
                }
                if let Some((d2, _)) = t[..i].iter().find(|(_, m2)| m2 == m) {
                    out.push((
                        name,
                        format!("`values.{name}` gives {m:?} two device values ({d2} and {d}); keep one"),
                    ));
                }
            }
        }
        let mut out = Vec::new();
        dupes("mode", &self.mode, &mut out);
        dupes("state", &self.state, &mut out);
        dupes("colour", &self.colour, &mut out);
        dupes("blink", &self.blink, &mut out);
        out
    }
}

/// How location text sits in its registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TextEncoding {
    /// ASCII, two characters per register, high byte first, space-padded (picktwin-v1).
    #[default]
    Ascii,
    /// ASCII, two characters per register, low byte first (many PLCs' string layout).
    AsciiLowFirst,
    /// A number shown as decimal digits, zero-padded to `digits`: one register (up to 65535)
    /// or two (32-bit, high word first). The location text must be digits only.
    Number {
        /// Digits the display shows.
        digits: u8,
    },
}

impl TextEncoding {
    /// Characters a display with `registers` of location text shows.
    pub fn chars(self, registers: u16) -> usize {
        match self {
            Self::Ascii | Self::AsciiLowFirst => usize::from(registers) * 2,
            Self::Number { digits } => usize::from(digits),
        }
    }

    /// Encodes `text` into `out`; `Err` says why the text cannot be shown.
    pub fn encode(self, text: &str, out: &mut [u16]) -> Result<(), String> {
        match self {
            Self::Ascii => codes::text_to_registers(text, out),
            Self::AsciiLowFirst => {
                codes::text_to_registers(text, out);
                out.iter_mut().for_each(|r| *r = r.swap_bytes());
            }
            Self::Number { .. } => {
                let n: u32 = text.trim().parse().map_err(|_| {
                    format!("location {text:?} is not a number, which this map's text encoding needs")
                })?;
                match out {
                    [r] => {
                        *r =
                            u16::try_from(n).map_err(|_| format!("location {n} does not fit one register"))?
                    }
                    [hi, lo, ..] => [*hi, *lo] = codes::u32_to_registers(n),
                    [] => {}
                }
            }
        }
        Ok(())
    }

    /// Decodes registers into display bytes (up to 16, ASCII only; anything else becomes `?`,
    /// NUL a space), returning how many.
    pub fn decode(self, regs: &[u16], out: &mut [u8; 16]) -> usize {
        let mut n = 0;
        let mut push = |b: u8| {
            if n < out.len() {
                out[n] = if b.is_ascii_graphic() || b == b' ' {
                    b
                } else if b == 0 {
                    b' '
                } else {
                    b'?'
                };
                n += 1;
            }
        };
        match self {
            Self::Ascii => regs.iter().flat_map(|r| r.to_be_bytes()).for_each(&mut push),
            Self::AsciiLowFirst => regs.iter().flat_map(|r| r.to_le_bytes()).for_each(&mut push),
            Self::Number { digits } => {
                let v = match regs {
                    [r] => u32::from(*r),
                    [hi, lo, ..] => codes::registers_to_u32([*hi, *lo]),
                    [] => return 0,
                };
                let width = usize::from(digits).min(16);
                format!("{v:0width$}").bytes().for_each(&mut push);
            }
        }
        while n > 0 && out[n - 1] == b' ' {
            n -= 1;
        }
        n
    }
}

/// Where a module's confirmation shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Latch {
    /// Confirm and shortage latch bitmaps in `bits` (picktwin-v1).
    #[default]
    Bitmap,
    /// The module's state: `Confirmed` or `Shortage` until the host acknowledges.
    State,
}

/// How a host clears a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Acknowledge {
    /// Writes 1 to the module's coil in `bits.acknowledge` (picktwin-v1).
    #[default]
    Coil,
    /// Writes `value` to the module command register at `offset`.
    Register {
        /// Offset in the module command block.
        offset: u16,
        /// Value to write.
        value: u16,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_tables_are_picktwin_codes_and_listed_tables_translate() {
        let mut t = ValueTables::default();
        assert_eq!(t.mode_from_device(1), Mode::Pick as u16);
        t.state = vec![(0, ModuleState::Idle), (1, ModuleState::Lit), (4, ModuleState::Shortage)];
        assert_eq!(t.state_from_device(4), ModuleState::Shortage as u16);
        assert_eq!(t.state_from_device(3), UNKNOWN_CODE);
        assert_eq!(t.state_to_device(ModuleState::Lit), Some(1));
        assert_eq!(t.state_to_device(ModuleState::Fault), None);
        t.colour = vec![(1, Colour::Red), (2, Colour::Green)];
        assert_eq!(t.colour_from_device(2), Colour::Green as u16);
        assert_eq!(t.colour_to_device(Colour::Red as u16), Some(1));
        t.colour.push((3, Colour::Red));
        assert_eq!(t.problems().len(), 1);
    }

    #[test]
    fn text_encodings_round_trip() {
        let mut out = [0u8; 16];
        let mut regs = [0u16; 2];
        TextEncoding::AsciiLowFirst.encode("AB1", &mut regs).unwrap();
        assert_eq!(regs, [u16::from_le_bytes([b'A', b'B']), u16::from_le_bytes([b'1', b' '])]);
        let n = TextEncoding::AsciiLowFirst.decode(&regs, &mut out);
        assert_eq!(&out[..n], b"AB1");
        let mut one = [0u16; 1];
        TextEncoding::Number { digits: 4 }.encode("42", &mut one).unwrap();
        assert_eq!(one, [42]);
        let n = TextEncoding::Number { digits: 4 }.decode(&one, &mut out);
        assert_eq!(&out[..n], b"0042");
        assert!(TextEncoding::Number { digits: 4 }.encode("A1", &mut one).is_err());
        assert!(TextEncoding::Number { digits: 6 }.encode("70000", &mut one).is_err());
        TextEncoding::Number { digits: 6 }.encode("70000", &mut regs).unwrap();
        let n = TextEncoding::Number { digits: 6 }.decode(&regs, &mut out);
        assert_eq!(&out[..n], b"070000");
    }
}
