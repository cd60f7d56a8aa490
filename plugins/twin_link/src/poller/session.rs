//! One controller's session: its register image, what changed, decoding and publishing the
//! changes, and the health it reports.

use super::*;

/// Most reads of the order board's used part per cycle (40 slots of picktwin-v1).
pub(super) const BOARD_READS: usize = 4;

/// The state of one controller between cycles.
pub(super) struct Poller {
    pub(super) target: Target,
    pub(super) image: Image,
    pub(super) modules: Vec<ModuleReading>,
    pub(super) pickers: Vec<PickerReading>,
    pub(super) orders: Vec<OrderSlot>,
    /// Position in `target.modules` by module address (`u32::MAX`: none).
    pub(super) by_address: Vec<u32>,
    /// Modules whose registers changed this cycle (positions in `target.modules`), deduplicated.
    pub(super) dirty: Vec<u32>,
    pub(super) is_dirty: Vec<bool>,
    /// Module addresses whose change counter moved: their blocks are read this cycle.
    pub(super) to_read: Vec<u16>,
    /// Groups whose group counter moved this cycle: their module counters are read.
    pub(super) groups_moved: Vec<u16>,
    pub(super) pickers_dirty: bool,
    /// Highest used order slot seen, to read the used prefix of the board every cycle.
    pub(super) board_high: usize,
    pub(super) board_rolling: usize,
    /// Start of this cycle's window into a long used part of the board.
    pub(super) board_window: usize,
    /// Next read of the rolling consistency sweep (an index into `plan.modules`).
    pub(super) sweep_at: usize,
    /// The next cycle reads every module (first cycle, after a reconnect, stale or frozen).
    pub(super) full_next: bool,
    /// Optional blocks the controller answered with an exception (not read until reconnect).
    pub(super) missing: Vec<Block>,
    /// Module-block reads that failed, by first address, so each is reported once.
    pub(super) failing: Vec<u16>,
    /// Change counter at the last cycle.
    pub(super) last_counter: Option<u16>,
    /// Heartbeat value and when it last changed.
    pub(super) heartbeat: Option<(u16, Instant)>,
    pub(super) health: ControllerHealth,
    /// Start of the last complete cycle: the data is at least this old.
    pub(super) last_fresh: Option<Instant>,
    /// Requests made over earlier connections (health counts all of them).
    pub(super) requests_before: u64,
    pub(super) first_poll: bool,
}

impl Poller {
    pub(super) fn new(target: Target) -> Self {
        let image = Image::for_plan(&target.plan);
        let n = target.modules.len();
        let pickers = match (&target.map.pickers, target.plan.span(Block::Pickers)) {
            (Some(b), Some(s)) => s.len as usize / usize::from(b.stride.max(1)),
            _ => 0,
        };
        let slots = match (&target.map.orders, target.plan.board.is_empty()) {
            (Some(o), false) => usize::from(o.max),
            _ => 0,
        };
        let span = target.modules.last().map_or(0, |(a, _)| usize::from(*a) + 1);
        let mut by_address = vec![u32::MAX; span];
        for (k, (a, _)) in target.modules.iter().enumerate() {
            by_address[usize::from(*a)] = k as u32;
        }
        Self {
            image,
            by_address,
            dirty: Vec::with_capacity(n),
            is_dirty: vec![false; n],
            to_read: Vec::with_capacity(n),
            groups_moved: Vec::new(),
            pickers_dirty: false,
            modules: vec![ModuleReading::default(); n],
            pickers: vec![PickerReading::default(); pickers],
            orders: vec![OrderSlot::default(); slots],
            board_high: 0,
            board_rolling: 0,
            board_window: 0,
            sweep_at: 0,
            full_next: true,
            missing: Vec::new(),
            failing: Vec::new(),
            last_counter: None,
            heartbeat: None,
            health: ControllerHealth::default(),
            last_fresh: None,
            requests_before: 0,
            first_poll: true,
            target,
        }
    }

