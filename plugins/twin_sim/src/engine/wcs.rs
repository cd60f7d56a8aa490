//! The simulated WCS host: releases orders, assigns them to pickers, lights their lines through
//! module command writes, and acknowledges and turns off latched modules.

use super::*;

impl Engine {
    pub(super) fn choose_zone(&mut self) -> Option<u16> {
        let layout = &self.site.layout;
        let has = |z: usize, zones: &[ZonePick]| !zones[z].fast.is_empty();
        let of_kind = |kind: ZoneKind| {
            layout
                .zones
                .iter()
                .enumerate()
                .filter(|&(z, zone)| zone.kind == kind && has(z, &self.zones))
                .map(|(z, _)| z)
                .next()
        };
        let roll = self.rng.unit();
        if roll < self.config.cold_share
            && let Some(z) = of_kind(ZoneKind::ColdChain)
        {
            return Some(z as u16);
        }
        if roll < self.config.cold_share + self.config.secure_share
            && let Some(z) = of_kind(ZoneKind::Secure)
        {
            return Some(z as u16);
        }
        let candidates: Vec<(usize, f64)> = layout
            .zones
            .iter()
            .enumerate()
            .filter(|&(z, zone)| {
                has(z, &self.zones) && !matches!(zone.kind, ZoneKind::ColdChain | ZoneKind::Secure)
            })
            .map(|(z, _)| (z, self.zones[z].weight))
            .collect();
        let total: f64 = candidates.iter().map(|c| c.1).sum();
        let mut x = self.rng.unit() * total;
        for (z, w) in &candidates {
            if x < *w {
                return Some(*z as u16);
            }
            x -= w;
        }
        candidates.last().map(|c| c.0 as u16).or_else(|| of_kind(ZoneKind::ColdChain).map(|z| z as u16))
    }

    pub(super) fn release_order(&mut self) {
        if self.pending.iter().map(Vec::len).sum::<usize>() >= self.config.max_backlog {
            self.held_back += 1;
            return;
        }
        let Some(zone) = self.choose_zone() else { return };
        // 1–12 lines, most orders short: P(n) ∝ 0.72^(n-1).
        let mut lines_n = 1;
        while lines_n < 12 && self.rng.chance(0.72) {
            lines_n += 1;
        }
        let priority = {
            let r = self.rng.unit();
            if r < self.config.emergency_share {
                2
            } else if r < self.config.emergency_share + self.config.express_share {
                1
            } else {
                0
            }
        };
        let mut lines: Vec<Line> = Vec::with_capacity(lines_n);
        for _ in 0..lines_n {
            for _attempt in 0..10 {
                let zp = &self.zones[usize::from(zone)];
                let from_fast = self.rng.chance(0.8) || zp.slow.is_empty();
                let list = if from_fast { &zp.fast } else { &zp.slow };
                let module = list[self.rng.below(list.len())];
                if lines.iter().all(|l| l.module != module) {
                    let mut quantity = 1;
                    while quantity < 12 && self.rng.chance(0.45) {
                        quantity += 1;
                    }
                    lines.push(Line {
                        module,
                        quantity,
                        job: self.next_job,
                        state: LineState::Waiting,
                        confirmed: 0,
                    });
                    self.next_job = self.next_job.wrapping_add(1);
                    break;
                }
            }
        }
        // Walk order: aisle by aisle, along each aisle.
        let key = |l: &Line, s: &Self| {
            let m = &s.site.modules[l.module as usize];
            let a = s.module_aisle[l.module as usize];
            let along = if s.aisles.get(a as usize).is_none_or(|g| g.along_x) {
                m.position[0]
            } else {
                m.position[1]
            };
            (a, (along * 100.0) as i64)
        };
        lines.sort_by_key(|l| key(l, self));
        let id = self.next_order;
        self.next_order = self.next_order.wrapping_add(1);
        let slot = self.board.iter().position(Option::is_none);
        if let Some(s) = slot {
            self.board[s] = Some(id);
        } else if !self.board_full_warned && !self.board.is_empty() {
            self.board_full_warned = true;
            tracing::warn!("order board full: new orders are simulated but not published");
        }
        let n = lines.len() as u16;
        self.orders.insert(
            id,
            Order {
                id,
                zone,
                priority,
                released_ms: self.now_ms,
                lines,
                picker: None,
                status: OrderStatus::Pending,
                slot,
                done_ms: None,
                picked_by: None,
            },
        );
        self.pending[usize::from(zone)].push(id);
        self.publish_order(id);
        self.emit(SimEvent::OrderReleased { order: id, zone, lines: n, priority });
    }

