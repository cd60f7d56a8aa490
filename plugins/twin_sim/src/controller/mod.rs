//! One emulated PTL controller: its four Modbus tables, address checks and unit routing; the
//! firmware (how modules, header, watchdog and global commands behave) and the host-side
//! helpers the simulated WCS uses live in the submodules.
//!
//! The Modbus server and the simulated WCS both go through [`ControllerSim::read_registers`]
//! and [`ControllerSim::write_registers`], so the simulator lights modules exactly as a host on
//! the wire would. Tables are kept in the map's image layout (`RegisterMap::image`); a per-unit
//! map's requests are routed into it by unit id ([`ControllerSim::route`]).

use std::ops::Range;

use twin_model::RegisterMap;
use twin_model::codes::{self, Mode, ModuleState, fault, global, status};
use twin_model::register_map::{Shape, Table};

mod firmware;
mod host;

pub use host::Command;

/// Modbus exception codes the controller answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    /// 01: function code not supported.
    IllegalFunction,
    /// 02: an address outside the controller's blocks, or a read-only register written.
    IllegalDataAddress,
    /// 03: a quantity of zero or over the function's limit, or an inconsistent frame.
    IllegalDataValue,
    /// 0B: the request named a unit id this controller does not answer.
    GatewayTargetFailed,
}

/// Largest register read (FC03/FC04/FC23 read part).
pub const MAX_READ_REGISTERS: u16 = 125;
/// Largest register write (FC16).
pub const MAX_WRITE_REGISTERS: u16 = 123;
/// Largest register write in FC23.
pub const MAX_RW_WRITE_REGISTERS: u16 = 121;
/// Largest bit read (FC01/FC02).
pub const MAX_READ_BITS: u16 = 2000;
/// Largest bit write (FC15).
pub const MAX_WRITE_BITS: u16 = 1968;

const SPACE: usize = 0x1_0000;

/// The controller's state: tables plus what the module firmware remembers.
#[derive(Debug)]
pub struct ControllerSim {
    /// The map as served on the wire.
    map: RegisterMap,
    /// The map's image layout: where the tables below keep each block.
    image: RegisterMap,
    holding: Vec<u16>,
    input: Vec<u16>,
    discrete: Vec<bool>,
    coils: Vec<bool>,
    valid: [Vec<Range<u32>>; 4],
    /// Modules configured (the header's module count).
    module_count: u16,
    /// One past the highest configured address: the range the firmware scans.
    span: u16,
    /// Configured addresses (per-unit maps answer only these units).
    configured: Vec<bool>,
    watchdog_seen: u16,
    watchdog_changed_ms: u64,
    global_seen: u16,
    lamp_test_until_ms: u64,
    now_ms: u64,
    /// Whether the program runs: a frozen controller's heartbeat stands still.
    frozen: bool,
}

fn table_index(t: Table) -> usize {
    match t {
        Table::Holding => 0,
        Table::Input => 1,
        Table::Discrete => 2,
        Table::Coils => 3,
    }
}

impl ControllerSim {
    /// A controller whose modules sit at `addresses` (each below `map.max_modules`).
    pub fn new(map: RegisterMap, addresses: &[u16]) -> Self {
        let module_count = addresses.len().min(usize::from(u16::MAX)) as u16;
        let span = addresses.iter().map(|&a| a.saturating_add(1)).max().unwrap_or(0).min(map.max_modules);
        let mut valid: [Vec<Range<u32>>; 4] = Default::default();
        for e in map.extents() {
            valid[table_index(e.table)].push(e.start..e.end.min(SPACE as u32));
        }
        let mut configured = vec![false; usize::from(span)];
        for &a in addresses.iter().filter(|&&a| a < span) {
            configured[usize::from(a)] = true;
        }
        let mut c = Self {
            holding: vec![0; SPACE],
            input: vec![0; SPACE],
            discrete: vec![false; SPACE],
            coils: vec![false; SPACE],
            valid,
            module_count,
            span,
            configured,
            watchdog_seen: 0,
            watchdog_changed_ms: 0,
            global_seen: 0,
            lamp_test_until_ms: 0,
            now_ms: 0,
            frozen: false,
            image: map.image(),
            map,
        };
        if let Some(h) = c.image.header.clone() {
            c.holding[h.register(h.map_version) as usize] = c.image.version;
            c.holding[h.register(h.module_count) as usize] = module_count;
            c.holding[h.register(h.status) as usize] = status::RUNNING | status::SIMULATED;
            if let Some(sp) = h.clock_speed {
                c.holding[h.register(sp) as usize] = 1;
            }
        }
        if let Some(bits) = c.image.bits.clone() {
            for &a in addresses.iter().filter(|&&a| a < span) {
                c.discrete[usize::from(bits.online) + usize::from(a)] = true;
            }
        }
        let off = c.map.values.mode_to_device(Mode::Off).unwrap_or(0);
        let idle = c.map.values.state_to_device(ModuleState::Idle).unwrap_or(0);
        for a in 0..span {
            let q = c.cmd(a, c.image.module_commands.quantity);
            c.holding[q] = codes::QUANTITY_BLANK;
            let m = c.cmd(a, c.image.module_commands.mode);
            c.holding[m] = off;
            let s = c.st(a, c.image.module_status.state);
            c.input[s] = idle;
        }
        c
    }

