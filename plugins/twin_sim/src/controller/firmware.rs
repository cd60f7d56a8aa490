//! The controller's firmware: applying module commands (sequence echo), presses and latches,
//! global commands, the host watchdog, the heartbeat and clock, and the change counters a host
//! polls to read only what changed. Values are translated through the map's code tables, so a
//! device family with other codes behaves the same.

use super::*;

impl ControllerSim {
    /// Counts a change of module `address` in its change counter and the header's.
    pub(super) fn touch(&mut self, address: u16) {
        if let Some(ch) = &self.image.changes {
            let i = usize::from(ch.base) + usize::from(address);
            self.input[i] = self.input[i].wrapping_add(1);
            if let Some(g) = ch.groups {
                let i = usize::from(g) + usize::from(address / twin_model::register_map::CHANGE_GROUP);
                self.input[i] = self.input[i].wrapping_add(1);
            }
        }
        if let Some(cc) = self.header(self.image.header.as_ref().and_then(|h| h.change_counter)) {
            self.holding[cc] = self.holding[cc].wrapping_add(1);
        }
    }

    pub(super) fn after_holding_write(&mut self, r: Range<usize>) {
        let b = &self.image.module_commands;
        let base = usize::from(b.base);
        let stride = usize::from(b.stride);
        let end = base + stride * usize::from(self.span);
        if r.start < end && base < r.end {
            let first = (r.start.max(base) - base) / stride;
            let last = (r.end.min(end) - 1 - base) / stride;
            for a in first..=last {
                // The write changes the module's registers whether or not it applies.
                self.touch(a as u16);
                self.apply_command(a as u16);
            }
        }
        let h = self.image.header.clone();
        if let (Some(gs), Some(gc)) = (
            self.header(h.as_ref().and_then(|h| h.global_sequence)),
            self.header(h.as_ref().and_then(|h| h.global_command)),
        ) && r.contains(&gs)
            && self.holding[gs] != self.global_seen
        {
            self.global_seen = self.holding[gs];
            let command = self.holding[gc];
            self.apply_global(command);
        }
    }

    /// Applies a module's command block if its sequence changed (the sequence echo protocol);
    /// a map without a sequence applies every write.
    fn apply_command(&mut self, address: u16) {
        let b = self.image.module_commands.clone();
        let s = self.image.module_status.clone();
        if let Some(seq) = b.sequence {
            let seq = self.holding[self.cmd(address, seq)];
            if let Some(applied) = s.applied_sequence {
                let applied = self.st(address, applied);
                if self.input[applied] == seq {
                    return;
                }
                self.input[applied] = seq;
            }
        }
        let mode = self.map.values.mode_from_device(self.holding[self.cmd(address, b.mode)]);
        let state = match Mode::from_register(mode) {
            Some(m) if m.awaits_press() => ModuleState::Lit,
            Some(_) => ModuleState::Idle,
            None => ModuleState::Fault,
        };
        let fault_code = if state == ModuleState::Fault { fault::BAD_COMMAND } else { fault::NONE };
        if let (Some(cj), Some(sj)) = (b.job_id, s.job_id) {
            let job = self.cmd(address, cj);
            let (hi, lo) = (self.holding[job], self.holding[job + 1]);
            let sj = self.st(address, sj);
            self.input[sj] = hi;
            self.input[sj + 1] = lo;
        }
        self.set_state(address, state);
        let cq = self.st(address, s.confirmed_quantity);
        self.input[cq] = 0;
        if let Some(fc) = s.fault_code {
            let fc = self.st(address, fc);
            self.input[fc] = fault_code;
        }
        // Counted once by the write that led here (`after_holding_write`).
    }

    fn set_state(&mut self, address: u16, state: ModuleState) {
        let sti = self.st(address, self.image.module_status.state);
        self.input[sti] =
            self.map.values.state_to_device(state).unwrap_or(twin_model::register_map::UNKNOWN_CODE);
    }

