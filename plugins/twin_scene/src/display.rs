//! What a light module's display shows, packed for the GPU: seven-segment masks for the green
//! location text and the red quantity, the state, blink and LED colour of one module in 32 bytes.
//!
//! Pure and allocation-free: the hot path packs every changed module with this each frame, and
//! the shader only draws the segments it is given (no font, no text entities).

use twin_link::ModuleReading;
use twin_model::codes::{self, ModuleState};

/// One module's instance data as the shader reads it (`ModuleState` in `module.wgsl`).
///
/// Words 0–3: location segment masks, one byte per character (16 characters); word 4: quantity
/// segment masks (4 characters, right-aligned); word 5: flags (see the `FLAG_*`/`SHIFT_*`
/// constants); word 6: LED colour `0xRRGGBB`; word 7: blink period in ms (low 16 bits).
pub type Packed = [u32; 8];

/// Bits 0–3 of the flags word: [`ModuleState`].
pub const MASK_STATE: u32 = 0xF;
/// Bits 4–5: [`codes::Blink`].
pub const SHIFT_BLINK: u32 = 4;
/// The controller is silent: draw the module greyed.
pub const FLAG_STALE: u32 = 1 << 6;
/// Selected in the scene: draw a highlight.
pub const FLAG_SELECTED: u32 = 1 << 7;
/// Bits 8–12: number of location characters.
pub const SHIFT_LOC_LEN: u32 = 8;
/// Bits 13–15: number of quantity characters.
pub const SHIFT_QTY_LEN: u32 = 13;
/// The module reported itself offline (bitmap); drawn like stale.
pub const FLAG_OFFLINE: u32 = 1 << 16;
/// The display is on (location and quantity shown).
pub const FLAG_DISPLAY: u32 = 1 << 17;
/// Highlighted by the overlay (e.g. the lines of a selected order).
pub const FLAG_HIGHLIGHT: u32 = 1 << 18;
/// The heatmap is on: the housing shows the heat level (bits 24–31) instead of black.
pub const FLAG_HEAT: u32 = 1 << 19;
/// Where the heat level (0–255) sits in the flags word.
pub const SHIFT_HEAT: u32 = 24;

/// Marks a packed state with the heatmap's level for its module.
pub fn with_heat(packed: &mut Packed, level: u8) {
    packed[5] =
        (packed[5] & !(FLAG_HEAT | (0xFF << SHIFT_HEAT))) | FLAG_HEAT | (u32::from(level) << SHIFT_HEAT);
}

/// Segments a (top), b (top right), c (bottom right), d (bottom), e (bottom left), f (top left),
/// g (middle) as bits 0–6. Letters are the usual seven-segment approximations.
pub fn segments(c: u8) -> u8 {
    match c.to_ascii_uppercase() {
        b'0' => 0x3F,
        b'1' => 0x06,
        b'2' | b'Z' => 0x5B,
        b'3' => 0x4F,
        b'4' => 0x66,
        b'5' | b'S' => 0x6D,
        b'6' => 0x7D,
        b'7' => 0x07,
        b'8' => 0x7F,
        b'9' => 0x6F,
        b'A' => 0x77,
        b'B' => 0x7C,
        b'C' => 0x39,
        b'D' => 0x5E,
        b'E' => 0x79,
        b'F' => 0x71,
        b'G' => 0x3D,
        b'H' | b'X' => 0x76,
        b'I' => 0x30,
        b'J' => 0x1E,
        b'K' => 0x75,
        b'L' => 0x38,
        b'M' => 0x37,
        b'N' => 0x54,
        b'O' => 0x5C,
        b'P' => 0x73,
        b'Q' => 0x67,
        b'R' => 0x50,
        b'T' => 0x78,
        b'U' | b'V' => 0x3E,
        b'W' => 0x7E,
        b'Y' => 0x6E,
        b'-' => 0x40,
        b'_' | b'.' | b',' => 0x08,
        b'=' => 0x48,
        b'/' => 0x52,
        b'?' => 0x53,
        b' ' => 0x00,
        // Anything else: three bars, visibly "not a character we can show".
        _ => 0x49,
    }
}

