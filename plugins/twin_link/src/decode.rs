//! A controller's register image, by block, and decoding modules, pickers and order slots out
//! of it through the map's code tables and text encoding.

use twin_model::codes::ModuleState;
use twin_model::register_map::{Latch, Table};
use twin_model::{RegisterMap, codes};

use crate::plan::{Block, ReadPlan};
use crate::reading::{LocationText, ModuleReading, OrderSlot, PickerReading};

/// Register and bit values of one poll cycle, by block.
#[derive(Debug, Default, Clone)]
pub struct Image {
    /// Per planned block: table, start, registers (or bits as 0/1).
    blocks: Vec<(Block, Table, u16, Vec<u16>)>,
}

impl Image {
    /// An empty image shaped like `plan`.
    pub fn for_plan(plan: &ReadPlan) -> Self {
        Self {
            blocks: plan.spans.iter().map(|s| (s.block, s.table, s.start, vec![0; s.len as usize])).collect(),
        }
    }

    /// Stores a read's registers (or bits as 0/1) starting at `start` of `table`, calling
    /// `changed(block, first, end)` for each run of values that differ from before (offsets
    /// within the block).
    pub fn store(
        &mut self,
        table: Table,
        start: u16,
        values: &[u16],
        mut changed: impl FnMut(Block, usize, usize),
    ) {
        let (r0, r1) = (usize::from(start), usize::from(start) + values.len());
        for (block, t, s, data) in &mut self.blocks {
            let (b0, b1) = (usize::from(*s), usize::from(*s) + data.len());
            if *t != table || r1 <= b0 || b1 <= r0 {
                continue;
            }
            let (o0, o1) = (r0.max(b0), r1.min(b1));
            let new = &values[o0 - r0..o1 - r0];
            let old = &mut data[o0 - b0..o1 - b0];
            if old == new {
                continue;
            }
            // Report each run of changed values, not the whole read: a change counter that
            // moved must queue its module only, not the 124 beside it.
            let mut i = 0;
            while i < new.len() {
                if old[i] == new[i] {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < new.len() && old[i] != new[i] {
                    old[i] = new[i];
                    i += 1;
                }
                changed(*block, o0 - b0 + start, o0 - b0 + i);
            }
        }
    }

    /// Whether the image holds a block.
    pub fn has(&self, block: Block) -> bool {
        self.blocks.iter().any(|b| b.0 == block)
    }

    /// Drops a block the controller turned out not to have, so decoding falls back.
    pub fn remove(&mut self, block: Block) {
        self.blocks.retain(|b| b.0 != block);
    }

    /// A block's values.
    pub fn block(&self, block: Block) -> &[u16] {
        self.blocks.iter().find(|b| b.0 == block).map_or(&[], |b| &b.3)
    }
}

/// Decodes module address `a` from an image laid out as `map.image()`, translating the
/// device's codes and text encoding into picktwin's (`image` is that layout; `map` says what
/// the values mean).
pub fn decode_module(map: &RegisterMap, image_map: &RegisterMap, image: &Image, a: u16) -> ModuleReading {
    let c = &image_map.module_commands;
    let s = &image_map.module_status;
    let cmd = image.block(Block::Commands);
    let st = image.block(Block::Status);
    let (ci, si) = (usize::from(a) * usize::from(c.stride), usize::from(a) * usize::from(s.stride));
    let cf = |off: u16| cmd.get(ci + usize::from(off)).copied().unwrap_or(0);
    let sf = |off: u16| st.get(si + usize::from(off)).copied().unwrap_or(0);
    let cof = |off: Option<u16>| off.map_or(0, cf);
    let sof = |off: Option<u16>| off.map_or(0, sf);
    let u32f = |f: &dyn Fn(u16) -> u16, off: Option<u16>| {
        off.map_or(0, |o| codes::registers_to_u32([f(o), f(o + 1)]))
    };
    let bit = |block: Block| image.block(block).get(usize::from(a)).map(|&v| v != 0);
    let loc = ci + usize::from(c.location);
    let location = cmd
        .get(loc..loc + usize::from(c.location_len))
        .map_or_else(LocationText::default, |regs| LocationText::decode(map.text, regs));
    let v = &map.values;
    let state = v.state_from_device(sf(s.state));
    let (confirm_latch, shortage_latch) = match map.latch {
        Latch::Bitmap if image.has(Block::ConfirmLatch) => {
            (bit(Block::ConfirmLatch).unwrap_or(false), bit(Block::ShortageLatch).unwrap_or(false))
        }
        // The state is the latch (or the bitmaps are missing): confirmed and short states hold
        // until the host acknowledges.
        _ => (state == ModuleState::Confirmed as u16, state == ModuleState::Shortage as u16),
    };
    ModuleReading {
        mode: v.mode_from_device(cf(c.mode)),
        quantity: cf(c.quantity),
        location,
        colour: v.colour_from_device(cf(c.colour)),
        blink: c.blink.map_or(0, |o| v.blink_from_device(cf(o))),
        blink_period_ms: cof(c.blink_period_ms),
        job: u32f(&cf, c.job_id),
        sequence: cof(c.sequence),
        applied_sequence: sof(s.applied_sequence),
        state,
        confirmed_quantity: sf(s.confirmed_quantity),
        press_count: sof(s.press_count),
        fault: sof(s.fault_code),
        confirm_latch,
        shortage_latch,
        // Without an online bitmap, a module that answers is online.
        online: bit(Block::Online).unwrap_or(true),
        stale: false,
    }
}

/// Decodes picker `i` from an image.
pub fn decode_picker(map: &RegisterMap, image: &Image, i: u16) -> PickerReading {
    let Some(p) = &map.pickers else { return PickerReading::default() };
    let data = image.block(Block::Pickers);
    let base = usize::from(i) * usize::from(p.stride);
    let f = |off: u16| data.get(base + usize::from(off)).copied().unwrap_or(0);
    PickerReading {
        x_cm: f(p.x_cm),
        y_cm: f(p.y_cm),
        heading_cdeg: f(p.heading_cdeg),
        state: f(p.state),
        order: codes::registers_to_u32([f(p.order_id), f(p.order_id + 1)]),
        inferred: false,
        stale: false,
    }
}

/// Decodes order-board slot `slot` from its registers (one stride's worth).
pub fn decode_order(map: &RegisterMap, regs: &[u16]) -> OrderSlot {
    let Some(o) = &map.orders else { return OrderSlot::default() };
    let f = |off: u16| regs.get(usize::from(off)).copied().unwrap_or(0);
    OrderSlot {
        order_id: codes::registers_to_u32([f(o.order_id), f(o.order_id + 1)]),
        zone: f(o.zone),
        lines_total: f(o.lines_total),
        lines_done: f(o.lines_done),
        priority: f(o.priority),
        status: f(o.status),
        picker: f(o.picker),
        release_s: codes::registers_to_u32([f(o.release_time_s), f(o.release_time_s + 1)]),
        // The board has no due time.
        due_s: 0,
        first_job: codes::registers_to_u32([f(o.first_job), f(o.first_job + 1)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanInput, plan};

    #[test]
    fn location_text_trims_and_sanitises() {
        let mut regs = [0u16; 4];
        codes::text_to_registers("A1-0312", &mut regs);
        assert_eq!(LocationText::from_registers(&regs).as_str(), "A1-0312");
        assert_eq!(LocationText::from_registers(&[0x4142, 0x00FF]).as_str(), "AB ?");
        assert_eq!(LocationText::from_registers(&[]).as_str(), "");
    }

    #[test]
    fn decodes_a_module_from_its_blocks() {
        let map = RegisterMap::default();
        let p = plan(&map, PlanInput { span: 4, pickers: 0, board: false });
        let mut image = Image::for_plan(&p);
        let mut block = [0u16; 12];
        block[0] = 1;
        block[1] = 7;
        codes::text_to_registers("B2-0111", &mut block[2..6]);
        block[6] = 1;
        block[9] = 0;
        block[10] = 99;
        block[11] = 5;
        let mut changes = Vec::new();
        image.store(Table::Holding, 100 + 3 * 12, &block, |b, o0, o1| changes.push((b, o0, o1)));
        image
            .store(Table::Input, 3 * 8, &[5u16, 1, 0, 0, 99, 2, 0, 0], |b, o0, o1| changes.push((b, o0, o1)));
        image.store(Table::Discrete, 8192, &[1u16, 1, 1, 1], |b, o0, o1| changes.push((b, o0, o1)));
        // Runs of changed values: the command block's zeros (blink, period, job high word) split it.
        assert_eq!(
            changes,
            vec![
                (Block::Commands, 36, 43),
                (Block::Commands, 46, 48),
                (Block::Status, 24, 26),
                (Block::Status, 28, 30),
                (Block::Online, 0, 4)
            ]
        );
        // The same values again: no change reported.
        image.store(Table::Discrete, 8192, &[1u16, 1, 1, 1], |b, _, _| panic!("{b:?} reported unchanged"));
        let r = decode_module(&map, &map, &image, 3);
        assert_eq!(
            (r.mode, r.quantity, r.location.as_str(), r.colour, r.job, r.sequence),
            (1, 7, "B2-0111", 1, 99, 5)
        );
        assert_eq!((r.applied_sequence, r.state, r.press_count, r.online), (5, 1, 2, true));
        assert!(!r.confirm_latch);
        assert_eq!(decode_module(&map, &map, &image, 2).mode, 0);
    }
}