    fn apply_global(&mut self, command: u16) {
        match command {
            global::ALL_OFF => self.blank_all(),
            global::LAMP_TEST => {
                self.lamp_test_until_ms = self.now_ms + 3000;
                if let Some(st) = self.header(self.image.header.as_ref().map(|h| h.status)) {
                    self.holding[st] |= status::LAMP_TEST;
                }
            }
            _ => {}
        }
    }

    /// Every module off, as the firmware does on "all off" or a watchdog trip.
    fn blank_all(&mut self) {
        let b = self.image.module_commands.clone();
        let off = self.map.values.mode_to_device(Mode::Off).unwrap_or(0);
        for a in 0..self.span {
            let mode = self.cmd(a, b.mode);
            self.holding[mode] = off;
            let q = self.cmd(a, b.quantity);
            self.holding[q] = codes::QUANTITY_BLANK;
            self.set_state(a, ModuleState::Idle);
            self.touch(a);
        }
    }

    /// The picker pressed the module's button, confirming `quantity` (less than asked: shortage).
    /// Returns the state the module went to.
    pub fn press(&mut self, address: u16, quantity: u16) -> ModuleState {
        if address >= self.span {
            return ModuleState::Fault;
        }
        let s = self.image.module_status.clone();
        self.touch(address);
        if let Some(pc) = s.press_count {
            let pc = self.st(address, pc);
            self.input[pc] = self.input[pc].wrapping_add(1);
        }
        let current = self.module_state(address);
        if current != Some(ModuleState::Lit) {
            if let Some(fc) = s.fault_code {
                let fc = self.st(address, fc);
                self.input[fc] = fault::UNEXPECTED_PRESS;
            }
            return current.unwrap_or(ModuleState::Fault);
        }
        let asked = self.holding[self.cmd(address, self.image.module_commands.quantity)];
        let short = asked != codes::QUANTITY_BLANK && quantity < asked;
        let state = if short { ModuleState::Shortage } else { ModuleState::Confirmed };
        self.set_state(address, state);
        let cq = self.st(address, s.confirmed_quantity);
        self.input[cq] = quantity;
        if let Some(bits) = self.image.bits.clone() {
            let latch = if short { bits.shortage_latch } else { bits.confirm_latch };
            let li = self.bit(latch, address);
            self.discrete[li] = true;
        }
        state
    }

    /// Clears a module's confirm and shortage latch bits (the acknowledge coil).
    pub(super) fn clear_latches(&mut self, address: u16) {
        let Some(bits) = self.image.bits.clone() else { return };
        let (ci, si) = (self.bit(bits.confirm_latch, address), self.bit(bits.shortage_latch, address));
        self.discrete[ci] = false;
        self.discrete[si] = false;
        self.touch(address);
    }

    /// Advances the controller's own clocks: heartbeat (real time, every 100 ms, unless
    /// frozen), the exposed shift clock (simulated time), the host watchdog and a lamp test.
    pub fn tick(&mut self, real_ms: u64, clock_s: u32, speed: u16) {
        self.now_ms = real_ms;
        let Some(h) = self.image.header.clone() else { return };
        if !self.frozen {
            let hb = h.register(h.heartbeat) as usize;
            self.holding[hb] = (real_ms / 100) as u16;
        }
        if let Some(clock) = h.clock_s {
            let clock = h.register(clock) as usize;
            [self.holding[clock], self.holding[clock + 1]] = codes::u32_to_registers(clock_s);
        }
        if let Some(sp) = h.clock_speed {
            self.holding[h.register(sp) as usize] = speed;
        }
        let st = h.register(h.status) as usize;
        if let Some(wd) = h.host_watchdog {
            let wd = self.holding[h.register(wd) as usize];
            if wd != self.watchdog_seen {
                self.watchdog_seen = wd;
                self.watchdog_changed_ms = real_ms;
                self.holding[st] &= !status::WATCHDOG_TRIPPED;
            }
        }
        let timeout = h.watchdog_timeout_ms.map_or(0, |t| u64::from(self.holding[h.register(t) as usize]));
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
}
