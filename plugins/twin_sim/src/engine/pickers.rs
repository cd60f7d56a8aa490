//! The pickers: shifts and breaks, walking their routes, picking, and pressing confirm.

use super::*;

impl Engine {
    pub(super) fn update_shifts(&mut self) {
        let day_s = (self.now_ms % DAY_MS) / 1000;
        for i in 0..self.pickers.len() {
            let p = &self.pickers[i];
            let on_shift = (p.shift.0..p.shift.1).contains(&day_s);
            let on_break =
                p.breaks.iter().find(|(start, min)| (*start..start + min * 60).contains(&day_s)).copied();
            let next = match p.task {
                Task::Absent if on_shift && on_break.is_none() => Some(Task::Idle),
                Task::Idle if !on_shift => Some(Task::Absent),
                Task::Idle => on_break.map(|(start, min)| Task::Break {
                    until_ms: self.now_ms + (start + min * 60 - day_s) * 1000,
                }),
                Task::Break { until_ms } if self.now_ms >= until_ms => Some(Task::Idle),
                _ => None,
            };
            if let Some(task) = next {
                self.pickers[i].task = task;
                let state = match task {
                    Task::Absent => PickerState::Absent,
                    Task::Break { .. } => PickerState::Break,
                    _ => PickerState::Idle,
                };
                self.emit(SimEvent::PickerShift { picker: i as u16, state });
            }
        }
    }

    pub(super) fn move_pickers(&mut self) {
        let step_m = self.config.walk_speed * STEP_MS as f32 / 1000.0;
        for i in 0..self.pickers.len() {
            // Walk along the path.
            let mut left = step_m;
            while left > 0.0 {
                let p = &mut self.pickers[i];
                let Some(&target) = p.path.front() else { break };
                let (dx, dy) = (target[0] - p.pos[0], target[1] - p.pos[1]);
                let dist = (dx * dx + dy * dy).sqrt();
                if dist > 1e-4 {
                    p.heading = dy.atan2(dx);
                }
                if dist <= left {
                    p.pos = target;
                    p.path.pop_front();
                    left -= dist;
                } else {
                    p.pos = [p.pos[0] + dx / dist * left, p.pos[1] + dy / dist * left];
                    left = 0.0;
                }
            }
            if !self.pickers[i].path.is_empty() {
                continue;
            }
            match self.pickers[i].task {
                Task::ToLine { order, line } => {
                    let (lo, hi) = self.config.pick_s;
                    let until_ms = self.now_ms + (self.rng.range(lo, hi) * 1000.0) as u64;
                    self.pickers[i].task = Task::Picking { order, line, until_ms };
                }
                Task::Picking { order, line, until_ms } if self.now_ms >= until_ms => {
                    self.press(i, order, line);
                    self.pickers[i].task = Task::Decide { order };
                }
                Task::Decide { order } => self.decide(i, order),
                Task::ToStation { order } => {
                    let (lo, hi) = self.config.pack_s;
                    let until_ms = self.now_ms + (self.rng.range(lo, hi) * 1000.0) as u64;
                    self.pickers[i].task = Task::Packing { until_ms };
                    if let Some(o) = self.orders.get_mut(&order) {
                        o.picker = None;
                    }
                    self.publish_order(order);
                }
                Task::Packing { until_ms } if self.now_ms >= until_ms => self.pickers[i].task = Task::Idle,
                _ => {}
            }
        }
    }

    /// Next move for a picker holding `order`: the next lit line, the station, or wait.
    pub(super) fn decide(&mut self, picker: usize, id: u32) {
        let Some(order) = self.orders.get(&id) else {
            self.pickers[picker].task = Task::Idle;
            return;
        };
        if order.lines.iter().all(|l| l.state == LineState::Done) {
            let to = self.station_point(picker);
            self.walk_to(picker, to, None);
            self.pickers[picker].task = Task::ToStation { order: id };
            return;
        }
        let next = order.lines.iter().position(|l| l.state == LineState::Lit);
        if let Some(k) = next {
            let module = order.lines[k].module;
            let (to, aisle) = self.stand_point(module);
            self.walk_to(picker, to, aisle);
            self.pickers[picker].task = Task::ToLine { order: id, line: k };
        }
        // Otherwise every remaining line waits for a module another order holds: stay.
    }

    /// The picker takes the goods and presses confirm (sometimes short, sometimes after
    /// pressing a wrong module first).
    pub(super) fn press(&mut self, picker: usize, id: u32, k: usize) {
        let Some(line) = self.orders.get(&id).and_then(|o| o.lines.get(k)).cloned() else { return };
        let m = &self.site.modules[line.module as usize];
        let controller = usize::from(m.controller);
        if self.rng.chance(self.config.mispick_rate) {
            // A neighbour on the same controller, if there is one.
            let plan = &self.site.controllers[controller];
            if let Some(pos) = plan.modules.iter().position(|&x| x == line.module) {
                let other = if pos + 1 < plan.modules.len() {
                    plan.modules[pos + 1]
                } else if pos > 0 {
                    plan.modules[pos - 1]
                } else {
                    line.module
                };
                if other != line.module && !self.lit_by.contains_key(&other) {
                    let om = &self.site.modules[other as usize];
                    lock(&self.controllers[controller]).press(om.address, line.quantity);
                    let module = om.id.0;
                    self.emit(SimEvent::MisPick { picker: picker as u16, module });
                }
            }
        }
        let picked = if self.rng.chance(self.config.shortage_rate) && line.quantity > 0 {
            self.rng.below(usize::from(line.quantity)) as u16
        } else {
            line.quantity
        };
        let address = self.site.modules[line.module as usize].address;
        lock(&self.controllers[controller]).press(address, picked);
    }
}
