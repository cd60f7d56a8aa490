//! One controller's session: its register image, the cycle of reads, change detection and
//! decoding, staleness and the health it reports.

use super::*;

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
    pub(super) pickers_dirty: bool,
    /// Highest used order slot seen, to read the used prefix of the board every cycle.
    pub(super) board_high: usize,
    pub(super) board_rolling: usize,
    pub(super) health: ControllerHealth,
    pub(super) last_good: Option<Instant>,
    pub(super) latency: Latency,
    pub(super) first_poll: bool,
}

impl Poller {
    pub(super) fn new(target: Target) -> Self {
        let image = Image::for_plan(&target.plan);
        let n = target.modules.len();
        let pickers = target
            .plan
            .span(Block::Pickers)
            .map_or(0, |s| s.len as usize / usize::from(target.map.pickers.stride.max(1)));
        let slots = if target.plan.board.is_empty() { 0 } else { usize::from(target.map.orders.max) };
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
            pickers_dirty: false,
            modules: vec![ModuleReading::default(); n],
            pickers: vec![PickerReading::default(); pickers],
            orders: vec![OrderSlot::default(); slots],
            board_high: 0,
            board_rolling: 0,
            health: ControllerHealth::default(),
            last_good: None,
            latency: Latency::new(),
            first_poll: true,
            target,
        }
    }

    /// Board reads this cycle: every read up to the highest used slot, plus one rolling read
    /// beyond it, so a full sweep of an idle board costs one read per cycle.
    pub(super) fn board_reads(&mut self) -> Vec<Read> {
        let board = &self.target.plan.board;
        if board.is_empty() {
            return Vec::new();
        }
        let stride = usize::from(self.target.map.orders.stride.max(1));
        let slots_per_read = (usize::from(board[0].count) / stride).max(1);
        let used = (self.board_high / slots_per_read + 1).min(board.len());
        let mut reads = board[..used].to_vec();
        if used < board.len() {
            let tail = board.len() - used;
            self.board_rolling = (self.board_rolling + 1) % tail;
            reads.push(board[used + self.board_rolling]);
        }
        reads
    }

    /// One full cycle: every planned read, then decode and publish what changed.
    pub(super) async fn cycle(
        &mut self,
        ctx: &mut Context,
        timeout: Duration,
        outbox: &SharedOutbox,
    ) -> Result<(), PollError> {
        for i in 0..self.target.plan.reads.len() {
            let r = self.target.plan.reads[i];
            let values = read(ctx, r, timeout, &mut self.latency).await?;
            self.store(r, &values);
        }
        let board_reads = self.board_reads();
        let mut board_values = Vec::with_capacity(board_reads.len());
        for r in board_reads {
            board_values.push((r, read(ctx, r, timeout, &mut self.latency).await?));
        }
        // One lock for the whole cycle's changes.
        let mut o = outbox.lock().unwrap_or_else(PoisonError::into_inner);
        self.publish_changes(board_values, &mut o);
        o.ship();
        Ok(())
    }

    /// Stores a read and marks the modules (and pickers) whose registers changed.
    pub(super) fn store(&mut self, r: Read, values: &[u16]) {
        let (cs, ss) = (
            usize::from(self.target.map.module_commands.stride),
            usize::from(self.target.map.module_status.stride),
        );
        let Self { image, by_address, dirty, is_dirty, pickers_dirty, .. } = self;
        image.store(r.table, r.start, values, |block, o0, o1| {
            let addresses = match block {
                Block::Commands => o0 / cs.max(1)..(o1 - 1) / cs.max(1) + 1,
                Block::Status => o0 / ss.max(1)..(o1 - 1) / ss.max(1) + 1,
                Block::ConfirmLatch | Block::ShortageLatch | Block::Online => o0..o1,
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

    pub(super) fn publish_changes(&mut self, board: Vec<(Read, Vec<u16>)>, outbox: &mut Outbox) {
        let map = &self.target.map;
        // Only modules whose registers changed are decoded; all of them on the first poll and
        // on the first after the controller went stale (to clear the stale mark).
        if self.first_poll || self.health.stale {
            self.dirty.clear();
            self.dirty.extend(0..self.target.modules.len() as u32);
        }
        for i in 0..self.dirty.len() {
            let k = self.dirty[i] as usize;
            self.is_dirty[k] = false;
            let (address, module) = self.target.modules[k];
            let reading = decode_module(map, &self.image, address);
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
        let stride = usize::from(map.orders.stride.max(1));
        for (r, values) in board {
            let first_slot = (usize::from(r.start) - usize::from(map.orders.base)) / stride;
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
        // Let the used prefix shrink when its top slots empty out.
        while self.board_high > 0 && !self.orders.get(self.board_high).is_some_and(OrderSlot::is_used) {
            self.board_high -= 1;
        }
        self.first_poll = false;
    }

    /// Marks every module stale (the scene greys them) once the controller has been silent for
    /// three intervals.
    pub(super) fn check_stale(&mut self, outbox: &SharedOutbox) {
        if self.health.stale {
            return;
        }
        let silent = self.last_good.is_none_or(|t| t.elapsed() > self.target.interval * 3);
        if !silent {
            return;
        }
        self.health.stale = true;
        tracing::warn!(controller = %self.target.name, "no complete poll for 3 intervals: stale");
        {
            let mut o = outbox.lock().unwrap_or_else(PoisonError::into_inner);
            o.publish(LinkMessage::Event(LinkEvent::Stale { controller: self.target.index }));
            for (k, &(_, module)) in self.target.modules.iter().enumerate() {
                self.modules[k].stale = true;
                o.publish(LinkMessage::Module { module, reading: self.modules[k] });
            }
        }
        self.publish_health(outbox);
    }

    /// Copies the header's status word and clock into the health report.
    pub(super) fn read_header_health(&mut self) {
        let h = &self.target.map.header;
        let header = self.image.block(Block::Header);
        let f = |off: u16| header.get(usize::from(off)).copied().unwrap_or(0);
        self.health.status = f(h.status);
        self.health.clock_s = codes::registers_to_u32([f(h.clock_s), f(h.clock_s + 1)]);
        self.health.clock_speed = f(h.clock_speed);
    }

    pub(super) fn publish_health(&mut self, outbox: &SharedOutbox) {
        let (p50, p99) = self.latency.percentiles();
        self.health.latency_p50_us = p50;
        self.health.latency_p99_us = p99;
        self.health.requests = self.latency.requests as u32;
        let mut o = outbox.lock().unwrap_or_else(PoisonError::into_inner);
        self.health.coalesced =
            o.coalesced.load(std::sync::atomic::Ordering::Relaxed).min(u64::from(u32::MAX)) as u32;
        o.publish(LinkMessage::Health { controller: self.target.index, health: self.health });
        o.ship();
    }
}
