//! What a host does to a controller, in the map's terms: write a module's command, read its
//! state, acknowledge a confirmation, feed the watchdog. The simulated WCS uses these, so it
//! drives either map shape with the map's own codes and encodings.

use super::*;
use twin_model::codes::Blink;
use twin_model::register_map::{Acknowledge, Latch};

/// A command for one module, in picktwin's terms (the controller encodes it for its map).
#[derive(Debug, Clone, Copy)]
pub struct Command<'a> {
    /// Mode.
    pub mode: Mode,
    /// Red quantity (blanked when off).
    pub quantity: u16,
    /// Green location text.
    pub location: &'a str,
    /// Colour index (`codes::COLOURS`).
    pub colour: u16,
    /// Job (order line) id.
    pub job: u32,
    /// Command sequence (the host's counter; ignored by maps without one).
    pub sequence: u16,
}

impl ControllerSim {
    /// A module's current state.
    pub fn module_state(&self, address: u16) -> Option<ModuleState> {
        let raw = self.input[self.st(address, self.image.module_status.state)];
        ModuleState::from_register(self.map.values.state_from_device(raw))
    }

    /// Whether a module's confirmation waits for the host (latch bit, or the state where the
    /// map latches by state).
    pub fn latched(&self, address: u16) -> bool {
        match (&self.image.bits, self.map.latch) {
            (Some(b), Latch::Bitmap) => {
                self.discrete[self.bit(b.confirm_latch, address)]
                    || self.discrete[self.bit(b.shortage_latch, address)]
            }
            _ => matches!(self.module_state(address), Some(ModuleState::Confirmed | ModuleState::Shortage)),
        }
    }

    /// The quantity the picker confirmed at a module.
    pub fn confirmed_quantity(&self, address: u16) -> u16 {
        self.input[self.st(address, self.image.module_status.confirmed_quantity)]
    }

    /// Writes a module's whole command block, as a host does (one FC16 on the wire).
    pub fn command(&mut self, address: u16, c: Command<'_>) -> Result<(), String> {
        let b = self.image.module_commands.clone();
        let v = &self.map.values;
        let mut block = vec![0u16; usize::from(b.stride)];
        block[usize::from(b.mode)] =
            v.mode_to_device(c.mode).ok_or_else(|| format!("the map has no mode {:?}", c.mode))?;
        block[usize::from(b.quantity)] = if c.mode == Mode::Off { codes::QUANTITY_BLANK } else { c.quantity };
        let loc = usize::from(b.location);
        self.map.text.encode(c.location, &mut block[loc..loc + usize::from(b.location_len)])?;
        block[usize::from(b.colour)] =
            v.colour_to_device(c.colour).ok_or_else(|| format!("the map has no colour {}", c.colour))?;
        if let Some(o) = b.blink {
            block[usize::from(o)] = v.blink_to_device(Blink::Steady).unwrap_or(0);
        }
        if let Some(o) = b.job_id {
            let [hi, lo] = codes::u32_to_registers(c.job);
            block[usize::from(o)] = hi;
            block[usize::from(o) + 1] = lo;
        }
        if let Some(o) = b.sequence {
            block[usize::from(o)] = c.sequence;
        }
        let start = self.cmd(address, 0) as u16;
        self.write_registers(start, &block, MAX_WRITE_REGISTERS).map_err(|e| format!("{e:?}"))
    }

    /// Acknowledges a module's confirmation the map's way (coil, or a register write).
    pub fn acknowledge(&mut self, address: u16) -> Result<(), Exception> {
        match (self.map.acknowledge, self.image.bits.clone()) {
            (Acknowledge::Coil, Some(bits)) => self.write_coils(bits.acknowledge + address, &[true]),
            (Acknowledge::Register { offset, value }, _) => {
                let r = self.cmd(address, offset) as u16;
                self.write_registers(r, &[value], MAX_WRITE_REGISTERS)
            }
            (Acknowledge::Coil, None) => Err(Exception::IllegalFunction),
        }
    }

    /// Sets the host watchdog timeout (0 disables it), where the map has one.
    pub fn set_watchdog_timeout(&mut self, ms: u16) {
        if let Some(r) = self.header(self.image.header.as_ref().and_then(|h| h.watchdog_timeout_ms)) {
            let _ = self.write_registers(r as u16, &[ms], 1);
        }
    }

    /// Changes the host watchdog, as a live host does regularly.
    pub fn feed_watchdog(&mut self, value: u16) {
        if let Some(r) = self.header(self.image.header.as_ref().and_then(|h| h.host_watchdog)) {
            let _ = self.write_registers(r as u16, &[value], 1);
        }
    }
}
