//! Read planning: which Modbus reads poll one controller, derived from its register map.
//!
//! The plan keeps the reads by purpose, so a cycle can read only what it needs: the header
//! (heartbeat, change counter), the change counters, the bitmaps, the module blocks (all of
//! them for a full sweep, or only changed modules'), pickers and the order board. Reads never
//! cross a gap between blocks (controllers answer exception 02 for unmapped addresses) and keep
//! whole entries per read. Every read names where its values go in the register image
//! ([`RegisterMap::image`]): for block-shaped maps the wire address, for per-unit maps the
//! unit's place in the image.

use twin_model::RegisterMap;
use twin_model::register_map::{Shape, Table};

/// Most registers one FC03/FC04 read returns.
pub const MAX_REGISTERS: u16 = 125;
/// Most bits one FC01/FC02 read returns.
pub const MAX_BITS: u16 = 2000;

/// What a range holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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
    /// Per-module change counters.
    Changes,
    /// Group change counters (one per 125 modules).
    ChangeGroups,
    /// Picker blocks.
    Pickers,
    /// Order board slots.
    Orders,
}

impl Block {
    /// The block's name in the layout's register map.
    pub fn name(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Commands => "module_commands",
            Self::Status => "module_status",
            Self::ConfirmLatch => "bits.confirm_latch",
            Self::ShortageLatch => "bits.shortage_latch",
            Self::Online => "bits.online",
            Self::Changes => "changes",
            Self::ChangeGroups => "changes.groups",
            Self::Pickers => "pickers",
            Self::Orders => "orders",
        }
    }

    /// Whether the twin works without it (degraded): everything but the module blocks.
    pub fn optional(self) -> bool {
        !matches!(self, Self::Commands | Self::Status)
    }
}

/// A contiguous span one block occupies in the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The block.
    pub block: Block,
    /// Its table.
    pub table: Table,
    /// First image address.
    pub start: u16,
    /// Addresses (registers or bits).
    pub len: u32,
}

/// One Modbus read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    /// What it reads.
    pub block: Block,
    /// Table to read.
    pub table: Table,
    /// Unit id to address (`None`: the controller's own).
    pub unit: Option<u8>,
    /// First address on the wire.
    pub start: u16,
    /// Registers or bits.
    pub count: u16,
    /// Where the first value goes in the image.
    pub image: u16,
}

/// Everything a controller can be asked for, by purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPlan {
    /// Where each block lives in the image (for decoding).
    pub spans: Vec<Span>,
    /// The header, one read.
    pub header: Option<Read>,
    /// Per-module change counters; read `k` covers group `k` (modules `125k ..`).
    pub changes: Vec<Read>,
    /// Group change counters.
    pub change_groups: Vec<Read>,
    /// Latch and online bitmaps.
    pub bits: Vec<Read>,
    /// Every module's command and status blocks: one full sweep.
    pub modules: Vec<Read>,
    /// Picker blocks.
    pub pickers: Vec<Read>,
    /// The order board, in slot order.
    pub board: Vec<Read>,
    /// Module addresses per [`ReadPlan::modules`] read (first, one past the last).
    pub module_ranges: Vec<(u16, u16)>,
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
fn cut(block: Block, table: Table, start: u16, len: u32, align: u16, out: &mut Vec<Read>) {
    let max = u32::from(limit(table));
    let step = if align > 1 && u32::from(align) <= max { max - max % u32::from(align) } else { max };
    let mut at = 0;
    while at < len {
        let count = step.min(len - at);
        let s = (u32::from(start) + at) as u16;
        out.push(Read { block, table, unit: None, start: s, count: count as u16, image: s });
        at += count;
    }
}

impl ReadPlan {
    /// Where a block lives, if planned.
    pub fn span(&self, block: Block) -> Option<Span> {
        self.spans.iter().copied().find(|s| s.block == block)
    }

    /// Reads covering the command and status blocks of `addresses` (ascending, deduplicated):
    /// neighbours share reads as far as a read's limit allows. `image` is `map.image()`, made
    /// once by the caller (this runs every cycle).
    pub fn module_reads(
        &self,
        map: &RegisterMap,
        image: &RegisterMap,
        addresses: &[u16],
        out: &mut Vec<Read>,
    ) {
        if let Shape::PerUnit { .. } = map.shape {
            for &a in addresses {
                out.extend(self.unit_reads(map, image, a));
            }
            return;
        }
        for (block, table, base, stride) in [
            (Block::Commands, Table::Holding, map.module_commands.base, map.module_commands.stride),
            (Block::Status, Table::Input, map.module_status.base, map.module_status.stride),
        ] {
            let per_read = (MAX_REGISTERS / stride.max(1)).max(1);
            let mut i = 0;
            while i < addresses.len() {
                let first = addresses[i];
                let mut j = i + 1;
                while j < addresses.len() && addresses[j] < first + per_read {
                    j += 1;
                }
                let last = addresses[j - 1];
                let start = u32::from(base) + u32::from(first) * u32::from(stride);
                let count = (u32::from(last - first) + 1) * u32::from(stride);
                let start = start as u16;
                out.push(Read { block, table, unit: None, start, count: count as u16, image: start });
                i = j;
            }
        }
    }