    /// The register map this controller serves (as configured; the wire shape).
    pub fn map(&self) -> &RegisterMap {
        &self.map
    }

    /// The map's image layout, in which [`Self::read_registers`] and friends address tables.
    pub fn image_map(&self) -> &RegisterMap {
        &self.image
    }

    /// Modules configured on this controller.
    pub fn module_count(&self) -> u16 {
        self.module_count
    }

    /// Stops (or restarts) the controller's program: the Modbus stack keeps answering, the
    /// heartbeat stands still (a frozen PLC).
    pub fn set_frozen(&mut self, frozen: bool) {
        self.frozen = frozen;
    }

    fn cmd(&self, address: u16, field: u16) -> usize {
        self.image.command_register(address, field) as usize
    }

    fn st(&self, address: u16, field: u16) -> usize {
        self.image.status_register(address, field) as usize
    }

    fn header(&self, field: impl Into<Option<u16>>) -> Option<usize> {
        let h = self.image.header.as_ref()?;
        Some(h.register(field.into()?) as usize)
    }

    fn bit(&self, base: u16, address: u16) -> usize {
        usize::from(base) + usize::from(address)
    }

    /// Where a request to `unit` for `start..start+count` of `table` lands in the image, or
    /// the exception the controller answers. Block-shaped maps answer their unit id (and 0 and
    /// 255, as Modbus TCP devices do); per-unit maps answer the gateway's header at that unit id
    /// and each configured module at its own unit.
    pub fn route(
        &self,
        unit_id: u8,
        unit: u8,
        table: Table,
        start: u16,
        count: u16,
    ) -> Result<u16, Exception> {
        let own = unit == unit_id || unit == 0 || unit == 255;
        let Shape::PerUnit { first_unit } = self.map.shape else {
            return if own { Ok(start) } else { Err(Exception::GatewayTargetFailed) };
        };
        let end = u32::from(start) + u32::from(count);
        if own {
            let h = self.image.header.as_ref().ok_or(Exception::IllegalDataAddress)?;
            let inside =
                table == Table::Holding && start >= h.base && end <= u32::from(h.base) + u32::from(h.len);
            return if inside { Ok(start) } else { Err(Exception::IllegalDataAddress) };
        }
        let a = unit.checked_sub(first_unit).map(u16::from).ok_or(Exception::GatewayTargetFailed)?;
        if !self.configured.get(usize::from(a)).copied().unwrap_or(false) {
            return Err(Exception::GatewayTargetFailed);
        }
        let (block, image) = match table {
            Table::Holding => (&self.map.module_commands.base, self.cmd(a, 0)),
            Table::Input => (&self.map.module_status.base, self.st(a, 0)),
            Table::Discrete | Table::Coils => return Err(Exception::IllegalDataAddress),
        };
        let stride = match table {
            Table::Holding => self.map.module_commands.stride,
            _ => self.map.module_status.stride,
        };
        if start < *block || end > u32::from(*block) + u32::from(stride) {
            return Err(Exception::IllegalDataAddress);
        }
        Ok((image + usize::from(start - block)) as u16)
    }