/// Packs up to `N * 4` characters' segment masks, one byte each, first character lowest.
fn pack<const N: usize>(text: &[u8]) -> [u32; N] {
    let mut words = [0u32; N];
    for (i, &c) in text.iter().take(N * 4).enumerate() {
        words[i / 4] |= u32::from(segments(c)) << ((i % 4) * 8);
    }
    words
}

/// The red quantity text: up to four characters, right-aligned by the shader.
fn quantity_text(quantity: u16, buf: &mut [u8; 4]) -> usize {
    if quantity == codes::QUANTITY_BLANK {
        return 0;
    }
    if quantity > 9999 {
        // More than the display holds: what a four-digit module shows.
        *buf = *b"----";
        return 4;
    }
    let mut n = quantity;
    let mut digits = [0u8; 4];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in 0..len {
        buf[i] = digits[len - 1 - i];
    }
    len
}

/// What the module shows for a reading: the display follows the state the controller reports
/// (lit: the asked quantity; confirmed or short: what the picker confirmed; fault: `E` and the
/// fault code), stale and offline modules are flagged for greying.
pub fn pack_reading(reading: &ModuleReading, selected: bool, highlighted: bool) -> Packed {
    let state = ModuleState::from_register(reading.state);
    let mut qty = [0u8; 4];
    let (display, qty_len) = match state {
        Some(ModuleState::Lit) => (true, quantity_text(reading.quantity, &mut qty)),
        Some(ModuleState::Confirmed | ModuleState::Shortage) => {
            (true, quantity_text(reading.confirmed_quantity, &mut qty))
        }
        Some(ModuleState::Fault) => {
            qty[0] = b'E';
            let code = reading.fault.min(99);
            let len = if code >= 10 {
                qty[1] = b'0' + (code / 10) as u8;
                qty[2] = b'0' + (code % 10) as u8;
                3
            } else {
                qty[1] = b'0' + code as u8;
                2
            };
            (true, len)
        }
        Some(ModuleState::Idle) | None => (false, 0),
    };
    let location = reading.location.as_str().as_bytes();
    let loc = pack::<4>(location);
    let [q] = pack::<1>(&qty[..qty_len]);
    let rgb = codes::COLOURS.get(usize::from(reading.colour)).map_or([240, 240, 240], |(_, rgb)| *rgb);
    let mut flags = u32::from(reading.state).min(MASK_STATE)
        | (u32::from(reading.blink.min(3)) << SHIFT_BLINK)
        | ((location.len().min(16) as u32) << SHIFT_LOC_LEN)
        | ((qty_len as u32) << SHIFT_QTY_LEN);
    if reading.stale {
        flags |= FLAG_STALE;
    }
    if !reading.online {
        flags |= FLAG_OFFLINE;
    }
    if display {
        flags |= FLAG_DISPLAY;
    }
    if selected {
        flags |= FLAG_SELECTED;
    }
    if highlighted {
        flags |= FLAG_HIGHLIGHT;
    }
    [
        loc[0],
        loc[1],
        loc[2],
        loc[3],
        q,
        flags,
        u32::from(rgb[0]) << 16 | u32::from(rgb[1]) << 8 | u32::from(rgb[2]),
        u32::from(reading.blink_period_ms),
    ]
}

