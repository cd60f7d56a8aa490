//! What the WCS publishes on the first controller: order board slots and picker positions.

use super::*;

impl Engine {
    pub(super) fn publish_order(&mut self, id: u32) {
        if self.wms.is_some() {
            self.wms_dirty.insert(id);
        }
        let Some(order) = self.orders.get(&id) else { return };
        let Some(slot) = order.slot else { return };
        let order = order.clone();
        self.write_board_slot(slot, Some(&order));
    }

    pub(super) fn write_board_slot(&self, slot: usize, order: Option<&Order>) {
        let Some(o) = self.site.controller_map(0).and_then(|m| m.orders.as_ref()) else { return };
        let mut block = vec![0u16; usize::from(o.stride)];
        if let Some(order) = order {
            let [hi, lo] = codes::u32_to_registers(order.id);
            block[usize::from(o.order_id)] = hi;
            block[usize::from(o.order_id) + 1] = lo;
            block[usize::from(o.zone)] = order.zone;
            block[usize::from(o.lines_total)] = order.lines.len() as u16;
            block[usize::from(o.lines_done)] =
                order.lines.iter().filter(|l| l.state == LineState::Done).count() as u16;
            block[usize::from(o.priority)] = order.priority;
            block[usize::from(o.status)] = order.status as u16;
            block[usize::from(o.picker)] = order.picker.map_or(codes::NO_PICKER, |p| p as u16);
            let [hi, lo] = codes::u32_to_registers((order.released_ms / 1000) as u32);
            block[usize::from(o.release_time_s)] = hi;
            block[usize::from(o.release_time_s) + 1] = lo;
            // Lines get consecutive job ids when the order is made (then sorted in walk order).
            let [hi, lo] = codes::u32_to_registers(order.lines.iter().map(|l| l.job).min().unwrap_or(0));
            block[usize::from(o.first_job)] = hi;
            block[usize::from(o.first_job) + 1] = lo;
        }
        let start = usize::from(o.base) + slot * usize::from(o.stride);
        lock(&self.controllers[0]).poke_holding(start, &block);
    }

    pub(super) fn publish_pickers(&mut self) {
        let Some(b) = self.site.controller_map(0).and_then(|m| m.pickers.clone()) else { return };
        let mut c = lock(&self.controllers[0]);
        for (i, p) in self.pickers.iter().enumerate().take(usize::from(b.max)) {
            let mut block = vec![0u16; usize::from(b.stride)];
            block[usize::from(b.x_cm)] = (p.pos[0] * 100.0).clamp(0.0, 65535.0) as u16;
            block[usize::from(b.y_cm)] = (p.pos[1] * 100.0).clamp(0.0, 65535.0) as u16;
            block[usize::from(b.heading_cdeg)] =
                (p.heading.to_degrees().rem_euclid(360.0) * 100.0) as u16 % 36000;
            let state = match p.task {
                Task::Idle => PickerState::Idle,
                Task::Absent => PickerState::Absent,
                Task::Break { .. } => PickerState::Break,
                Task::ToLine { .. } | Task::ToStation { .. } => PickerState::Walking,
                Task::Picking { .. } | Task::Decide { .. } => PickerState::Picking,
                Task::Packing { .. } => PickerState::Packing,
            };
            block[usize::from(b.state)] = state as u16;
            let order = match p.task {
                Task::ToLine { order, .. }
                | Task::Picking { order, .. }
                | Task::Decide { order }
                | Task::ToStation { order } => order,
                _ => 0,
            };
            let [hi, lo] = codes::u32_to_registers(order);
            block[usize::from(b.order_id)] = hi;
            block[usize::from(b.order_id) + 1] = lo;
            c.poke_input(usize::from(b.base) + i * usize::from(b.stride), &block);
        }
    }
}
