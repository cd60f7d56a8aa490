//! Read planning: which Modbus reads poll one controller, derived from its register map.
//!
//! Each block the link needs becomes a range; ranges of one table that touch are merged, then
//! cut into reads of at most 125 registers or 2000 bits. Reads never cross a gap between
//! blocks: controllers answer exception 02 for unmapped addresses.

use twin_model::RegisterMap;
use twin_model::register_map::Table;

/// Most registers one FC03/FC04 read returns.
pub const MAX_REGISTERS: u16 = 125;
/// Most bits one FC01/FC02 read returns.
pub const MAX_BITS: u16 = 2000;

/// What a range holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Block {
    /// Controller header.
    Header,
    /// Module command blocks.
    Commands,
    /// Module status blocks.
    Status,
    /// Confirm latch bits.
    ConfirmLatch,
    /// Shortage latch bits.
    ShortageLatch,
    /// Online bits.
    Online,
    /// Picker blocks.
    Pickers,
    /// Order board slots.
    Orders,
}

/// A contiguous span one block occupies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The block.
    pub block: Block,
    /// Its table.
    pub table: Table,
    /// First address.
    pub start: u16,
    /// Addresses (registers or bits).
    pub len: u32,
}

/// One Modbus read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    /// Table to read.
    pub table: Table,
    /// First address.
    pub start: u16,
    /// Registers or bits.
    pub count: u16,
}

/// Everything one poll cycle reads from a controller, bitmaps first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPlan {
    /// Where each block lives (for decoding).
    pub spans: Vec<Span>,
    /// The reads, in the order to issue them: latch and online bitmaps, header, module blocks,
    /// pickers. The order board is planned separately ([`ReadPlan::board`]).
    pub reads: Vec<Read>,
    /// Reads covering the order board, in slot order (empty if this controller publishes none).
    pub board: Vec<Read>,
}

/// What to poll on one controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanInput {
    /// One past the highest module address in use.
    pub span: u16,
    /// Picker blocks to read (0: none).
    pub pickers: u16,
    /// Whether to read the order board.
    pub board: bool,
}

fn limit(table: Table) -> u16 {
    match table {
        Table::Holding | Table::Input => MAX_REGISTERS,
        Table::Discrete | Table::Coils => MAX_BITS,
    }
}

/// Cuts `start..start+len` into reads of at most the table's limit; `align` keeps reads on
/// whole entries of that many addresses where an entry fits in one read.
fn cut(table: Table, start: u16, len: u32, align: u16, out: &mut Vec<Read>) {
    let max = u32::from(limit(table));
    let step = if align > 1 && u32::from(align) <= max { max - max % u32::from(align) } else { max };
    let mut at = 0;
    while at < len {
        let count = step.min(len - at);
        out.push(Read { table, start: (u32::from(start) + at) as u16, count: count as u16 });
        at += count;
    }
}