/// Bytes of packed states as the storage buffer holds them (little-endian words).
pub fn write_bytes(states: &[Packed], out: &mut Vec<u8>) {
    out.reserve(states.len() * 32);
    for word in states.iter().flatten() {
        out.extend_from_slice(&word.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use twin_link::LocationText;

    fn lit(location: &str, quantity: u16) -> ModuleReading {
        let mut regs = [0u16; 8];
        codes::text_to_registers(location, &mut regs);
        ModuleReading {
            state: ModuleState::Lit as u16,
            quantity,
            location: LocationText::from_registers(&regs),
            colour: 2,
            blink: 1,
            blink_period_ms: 800,
            online: true,
            ..ModuleReading::default()
        }
    }

    #[test]
    fn digits_have_their_seven_segment_patterns() {
        let expected = [0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F];
        for (d, e) in (b'0'..=b'9').zip(expected) {
            assert_eq!(segments(d), e, "digit {}", d as char);
        }
        assert_eq!(segments(b'-'), 0x40);
        assert_eq!(segments(b' '), 0);
        assert_eq!(segments(b'a'), segments(b'A'));
        assert_ne!(segments(b'O'), segments(b'0'), "O and 0 must be told apart");
    }

    #[test]
    fn a_lit_module_packs_location_quantity_colour_and_blink() {
        let p = pack_reading(&lit("A1-0312", 42), false, false);
        // "A1-0" in word 0, "312" in word 1.
        assert_eq!(p[0], 0x77 | 0x06 << 8 | 0x40 << 16 | 0x3F << 24);
        assert_eq!(p[1], 0x4F | 0x06 << 8 | 0x5B << 16);
        assert_eq!(p[4], 0x66 | 0x5B << 8, "quantity 42");
        assert_eq!(p[5] & MASK_STATE, ModuleState::Lit as u32);
        let mut h = p;
        with_heat(&mut h, 200);
        assert_eq!(
            (h[5] & FLAG_HEAT, h[5] >> SHIFT_HEAT, h[5] & MASK_STATE),
            (FLAG_HEAT, 200, ModuleState::Lit as u32)
        );
        with_heat(&mut h, 3);
        assert_eq!(h[5] >> SHIFT_HEAT, 3, "a new level replaces the old");
        assert_eq!(h[5] & !(FLAG_HEAT | (0xFF << SHIFT_HEAT)), p[5], "the rest of the flags kept");
        assert_eq!((p[5] >> SHIFT_BLINK) & 3, 1);
        assert_eq!((p[5] >> SHIFT_LOC_LEN) & 0x1F, 7);
        assert_eq!((p[5] >> SHIFT_QTY_LEN) & 7, 2);
        assert_ne!(p[5] & FLAG_DISPLAY, 0);
        assert_eq!(p[5] & (FLAG_STALE | FLAG_OFFLINE | FLAG_SELECTED), 0);
        assert_eq!(p[6], 50 << 16 | 110 << 8 | 240, "blue");
        assert_eq!(p[7], 800);
    }

    #[test]
    fn quantities_blank_and_overflow_like_the_hardware() {
        assert_eq!((pack_reading(&lit("X", codes::QUANTITY_BLANK), false, false)[5] >> SHIFT_QTY_LEN) & 7, 0);
        let p = pack_reading(&lit("X", 12345), false, false);
        assert_eq!(p[4], 0x40404040);
        let p = pack_reading(&lit("X", 7), false, false);
        assert_eq!(p[4], 0x07);
        let p = pack_reading(&lit("X", 9999), false, false);
        assert_eq!(p[4], 0x6F6F6F6F);
    }

    #[test]
    fn idle_stale_fault_and_selection_flags() {
        let idle = pack_reading(&ModuleReading::default(), false, false);
        assert_eq!(idle[5] & FLAG_DISPLAY, 0);
        assert_ne!(idle[5] & FLAG_OFFLINE, 0, "default reading is not online");
        let mut r = lit("B2", 1);
        r.stale = true;
        assert_ne!(pack_reading(&r, true, false)[5] & FLAG_STALE, 0);
        assert_ne!(pack_reading(&r, true, false)[5] & FLAG_SELECTED, 0);
        r.state = ModuleState::Fault as u16;
        r.fault = codes::fault::UNEXPECTED_PRESS;
        let p = pack_reading(&r, false, false);
        assert_eq!(p[4], 0x79 | 0x06 << 8, "E1");
        r.state = ModuleState::Confirmed as u16;
        r.confirmed_quantity = 3;
        assert_eq!(pack_reading(&r, false, false)[4], 0x4F);
    }

    #[test]
    fn bytes_are_little_endian_words_in_order() {
        let mut out = Vec::new();
        write_bytes(&[[1, 2, 3, 4, 5, 6, 7, 8]], &mut out);
        assert_eq!(out.len(), 32);
        assert_eq!(&out[..8], &[1, 0, 0, 0, 2, 0, 0, 0]);
    }
}