    pub(super) fn assign_orders(&mut self) {
        for i in 0..self.pickers.len() {
            if self.pickers[i].task != Task::Idle {
                continue;
            }
            let Some(zone) = self.pickers[i].zone else { continue };
            let queue = &self.pending[usize::from(zone)];
            // Highest priority first, then oldest.
            let best = queue
                .iter()
                .enumerate()
                .max_by_key(|&(k, id)| (self.orders.get(id).map_or(0, |o| o.priority), std::cmp::Reverse(k)))
                .map(|(k, &id)| (k, id));
            let Some((k, id)) = best else { continue };
            self.pending[usize::from(zone)].remove(k);
            if let Some(o) = self.orders.get_mut(&id) {
                o.picker = Some(i);
                o.picked_by = Some(i);
                o.status = OrderStatus::Active;
            }
            self.pickers[i].task = Task::Decide { order: id };
            self.emit(SimEvent::OrderAssigned { order: id, picker: i as u16 });
            self.light_lines(id);
            self.publish_order(id);
        }
        // Lines waiting for a module another order holds.
        let waiting: Vec<u32> = self
            .orders
            .values()
            .filter(|o| {
                o.status == OrderStatus::Active && o.lines.iter().any(|l| l.state == LineState::Waiting)
            })
            .map(|o| o.id)
            .collect();
        let mut waiting = waiting;
        waiting.sort_unstable();
        for id in waiting {
            self.light_lines(id);
        }
    }

    /// Lights every waiting line of an order whose module is free.
    pub(super) fn light_lines(&mut self, id: u32) {
        let Some(order) = self.orders.get(&id) else { return };
        let colour = order.picker.map_or(0, |p| (p % codes::COLOURS.len()) as u16);
        let todo: Vec<(usize, ModuleIndex, u16, u32)> = order
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.state == LineState::Waiting && !self.lit_by.contains_key(&l.module))
            .map(|(k, l)| (k, l.module, l.quantity, l.job))
            .collect();
        for (k, module, quantity, job) in todo {
            self.command(module, Mode::Pick, quantity, colour, job);
            self.lit_by.insert(module, (id, k));
            if let Some(o) = self.orders.get_mut(&id) {
                o.lines[k].state = LineState::Lit;
            }
            let module_id = self.site.modules[module as usize].id.0;
            self.emit(SimEvent::LineLit { order: id, module: module_id, quantity });
        }
    }

    /// Writes a module's whole command block with a new sequence number, as a host does.
    pub(super) fn command(&mut self, module: ModuleIndex, mode: Mode, quantity: u16, colour: u16, job: u32) {
        let m = &self.site.modules[module as usize];
        let seq = &mut self.sequence[module as usize];
        *seq = seq.wrapping_add(1);
        let command = Command { mode, quantity, location: &m.location, colour, job, sequence: *seq };
        let controller = &self.controllers[usize::from(m.controller)];
        if let Err(e) = lock(controller).command(m.address, command) {
            tracing::error!(module = m.id.0, "simulated WCS could not write a module command: {e}");
        }
    }

    /// The host side: sees latched modules, acknowledges them and turns them off.
    pub(super) fn process_latches(&mut self) {
        let mut lit: Vec<(ModuleIndex, u32, usize)> =
            self.lit_by.iter().map(|(&m, &(o, k))| (m, o, k)).collect();
        lit.sort_unstable();
        for (module, id, k) in lit {
            let m = &self.site.modules[module as usize];
            let (address, controller) = (m.address, usize::from(m.controller));
            let done = {
                let mut c = lock(&self.controllers[controller]);
                if !c.latched(address) {
                    continue;
                }
                let state = c.module_state(address);
                let picked = c.confirmed_quantity(address);
                let _ = c.acknowledge(address);
                (state, picked)
            };
            self.command(module, Mode::Off, 0, 0, 0);
            self.lit_by.remove(&module);
            let Some(order) = self.orders.get_mut(&id) else { continue };
            let asked = order.lines[k].quantity;
            order.lines[k].state = LineState::Done;
            let picked = if done.0 == Some(ModuleState::Shortage) { done.1 } else { asked };
            order.lines[k].confirmed = picked;
            let all_done = order.lines.iter().all(|l| l.state == LineState::Done);
            if all_done {
                order.status = OrderStatus::Done;
                order.done_ms = Some(self.now_ms);
            }
            let module_id = self.site.modules[module as usize].id.0;
            self.emit(SimEvent::LineDone { order: id, module: module_id, asked, picked });
            if all_done {
                self.emit(SimEvent::OrderPicked { order: id });
                self.board_free_at.push_back((self.now_ms + self.config.board_keep_s * 1000, id));
            }
            self.publish_order(id);
        }
    }

    pub(super) fn cleanup_board(&mut self) {
        while let Some(&(at, id)) = self.board_free_at.front() {
            if at > self.now_ms {
                break;
            }
            self.board_free_at.pop_front();
            if let Some(order) = self.orders.remove(&id)
                && let Some(slot) = order.slot
            {
                self.board[slot] = None;
                self.write_board_slot(slot, None);
            }
        }
    }
}