/// Plans the reads of one controller.
pub fn plan(map: &RegisterMap, input: PlanInput) -> ReadPlan {
    let n = u32::from(input.span.min(map.max_modules));
    let b = &map.bits;
    let mut spans = vec![
        Span { block: Block::ConfirmLatch, table: Table::Discrete, start: b.confirm_latch, len: n },
        Span { block: Block::ShortageLatch, table: Table::Discrete, start: b.shortage_latch, len: n },
        Span { block: Block::Online, table: Table::Discrete, start: b.online, len: n },
        Span {
            block: Block::Header,
            table: Table::Holding,
            start: map.header.base,
            len: u32::from(map.header.len),
        },
        Span {
            block: Block::Commands,
            table: Table::Holding,
            start: map.module_commands.base,
            len: n * u32::from(map.module_commands.stride),
        },
        Span {
            block: Block::Status,
            table: Table::Input,
            start: map.module_status.base,
            len: n * u32::from(map.module_status.stride),
        },
    ];
    let pickers = u32::from(input.pickers.min(map.pickers.max));
    if pickers > 0 {
        spans.push(Span {
            block: Block::Pickers,
            table: Table::Input,
            start: map.pickers.base,
            len: pickers * u32::from(map.pickers.stride),
        });
    }
    spans.retain(|s| s.len > 0);

    // Merge spans of one table that touch, keeping the bitmaps-first order of the first span.
    let mut merged: Vec<(Table, u16, u32, u16)> = Vec::new(); // table, start, len, alignment
    for s in &spans {
        let align = match s.block {
            Block::Commands => map.module_commands.stride,
            Block::Status => map.module_status.stride,
            Block::Pickers => map.pickers.stride,
            _ => 1,
        };
        if let Some(m) = merged.iter_mut().find(|m| {
            m.0 == s.table
                && (u32::from(m.1) + m.2 == u32::from(s.start)
                    || u32::from(s.start) + s.len == u32::from(m.1))
        }) {
            m.1 = m.1.min(s.start);
            m.2 += s.len;
            m.3 = 1;
        } else {
            merged.push((s.table, s.start, s.len, align));
        }
    }
    let mut reads = Vec::new();
    for (table, start, len, align) in merged {
        cut(table, start, len, align, &mut reads);
    }
    let mut board = Vec::new();
    if input.board && map.orders.max > 0 {
        let len = u32::from(map.orders.max) * u32::from(map.orders.stride);
        spans.push(Span { block: Block::Orders, table: Table::Holding, start: map.orders.base, len });
        cut(Table::Holding, map.orders.base, len, map.orders.stride, &mut board);
    }
    ReadPlan { spans, reads, board }
}

impl ReadPlan {
    /// Where a block lives, if planned.
    pub fn span(&self, block: Block) -> Option<Span> {
        self.spans.iter().copied().find(|s| s.block == block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_map_plan_for_2000_modules() {
        let map = RegisterMap::default();
        let p = plan(&map, PlanInput { span: 2000, pickers: 36, board: true });
        // Bitmaps first: 3 × 2000 bits, one read each.
        assert_eq!(
            &p.reads[..3],
            &[
                Read { table: Table::Discrete, start: 0, count: 2000 },
                Read { table: Table::Discrete, start: 4096, count: 2000 },
                Read { table: Table::Discrete, start: 8192, count: 2000 },
            ]
        );
        assert_eq!(p.reads[3], Read { table: Table::Holding, start: 0, count: 16 });
        // Commands: 12-register modules, 120 per read (10 modules), 200 reads.
        let commands: Vec<_> =
            p.reads.iter().filter(|r| r.table == Table::Holding && r.start >= 100).collect();
        assert_eq!(commands.len(), 200);
        assert!(commands.iter().all(|r| r.count == 120));
        // Status: 8-register modules, 120 per read (15 modules).
        let status: Vec<_> = p.reads.iter().filter(|r| r.table == Table::Input && r.start < 20000).collect();
        assert_eq!(status.len(), 2000usize.div_ceil(15));
        assert!(p.reads.iter().all(|r| r.count <= limit(r.table)));
        // Pickers: 36 × 8 = 288 registers.
        let pickers: u32 = p
            .reads
            .iter()
            .filter(|r| r.table == Table::Input && r.start >= 20000)
            .map(|r| u32::from(r.count))
            .sum();
        assert_eq!(pickers, 288);
        // The board: 2000 slots × 12, 120 per read.
        assert_eq!(p.board.len(), 200);
    }

    #[test]
    fn touching_blocks_merge() {
        let mut map = RegisterMap::default();
        map.module_commands.base = 16; // right after the header
        let p = plan(&map, PlanInput { span: 3, pickers: 0, board: false });
        let holding: Vec<_> = p.reads.iter().filter(|r| r.table == Table::Holding).collect();
        assert_eq!(holding, vec![&Read { table: Table::Holding, start: 0, count: 16 + 36 }]);
    }

    #[test]
    fn small_controller_plans_small_reads() {
        let p = plan(&RegisterMap::default(), PlanInput { span: 7, pickers: 0, board: false });
        assert_eq!(p.reads.len(), 3 + 1 + 1 + 1);
        assert!(p.reads.contains(&Read { table: Table::Holding, start: 100, count: 84 }));
        assert!(p.reads.contains(&Read { table: Table::Input, start: 0, count: 56 }));
    }
}