    /// Board reads this cycle: the used part (up to the highest used slot; a window of
    /// [`BOARD_READS`] of it per cycle when it is longer), plus one rolling read beyond it, so an
    /// idle board costs one read per cycle and a busy one a bounded few.
    pub(super) fn board_reads(&mut self, out: &mut Vec<Read>) {
        let board = &self.target.plan.board;
        let Some(orders) = &self.target.map.orders else { return };
        if board.is_empty() || self.missing.contains(&Block::Orders) {
            return;
        }
        let stride = usize::from(orders.stride.max(1));
        let slots_per_read = (usize::from(board[0].count) / stride).max(1);
        let used = (self.board_high / slots_per_read + 1).min(board.len());
        if used <= BOARD_READS {
            out.extend_from_slice(&board[..used]);
        } else {
            // A busy board is read a window per cycle, so it never slows the lights down.
            for k in 0..BOARD_READS {
                out.push(board[(self.board_window + k) % used]);
            }
            self.board_window = (self.board_window + BOARD_READS) % used;
        }
        if used < board.len() {
            let tail = board.len() - used;
            self.board_rolling = (self.board_rolling + 1) % tail;
            out.push(board[used + self.board_rolling]);
        }
    }

    /// Stores a read and marks the modules (and pickers) whose registers changed; a moved
    /// change counter queues that module's blocks for reading.
    pub(super) fn store(&mut self, r: Read, values: &[u16]) {
        let (cs, ss) = (
            usize::from(self.target.image_map.module_commands.stride),
            usize::from(self.target.image_map.module_status.stride),
        );
        let Self { image, by_address, dirty, is_dirty, pickers_dirty, to_read, groups_moved, .. } = self;
        image.store(r.table, r.image, values, |block, o0, o1| {
            let addresses = match block {
                Block::Commands => o0 / cs.max(1)..(o1 - 1) / cs.max(1) + 1,
                Block::Status => o0 / ss.max(1)..(o1 - 1) / ss.max(1) + 1,
                Block::ConfirmLatch | Block::ShortageLatch | Block::Online => o0..o1,
                Block::Changes => {
                    to_read.extend(
                        (o0..o1)
                            .filter(|&a| by_address.get(a).is_some_and(|&k| k != u32::MAX))
                            .map(|a| a as u16),
                    );
                    0..0
                }
                Block::ChangeGroups => {
                    groups_moved.extend(o0 as u16..o1 as u16);
                    0..0
                }
                Block::Pickers => {
                    *pickers_dirty = true;
                    0..0
                }
                Block::Header | Block::Orders => 0..0,
            };
            for a in addresses {
                if let Some(&k) = by_address.get(a)
                    && k != u32::MAX
                    && !is_dirty[k as usize]
                {
                    is_dirty[k as usize] = true;
                    dirty.push(k);
                }
            }
        });
    }

    /// Marks the modules of a failed module-block read offline (their data is not current).
    pub(super) fn modules_failed(&mut self, r: Read, outbox: &mut Outbox) {
        let (base, stride) = match r.block {
            Block::Commands => {
                (self.target.image_map.module_commands.base, self.target.image_map.module_commands.stride)
            }
            _ => (self.target.image_map.module_status.base, self.target.image_map.module_status.stride),
        };
        let first = usize::from(r.image.saturating_sub(base)) / usize::from(stride.max(1));
        let count = usize::from(r.count) / usize::from(stride.max(1));
        for a in first..first + count {
            if let Some(&k) = self.by_address.get(a)
                && k != u32::MAX
            {
                let (_, module) = self.target.modules[k as usize];
                let m = &mut self.modules[k as usize];
                if m.online || !m.stale {
                    m.online = false;
                    m.stale = true;
                    outbox.publish(LinkMessage::Module { module, reading: *m });
                }
            }
        }
    }

