//! One poll cycle, change-driven: the header first (heartbeat, change counter), the change
//! counters and bitmaps only when the counter moved, then the blocks of the modules whose
//! counter moved, plus a few reads of a rolling full sweep so every module is re-read about once
//! a minute for consistency. A controller without change counters is swept in full each cycle.
//! An exception degrades only the block it concerns.

use super::*;

/// A full consistency sweep should complete within this, however long the cycles take.
pub(super) const FULL_SWEEP: Duration = Duration::from_secs(60);

impl Poller {
    /// Whether this cycle can rely on change counters.
    fn change_driven(&self) -> bool {
        !self.full_next && !self.target.plan.changes.is_empty() && !self.missing.contains(&Block::Changes)
    }

    /// Reads of the rolling consistency sweep this cycle.
    fn sweep_reads(&mut self, out: &mut Vec<Read>) {
        let all = &self.target.plan.modules;
        if all.is_empty() {
            return;
        }
        // Cycles slower than the interval (a slow device) get a larger share each.
        let period = self.target.interval.as_millis().max(u128::from(self.health.cycle_ms)).max(1);
        let cycles = (FULL_SWEEP.as_millis() / period).max(1) as usize;
        let k = all.len().div_ceil(cycles).max(1);
        for _ in 0..k.min(all.len()) {
            out.push(all[self.sweep_at % all.len()]);
            self.sweep_at = (self.sweep_at + 1) % all.len();
        }
    }