    fn unit_reads(&self, map: &RegisterMap, image: &RegisterMap, a: u16) -> [Read; 2] {
        let unit = map.unit_of(a);
        let (c, s) = (&map.module_commands, &map.module_status);
        [
            Read {
                block: Block::Commands,
                table: Table::Holding,
                unit,
                start: c.base,
                count: c.stride,
                image: image.command_register(a, 0) as u16,
            },
            Read {
                block: Block::Status,
                table: Table::Input,
                unit,
                start: s.base,
                count: s.stride,
                image: image.status_register(a, 0) as u16,
            },
        ]
    }
}

/// Plans the reads of one controller.
pub fn plan(map: &RegisterMap, input: PlanInput) -> ReadPlan {
    let n = u32::from(input.span.min(map.max_modules));
    let image = map.image();
    let mut p = ReadPlan {
        spans: Vec::new(),
        header: None,
        changes: Vec::new(),
        change_groups: Vec::new(),
        bits: Vec::new(),
        modules: Vec::new(),
        pickers: Vec::new(),
        board: Vec::new(),
        module_ranges: Vec::new(),
    };
    let mut span = |block, table, start: u16, len: u32| {
        if len > 0 {
            p.spans.push(Span { block, table, start, len });
        }
    };
    let (c, s) = (&image.module_commands, &image.module_status);
    span(Block::Commands, Table::Holding, c.base, n * u32::from(c.stride));
    span(Block::Status, Table::Input, s.base, n * u32::from(s.stride));
    if let Some(h) = &image.header {
        span(Block::Header, Table::Holding, h.base, u32::from(h.len));
    }
    if let Some(b) = &image.bits {
        span(Block::ConfirmLatch, Table::Discrete, b.confirm_latch, n);
        span(Block::ShortageLatch, Table::Discrete, b.shortage_latch, n);
        span(Block::Online, Table::Discrete, b.online, n);
    }
    if let Some(ch) = &image.changes {
        span(Block::Changes, Table::Input, ch.base, n);
        if let Some(g) = ch.groups {
            let groups = twin_model::register_map::ChangeBlock::group_count(n as u16);
            span(Block::ChangeGroups, Table::Input, g, u32::from(groups));
        }
    }
    let pickers =
        image.pickers.as_ref().map_or(0, |b| u32::from(input.pickers.min(b.max)) * u32::from(b.stride));
    if let Some(b) = &image.pickers {
        span(Block::Pickers, Table::Input, b.base, pickers);
    }
    let board =
        image.orders.as_ref().filter(|_| input.board).map_or(0, |o| u32::from(o.max) * u32::from(o.stride));
    if let Some(o) = &image.orders {
        span(Block::Orders, Table::Holding, o.base, board);
    }

    for sp in p.spans.clone() {
        let align = match sp.block {
            Block::Commands => c.stride,
            Block::Status => s.stride,
            Block::Pickers => image.pickers.as_ref().map_or(1, |b| b.stride),
            Block::Orders => image.orders.as_ref().map_or(1, |o| o.stride),
            _ => 1,
        };
        let out = match sp.block {
            Block::Header => {
                p.header = Some(Read {
                    block: Block::Header,
                    table: Table::Holding,
                    unit: None,
                    start: sp.start,
                    count: sp.len as u16,
                    image: sp.start,
                });
                continue;
            }
            Block::Changes => &mut p.changes,
            Block::ChangeGroups => &mut p.change_groups,
            Block::ConfirmLatch | Block::ShortageLatch | Block::Online => &mut p.bits,
            Block::Commands | Block::Status if matches!(map.shape, Shape::PerUnit { .. }) => continue,
            Block::Commands | Block::Status => &mut p.modules,
            Block::Pickers => &mut p.pickers,
            Block::Orders => &mut p.board,
        };
        cut(sp.block, sp.table, sp.start, sp.len, align, out);
    }
    if let Shape::PerUnit { .. } = map.shape {
        for a in 0..n as u16 {
            let reads = p.unit_reads(map, &image, a);
            p.modules.extend(reads);
        }
    }
    let (cb, sb) = (c.base, s.base);
    p.module_ranges = p
        .modules
        .iter()
        .map(|r| {
            let (base, stride) = if r.block == Block::Commands { (cb, c.stride) } else { (sb, s.stride) };
            let first = (r.image - base) / stride.max(1);
            (first, first + r.count / stride.max(1))
        })
        .collect();
    p
}

#[cfg(test)]
mod tests;
