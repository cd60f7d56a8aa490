//! One emulated PTL controller: its four Modbus tables, address checks, and how its modules,
//! header, watchdog and global commands behave when registers are written.
//!
//! The Modbus server and the simulated WCS both go through [`ControllerSim::read`] and
//! [`ControllerSim::write`], so the simulator lights modules exactly as a host on the wire would.

use std::ops::Range;

use twin_model::RegisterMap;
use twin_model::codes::{self, Mode, ModuleState, fault, global, status};
use twin_model::register_map::Table;

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
    map: RegisterMap,
    holding: Vec<u16>,
    input: Vec<u16>,
    discrete: Vec<bool>,
    coils: Vec<bool>,
    valid: [Vec<Range<u32>>; 4],
    /// Modules configured (the header's module count).
    module_count: u16,
    /// One past the highest configured address: the range the firmware scans.
    span: u16,
    watchdog_seen: u16,
    watchdog_changed_ms: u64,
    global_seen: u16,
    lamp_test_until_ms: u64,
    now_ms: u64,
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
        let mut c = Self {
            holding: vec![0; SPACE],
            input: vec![0; SPACE],
            discrete: vec![false; SPACE],
            coils: vec![false; SPACE],
            valid,
            module_count,
            span,
            watchdog_seen: 0,
            watchdog_changed_ms: 0,
            global_seen: 0,
            lamp_test_until_ms: 0,
            now_ms: 0,
            map,
        };
        let h = c.map.header.clone();
        let base = usize::from(h.base);
        c.holding[base + usize::from(h.map_version)] = c.map.version;
        c.holding[base + usize::from(h.module_count)] = module_count;
        c.holding[base + usize::from(h.status)] = status::RUNNING | status::SIMULATED;
        c.holding[base + usize::from(h.clock_speed)] = 1;
        for &a in addresses.iter().filter(|&&a| a < span) {
            c.discrete[usize::from(c.map.bits.online) + usize::from(a)] = true;
        }
        for a in 0..span {
            let q = c.cmd(a, c.map.module_commands.quantity);
            c.holding[q] = codes::QUANTITY_BLANK;
        }
        c
    }

    /// The register map this controller serves.
    pub fn map(&self) -> &RegisterMap {
        &self.map
    }

    /// Modules configured on this controller.
    pub fn module_count(&self) -> u16 {
        self.module_count
    }

    fn cmd(&self, address: u16, field: u16) -> usize {
        self.map.command_register(address, field) as usize
    }

    fn st(&self, address: u16, field: u16) -> usize {
        self.map.status_register(address, field) as usize
    }

    fn header(&self, field: u16) -> usize {
        usize::from(self.map.header.base) + usize::from(field)
    }

    fn bit(&self, base: u16, address: u16) -> usize {
        usize::from(base) + usize::from(address)
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

    /// FC03 / FC04: reads registers.
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

    /// FC06 / FC16 (and the write half of FC23): writes holding registers, then lets the
    /// firmware react (apply module commands, global commands).
    pub fn write_registers(&mut self, start: u16, values: &[u16], max: u16) -> Result<(), Exception> {
        let count = u16::try_from(values.len()).map_err(|_| Exception::IllegalDataValue)?;
        Self::check_quantity(count, max)?;
        let r = self.check_range(Table::Holding, start, count)?;
        // Only the host's header fields are writable.
        let h = &self.map.header;
        let header = usize::from(h.base)..usize::from(h.base) + usize::from(h.len);
        let writable = [h.host_watchdog, h.watchdog_timeout_ms, h.global_command, h.global_sequence]
            .map(|f| usize::from(h.base) + usize::from(f));
        if r.clone().any(|a| header.contains(&a) && !writable.contains(&a)) {
            return Err(Exception::IllegalDataAddress);
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
        let ack = usize::from(self.map.bits.acknowledge);
        for (a, &v) in r.zip(values) {
            if v && (ack..ack + usize::from(self.span)).contains(&a) {
                let module = (a - ack) as u16;
                let (c, s) = (self.map.bits.confirm_latch, self.map.bits.shortage_latch);
                let (ci, si) = (self.bit(c, module), self.bit(s, module));
                self.discrete[ci] = false;
                self.discrete[si] = false;
            }
            // Acknowledge coils are self-clearing: they always read back 0.
        }
        Ok(())
    }

    fn after_holding_write(&mut self, r: Range<usize>) {
        let b = &self.map.module_commands;
        let base = usize::from(b.base);
        let stride = usize::from(b.stride);
        let end = base + stride * usize::from(self.span);
        if r.start < end && base < r.end {
            let first = (r.start.max(base) - base) / stride;
            let last = (r.end.min(end) - 1 - base) / stride;
            for a in first..=last {
                self.apply_command(a as u16);
            }
        }
        let gs = self.header(self.map.header.global_sequence);
        if r.contains(&gs) && self.holding[gs] != self.global_seen {
            self.global_seen = self.holding[gs];
            let command = self.holding[self.header(self.map.header.global_command)];
            self.apply_global(command);
        }
    }

    /// Applies a module's command block if its sequence changed (the sequence echo protocol).
    fn apply_command(&mut self, address: u16) {
        let b = self.map.module_commands.clone();
        let s = self.map.module_status.clone();
        let seq = self.holding[self.cmd(address, b.sequence)];
        let applied = self.st(address, s.applied_sequence);
        if self.input[applied] == seq {
            return;
        }
        self.input[applied] = seq;
        let state = match Mode::from_register(self.holding[self.cmd(address, b.mode)]) {
            Some(m) if m.awaits_press() => ModuleState::Lit,
            Some(_) => ModuleState::Idle,
            None => ModuleState::Fault,
        };
        let fault_code = if state == ModuleState::Fault { fault::BAD_COMMAND } else { fault::NONE };
        let job = self.cmd(address, b.job_id);
        let (hi, lo) = (self.holding[job], self.holding[job + 1]);
        let sj = self.st(address, s.job_id);
        self.input[sj] = hi;
        self.input[sj + 1] = lo;
        let sti = self.st(address, s.state);
        self.input[sti] = state as u16;
        let cq = self.st(address, s.confirmed_quantity);
        self.input[cq] = 0;
        let fc = self.st(address, s.fault_code);
        self.input[fc] = fault_code;
    }

    fn apply_global(&mut self, command: u16) {
        match command {
            global::ALL_OFF => self.blank_all(),
            global::LAMP_TEST => {
                self.lamp_test_until_ms = self.now_ms + 3000;
                let st = self.header(self.map.header.status);
                self.holding[st] |= status::LAMP_TEST;
            }
            _ => {}
        }
    }

    /// Every module off, as the firmware does on "all off" or a watchdog trip.
    fn blank_all(&mut self) {
        let b = self.map.module_commands.clone();
        for a in 0..self.span {
            let mode = self.cmd(a, b.mode);
            self.holding[mode] = Mode::Off as u16;
            let q = self.cmd(a, b.quantity);
            self.holding[q] = codes::QUANTITY_BLANK;
            let sti = self.st(a, self.map.module_status.state);
            self.input[sti] = ModuleState::Idle as u16;
        }
    }

    /// The picker pressed the module's button, confirming `quantity` (less than asked: shortage).
    /// Returns the state the module went to.
    pub fn press(&mut self, address: u16, quantity: u16) -> ModuleState {
        if address >= self.span {
            return ModuleState::Fault;
        }
        let s = self.map.module_status.clone();
        let pc = self.st(address, s.press_count);
        self.input[pc] = self.input[pc].wrapping_add(1);
        let sti = self.st(address, s.state);
        if self.input[sti] != ModuleState::Lit as u16 {
            let fc = self.st(address, s.fault_code);
            self.input[fc] = fault::UNEXPECTED_PRESS;
            return ModuleState::from_register(self.input[sti]).unwrap_or(ModuleState::Fault);
        }
        let asked = self.holding[self.cmd(address, self.map.module_commands.quantity)];
        let short = asked != codes::QUANTITY_BLANK && quantity < asked;
        let (state, latch) = if short {
            (ModuleState::Shortage, self.map.bits.shortage_latch)
        } else {
            (ModuleState::Confirmed, self.map.bits.confirm_latch)
        };
        self.input[sti] = state as u16;
        let cq = self.st(address, s.confirmed_quantity);
        self.input[cq] = quantity;
        let li = self.bit(latch, address);
        self.discrete[li] = true;
        state
    }

    /// Advances the controller's own clocks: heartbeat (real time, every 100 ms), the
    /// exposed shift clock (simulated time), the host watchdog and a running lamp test.
    pub fn tick(&mut self, real_ms: u64, clock_s: u32, speed: u16) {
        self.now_ms = real_ms;
        let h = self.map.header.clone();
        let hb = self.header(h.heartbeat);
        self.holding[hb] = (real_ms / 100) as u16;
        let clock = self.header(h.clock_s);
        let [hi, lo] = codes::u32_to_registers(clock_s);
        self.holding[clock] = hi;
        self.holding[clock + 1] = lo;
        let sp = self.header(h.clock_speed);
        self.holding[sp] = speed;

        let st = self.header(h.status);
        let wd = self.holding[self.header(h.host_watchdog)];
        if wd != self.watchdog_seen {
            self.watchdog_seen = wd;
            self.watchdog_changed_ms = real_ms;
            self.holding[st] &= !status::WATCHDOG_TRIPPED;
        }
        let timeout = u64::from(self.holding[self.header(h.watchdog_timeout_ms)]);
        let tripped = self.holding[st] & status::WATCHDOG_TRIPPED != 0;
        if timeout > 0 && !tripped && real_ms.saturating_sub(self.watchdog_changed_ms) > timeout {
            self.blank_all();
            self.holding[st] |= status::WATCHDOG_TRIPPED;
            tracing::warn!("host watchdog expired after {timeout} ms: all modules blanked");
        }
        if self.lamp_test_until_ms != 0 && real_ms >= self.lamp_test_until_ms {
            self.lamp_test_until_ms = 0;
            self.holding[st] &= !status::LAMP_TEST;
        }
    }

    /// A module's current state register.
    pub fn module_state(&self, address: u16) -> Option<ModuleState> {
        ModuleState::from_register(self.input[self.st(address, self.map.module_status.state)])
    }

    /// Whether a module's confirm or shortage latch is set.
    pub fn latched(&self, address: u16) -> bool {
        let b = &self.map.bits;
        self.discrete[self.bit(b.confirm_latch, address)]
            || self.discrete[self.bit(b.shortage_latch, address)]
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
mod tests {
    use super::*;

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
        block[usize::from(b.job_id) + 1] = 77;
        block[usize::from(b.sequence)] = seq;
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
        assert_eq!(status[usize::from(s.applied_sequence)], 1);
        assert_eq!(status[usize::from(s.job_id) + 1], 77);
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
        let fc = c.map().status_register(5, c.map().module_status.fault_code) as u16;
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
}