    /// Runs `reads` over the pool, watching staleness while they take, and stores the answers.
    async fn batch(
        &mut self,
        pool: &mut Pool,
        reads: &[Read],
        outbox: &SharedOutbox,
        keep: &mut Vec<(Read, Vec<u16>)>,
    ) -> Result<(), PollError> {
        if reads.is_empty() {
            return Ok(());
        }
        let results = {
            let run = pool.run(reads);
            tokio::pin!(run);
            loop {
                tokio::select! {
                    results = &mut run => break results,
                    () = tokio::time::sleep(self.target.interval) => self.check_stale(outbox),
                }
            }
        };
        let mut o = outbox.lock().unwrap_or_else(PoisonError::into_inner);
        for (&r, result) in reads.iter().zip(results) {
            match result {
                Ok(values) => {
                    if r.block == Block::Orders {
                        keep.push((r, values));
                        continue;
                    }
                    if !r.block.optional() {
                        self.failing.retain(|&a| a != r.image);
                    }
                    self.store(r, &values);
                }
                Err(PollError::Exception { function, code, address }) => {
                    self.health.exceptions = self.health.exceptions.saturating_add(1);
                    self.block_failed(r, function, code, address, &mut o);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// An exception to one read: optional blocks are dropped (with an alarm naming block,
    /// address and exception) until the next connection; module blocks mark their modules
    /// offline and are retried every cycle.
    fn block_failed(&mut self, r: Read, function: u8, code: u8, address: u16, o: &mut Outbox) {
        let controller = self.target.index;
        if r.block.optional() {
            if self.missing.contains(&r.block) {
                return;
            }
            self.missing.push(r.block);
            self.health.missing_blocks |= 1 << r.block as u16;
            tracing::warn!(
                controller = %self.target.name,
                "block `{}` answered exception {code:02X} to function {function:02X} at address {address}: \
                 working without it",
                r.block.name()
            );
            match r.block {
                // Latches fall back to the module state, online to "answers".
                Block::ConfirmLatch | Block::ShortageLatch => {
                    self.image.remove(Block::ConfirmLatch);
                    self.image.remove(Block::ShortageLatch);
                    self.full_next = true;
                }
                Block::Online => self.image.remove(Block::Online),
                Block::Changes => self.full_next = true,
                // No heartbeat, no change counter: swept in full, liveness by answers only.
                Block::Header => self.image.remove(Block::Header),
                _ => {}
            }
            o.publish(LinkMessage::Event(LinkEvent::BlockMissing {
                controller,
                block: r.block,
                function,
                code,
                address,
            }));
            return;
        }
        if !self.failing.contains(&r.image) {
            self.failing.push(r.image);
            tracing::warn!(controller = %self.target.name, "exception {code:02X} to function {function:02X} at address {address}");
            o.publish(LinkMessage::Event(LinkEvent::Exception { controller, function, code, address }));
        }
        self.modules_failed(r, o);
    }

    /// One cycle. `Ok(true)`: every module's changed data was read, so the data is as fresh as
    /// the cycle's start; `Ok(false)`: some module blocks answered with exceptions (those
    /// modules are offline, the controller is not fresh).
    pub(super) async fn cycle(&mut self, pool: &mut Pool, outbox: &SharedOutbox) -> Result<bool, PollError> {
        // Shared, not copied: the plan has hundreds of reads and this runs every cycle.
        let plan = Arc::clone(&self.target.plan);
        let mut board = Vec::new();
        let mut reads = Vec::new();
        // Round 1: header, pickers, board, the sweep's share.
        if let Some(h) = plan.header.filter(|_| !self.missing.contains(&Block::Header)) {
            reads.push(h);
        }
        if !self.missing.contains(&Block::Pickers) {
            reads.extend_from_slice(&plan.pickers);
        }
        let groups = !plan.change_groups.is_empty() && !self.missing.contains(&Block::ChangeGroups);
        if groups {
            reads.extend_from_slice(&plan.change_groups);
        }
        self.groups_moved.clear();
        self.board_reads(&mut reads);
        let change_driven = self.change_driven();
        if change_driven {
            self.sweep_reads(&mut reads);
        }
        self.batch(pool, &reads, outbox, &mut board).await?;
        self.check_heartbeat(outbox);
        let counter = self.change_counter();
        // Group counters (when the controller has them) say which counters to read; else the
        // header's counter says whether to read them all.
        let groups = groups && !self.missing.contains(&Block::ChangeGroups);
        let moved = if groups {
            !self.groups_moved.is_empty()
        } else {
            counter.is_none() || counter != self.last_counter
        };
        // Round 2: change counters and bitmaps when something changed; everything otherwise.
        reads.clear();
        let bits = |p: &Poller, out: &mut Vec<Read>| {
            out.extend(plan.bits.iter().filter(|r| !p.missing.contains(&r.block)).copied());
        };
        if change_driven {
            if moved && groups {
                let mut moved_groups = std::mem::take(&mut self.groups_moved);
                moved_groups.sort_unstable();
                moved_groups.dedup();
                reads.extend(moved_groups.iter().filter_map(|&g| plan.changes.get(usize::from(g))).copied());
                self.groups_moved = moved_groups;
                bits(self, &mut reads);
            } else if moved {
                reads.extend_from_slice(&plan.changes);
                bits(self, &mut reads);
            }
        } else {
            if !self.missing.contains(&Block::Changes) {
                reads.extend_from_slice(&plan.changes);
            }
            bits(self, &mut reads);
            reads.extend_from_slice(&plan.modules);
        }
        self.to_read.clear();
        self.batch(pool, &reads, outbox, &mut board).await?;
        // Round 3: the modules whose counter moved.
        if change_driven && !self.to_read.is_empty() {
            let mut addresses = std::mem::take(&mut self.to_read);
            addresses.sort_unstable();
            addresses.dedup();
            reads.clear();
            plan.module_reads(&self.target.map, &self.target.image_map, &addresses, &mut reads);
            self.batch(pool, &reads, outbox, &mut board).await?;
            self.to_read = addresses;
        }
        self.last_counter = counter;
        self.full_next = false;
        let mut o = outbox.lock().unwrap_or_else(PoisonError::into_inner);
        self.publish_changes(&board, &mut o);
        o.ship();
        Ok(self.failing.is_empty())
    }

    /// The header's change counter, where the map and the controller have one.
    fn change_counter(&self) -> Option<u16> {
        let h = self.target.map.header.as_ref()?;
        self.image.has(Block::Header).then_some(())?;
        self.image.block(Block::Header).get(usize::from(h.change_counter?)).copied()
    }
}