    pub(super) fn publish_changes(&mut self, board: &[(Read, Vec<u16>)], outbox: &mut Outbox) {
        let (map, image_map) = (&self.target.map, &self.target.image_map);
        // Only modules whose registers changed are decoded; all of them on the first poll and
        // on the first after the data was not current (to clear the stale mark).
        let untrusted = self.health.stale || self.health.frozen;
        if self.first_poll || untrusted || self.modules.iter().any(|m| m.stale) {
            self.dirty.clear();
            self.dirty.extend(0..self.target.modules.len() as u32);
        }
        for i in 0..self.dirty.len() {
            let k = self.dirty[i] as usize;
            self.is_dirty[k] = false;
            let (address, module) = self.target.modules[k];
            if self.failing_module(address) {
                continue;
            }
            let mut reading = decode_module(map, image_map, &self.image, address);
            // A frozen controller still answers, but its registers are not current: what is
            // read stays greyed until the heartbeat moves again.
            reading.stale = self.health.frozen;
            let prev = self.modules[k];
            if reading != prev || self.first_poll {
                self.modules[k] = reading;
                outbox.publish(LinkMessage::Module { module, reading });
                if reading.confirm_latch && !prev.confirm_latch && !self.first_poll {
                    outbox.publish(LinkMessage::Event(LinkEvent::Confirmed {
                        module,
                        quantity: reading.confirmed_quantity,
                    }));
                }
                if reading.shortage_latch && !prev.shortage_latch && !self.first_poll {
                    let e = LinkEvent::Shortage {
                        module,
                        asked: reading.quantity,
                        picked: reading.confirmed_quantity,
                    };
                    outbox.publish(LinkMessage::Event(e));
                }
            }
        }
        self.dirty.clear();
        let pickers_dirty = std::mem::take(&mut self.pickers_dirty) || self.first_poll;
        for i in (0..self.pickers.len()).filter(|_| pickers_dirty) {
            let reading = decode_picker(map, &self.image, i as u16);
            if reading != self.pickers[i] || self.first_poll {
                self.pickers[i] = reading;
                outbox.publish(LinkMessage::Picker { picker: i as u16, reading });
            }
        }
        if let Some(o) = &map.orders {
            let stride = usize::from(o.stride.max(1));
            for (r, values) in board {
                let first_slot = (usize::from(r.start) - usize::from(o.base)) / stride;
                for (k, regs) in values.chunks(stride).enumerate() {
                    let slot = first_slot + k;
                    let Some(prev) = self.orders.get(slot).copied() else { continue };
                    let order = decode_order(map, regs);
                    if order.is_used() {
                        self.board_high = self.board_high.max(slot);
                    }
                    if order != prev {
                        self.orders[slot] = order;
                        outbox.publish(LinkMessage::Order { slot: slot as u16, order });
                    }
                }
            }
        }
        // Let the used prefix shrink when its top slots empty out.
        while self.board_high > 0 && !self.orders.get(self.board_high).is_some_and(OrderSlot::is_used) {
            self.board_high -= 1;
        }
        self.first_poll = false;
    }

    /// Whether module `address` sits in a module-block read that currently fails.
    fn failing_module(&self, address: u16) -> bool {
        if self.failing.is_empty() {
            return false;
        }
        let p = &self.target.plan;
        p.modules
            .iter()
            .zip(&p.module_ranges)
            .any(|(r, &(a0, a1))| (a0..a1).contains(&address) && self.failing.contains(&r.image))
    }

    /// Copies the header's status word and clock into the health report.
    pub(super) fn read_header_health(&mut self) {
        let Some(h) = &self.target.map.header else { return };
        let header = self.image.block(Block::Header);
        let f = |off: Option<u16>| off.and_then(|o| header.get(usize::from(o)).copied()).unwrap_or(0);
        self.health.status = f(Some(h.status));
        self.health.clock_s = h.clock_s.map_or(0, |c| codes::registers_to_u32([f(Some(c)), f(Some(c + 1))]));
        self.health.clock_speed = f(h.clock_speed);
    }

    pub(super) fn publish_health(&mut self, outbox: &SharedOutbox) {
        let mut o = outbox.lock().unwrap_or_else(PoisonError::into_inner);
        self.health.coalesced =
            o.coalesced.load(std::sync::atomic::Ordering::Relaxed).min(u64::from(u32::MAX)) as u32;
        o.publish(LinkMessage::Health { controller: self.target.index, health: Box::new(self.health) });
        o.ship();
    }

    /// Copies the pool's latency figures into the health report.
    pub(super) fn take_latency(&mut self, pool: &mut Pool) {
        let (p50, p99) = pool.latency.percentiles();
        self.health.latency_p50_us = p50;
        self.health.latency_p99_us = p99;
        self.health.requests = (self.requests_before + pool.latency.requests) as u32;
    }
}