    /// Checks that `start..start+count` lies inside one block of `table`.
    fn check_range(&self, table: Table, start: u16, count: u16) -> Result<Range<usize>, Exception> {
        let end = u32::from(start) + u32::from(count);
        if end > SPACE as u32 {
            return Err(Exception::IllegalDataAddress);
        }
        let inside =
            self.valid[table_index(table)].iter().any(|r| r.start <= u32::from(start) && end <= r.end);
        if inside { Ok(usize::from(start)..end as usize) } else { Err(Exception::IllegalDataAddress) }
    }

    fn check_quantity(count: u16, max: u16) -> Result<(), Exception> {
        if count == 0 || count > max { Err(Exception::IllegalDataValue) } else { Ok(()) }
    }

    /// FC03 / FC04: reads registers (image addresses).
    pub fn read_registers(&self, table: Table, start: u16, count: u16) -> Result<&[u16], Exception> {
        Self::check_quantity(count, MAX_READ_REGISTERS)?;
        let r = self.check_range(table, start, count)?;
        match table {
            Table::Holding => Ok(&self.holding[r]),
            Table::Input => Ok(&self.input[r]),
            Table::Discrete | Table::Coils => Err(Exception::IllegalFunction),
        }
    }

    /// FC01 / FC02: reads bits.
    pub fn read_bits(&self, table: Table, start: u16, count: u16) -> Result<&[bool], Exception> {
        Self::check_quantity(count, MAX_READ_BITS)?;
        let r = self.check_range(table, start, count)?;
        match table {
            Table::Discrete => Ok(&self.discrete[r]),
            Table::Coils => Ok(&self.coils[r]),
            Table::Holding | Table::Input => Err(Exception::IllegalFunction),
        }
    }

    /// FC06 / FC16 (and the write half of FC23): writes holding registers (image addresses),
    /// then lets the firmware react (apply module commands, global commands).
    pub fn write_registers(&mut self, start: u16, values: &[u16], max: u16) -> Result<(), Exception> {
        let count = u16::try_from(values.len()).map_err(|_| Exception::IllegalDataValue)?;
        Self::check_quantity(count, max)?;
        let r = self.check_range(Table::Holding, start, count)?;
        // Only the host's header fields are writable.
        if let Some(h) = &self.image.header {
            let header = h.register(0) as usize..h.register(h.len) as usize;
            let writable: Vec<usize> =
                [h.host_watchdog, h.watchdog_timeout_ms, h.global_command, h.global_sequence]
                    .into_iter()
                    .flatten()
                    .map(|f| h.register(f) as usize)
                    .collect();
            if r.clone().any(|a| header.contains(&a) && !writable.contains(&a)) {
                return Err(Exception::IllegalDataAddress);
            }
        }
        self.holding[r.clone()].copy_from_slice(values);
        self.after_holding_write(r);
        Ok(())
    }

    /// FC05 / FC15: writes coils; a 1 on an acknowledge coil clears that module's latches.
    pub fn write_coils(&mut self, start: u16, values: &[bool]) -> Result<(), Exception> {
        let count = u16::try_from(values.len()).map_err(|_| Exception::IllegalDataValue)?;
        Self::check_quantity(count, MAX_WRITE_BITS)?;
        let r = self.check_range(Table::Coils, start, count)?;
        let Some(bits) = self.image.bits.clone() else { return Ok(()) };
        let ack = usize::from(bits.acknowledge);
        for (a, &v) in r.zip(values) {
            if v && (ack..ack + usize::from(self.span)).contains(&a) {
                self.clear_latches((a - ack) as u16);
            }
            // Acknowledge coils are self-clearing: they always read back 0.
        }
        Ok(())
    }

    /// Writes holding registers without the host-side checks (the WCS side publishing the
    /// order board, or tests setting up state).
    pub fn poke_holding(&mut self, start: usize, values: &[u16]) {
        self.holding[start..start + values.len()].copy_from_slice(values);
    }

    /// Writes input registers directly (picker positions fed by the simulated RTLS).
    pub fn poke_input(&mut self, start: usize, values: &[u16]) {
        self.input[start..start + values.len()].copy_from_slice(values);
    }
}

#[cfg(test)]
mod tests;
