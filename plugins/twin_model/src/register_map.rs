//! Register maps as data: where a PTL controller keeps its header, module blocks, latches,
//! picker and order-board blocks, so a site whose PLC uses other addresses is a layout edit.
//!
//! Every block is a base address plus, for repeated blocks, a stride and field offsets. Field
//! offsets are relative to the start of one module's (picker's, order's) block. Multi-register
//! fields (32-bit job ids, location text) give their first register; their length is fixed by the
//! field's meaning (documented on the field) except `location`, whose length is data.

use serde::{Deserialize, Serialize};

/// The name of the built-in map, usable by any controller without being defined in the layout.
pub const DEFAULT_MAP_NAME: &str = "picktwin-v1";

/// A controller's register map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegisterMap {
    /// Name controllers refer to the map by.
    pub name: String,
    /// Map version the controller reports in its header; the host checks it on connect.
    pub version: u16,
    /// Most light modules one controller with this map can address (module addresses
    /// `0..max_modules`).
    pub max_modules: u16,
    /// Controller header (holding registers).
    pub header: HeaderBlock,
    /// Host → module commands, one block per module (holding registers).
    pub module_commands: ModuleCommandBlock,
    /// Module → host status, one block per module (input registers).
    pub module_status: ModuleStatusBlock,
    /// One-bit-per-module bitmaps (discrete inputs) and acknowledge coils.
    pub bits: BitBlocks,
    /// Picker positions and states, one block per picker (input registers).
    pub pickers: PickerBlock,
    /// The order board published by the WCS side, one block per order (holding registers).
    pub orders: OrderBlock,
}

/// Controller header fields (holding registers), each an absolute address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeaderBlock {
    /// First register of the header.
    pub base: u16,
    /// Number of registers the header occupies (for overlap checks and planned reads).
    pub len: u16,
    /// Offset of the map version.
    pub map_version: u16,
    /// Offset of the module count.
    pub module_count: u16,
    /// Offset of the controller status word.
    pub status: u16,
    /// Offset of the heartbeat counter (increments every 100 ms).
    pub heartbeat: u16,
    /// Offset of the host watchdog counter the host keeps changing.
    pub host_watchdog: u16,
    /// Offset of the watchdog timeout in milliseconds (0 disables it).
    pub watchdog_timeout_ms: u16,
    /// Offset of the global command (all off, lamp test).
    pub global_command: u16,
    /// Offset of the global command's sequence number.
    pub global_sequence: u16,
    /// Offset of the controller clock: 32-bit seconds since midnight of the first (simulated)
    /// day, two registers, high word first. Follows the simulator's time acceleration.
    pub clock_s: u16,
    /// Offset of the clock's speed factor (1 = real time).
    pub clock_speed: u16,
}

/// Per-module host → module block (holding registers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModuleCommandBlock {
    /// Register of module address 0's block.
    pub base: u16,
    /// Registers between two modules' blocks.
    pub stride: u16,
    /// Offset of the mode (off/pick/put/done/error).
    pub mode: u16,
    /// Offset of the red quantity (0xFFFF blanks the display).
    pub quantity: u16,
    /// Offset of the green location text: `location_len` registers, two ASCII characters each,
    /// high byte first.
    pub location: u16,
    /// Registers of location text (the display shows `2 × location_len` characters).
    pub location_len: u16,
    /// Offset of the colour index.
    pub colour: u16,
    /// Offset of the blink pattern.
    pub blink: u16,
    /// Offset of the blink period in milliseconds.
    pub blink_period_ms: u16,
    /// Offset of the 32-bit job id (two registers, high word first).
    pub job_id: u16,
    /// Offset of the command sequence number.
    pub sequence: u16,
}

/// Per-module module → host block (input registers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModuleStatusBlock {
    /// Register of module address 0's block.
    pub base: u16,
    /// Registers between two modules' blocks.
    pub stride: u16,
    /// Offset of the last applied command sequence.
    pub applied_sequence: u16,
    /// Offset of the state (idle/lit/confirmed/shortage/fault).
    pub state: u16,
    /// Offset of the confirmed quantity.
    pub confirmed_quantity: u16,
    /// Offset of the 32-bit job id (two registers, high word first).
    pub job_id: u16,
    /// Offset of the button press counter.
    pub press_count: u16,
    /// Offset of the fault code.
    pub fault_code: u16,
}

/// Bit-addressed blocks: one bit per module address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BitBlocks {
    /// Discrete input of module 0's confirm latch.
    pub confirm_latch: u16,
    /// Discrete input of module 0's shortage latch.
    pub shortage_latch: u16,
    /// Discrete input of module 0's online flag.
    pub online: u16,
    /// Coil of module 0's acknowledge (writing 1 clears its latches).
    pub acknowledge: u16,
}

/// Per-picker block (input registers), fed by a real site's RTLS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PickerBlock {
    /// Register of picker 0's block.
    pub base: u16,
    /// Registers between two pickers' blocks.
    pub stride: u16,
    /// Most pickers the block holds.
    pub max: u16,
    /// Offset of x in centimetres.
    pub x_cm: u16,
    /// Offset of y in centimetres.
    pub y_cm: u16,
    /// Offset of the heading in centidegrees (0..36000, 0 = +x, counter-clockwise).
    pub heading_cdeg: u16,
    /// Offset of the state (idle/walking/picking/packing).
    pub state: u16,
    /// Offset of the 32-bit current order id (two registers, high word first).
    pub order_id: u16,
}

/// Per-order block of the order board (holding registers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderBlock {
    /// Register of order slot 0's block.
    pub base: u16,
    /// Registers between two orders' blocks.
    pub stride: u16,
    /// Most orders the board holds at once.
    pub max: u16,
    /// Offset of the 32-bit order id (two registers, high word first).
    pub order_id: u16,
    /// Offset of the zone index.
    pub zone: u16,
    /// Offset of the total number of lines.
    pub lines_total: u16,
    /// Offset of the number of lines done.
    pub lines_done: u16,
    /// Offset of the priority.
    pub priority: u16,
    /// Offset of the status.
    pub status: u16,
    /// Offset of the picker index.
    pub picker: u16,
    /// Offset of the 32-bit release time, seconds since the shift started (two registers).
    pub release_time_s: u16,
    /// Offset of the 32-bit job id of the order's first line (two registers, 0: not
    /// published); its lines carry job ids `first_job .. first_job + lines_total`, which is how
    /// a viewer finds the modules lit for an order.
    pub first_job: u16,
}

impl Default for RegisterMap {
    fn default() -> Self {
        Self {
            name: DEFAULT_MAP_NAME.to_owned(),
            version: 1,
            max_modules: 2000,
            header: HeaderBlock::default(),
            module_commands: ModuleCommandBlock::default(),
            module_status: ModuleStatusBlock::default(),
            bits: BitBlocks::default(),
            pickers: PickerBlock::default(),
            orders: OrderBlock::default(),
        }
    }
}

impl Default for HeaderBlock {
    fn default() -> Self {
        Self {
            base: 0,
            len: 16,
            map_version: 0,
            module_count: 1,
            status: 2,
            heartbeat: 3,
            host_watchdog: 4,
            watchdog_timeout_ms: 5,
            global_command: 6,
            global_sequence: 7,
            clock_s: 8,
            clock_speed: 10,
        }
    }
}

impl Default for ModuleCommandBlock {
    fn default() -> Self {
        // 12 registers: ten modules per 125-register read.
        Self {
            base: 100,
            stride: 12,
            mode: 0,
            quantity: 1,
            location: 2,
            location_len: 4,
            colour: 6,
            blink: 7,
            blink_period_ms: 8,
            job_id: 9,
            sequence: 11,
        }
    }
}

impl Default for ModuleStatusBlock {
    fn default() -> Self {
        // 8 registers: fifteen modules per 125-register read.
        Self {
            base: 0,
            stride: 8,
            applied_sequence: 0,
            state: 1,
            confirmed_quantity: 2,
            job_id: 3,
            press_count: 5,
            fault_code: 6,
        }
    }
}

impl Default for BitBlocks {
    fn default() -> Self {
        Self { confirm_latch: 0, shortage_latch: 4096, online: 8192, acknowledge: 0 }
    }
}

impl Default for PickerBlock {
    fn default() -> Self {
        Self { base: 20000, stride: 8, max: 100, x_cm: 0, y_cm: 1, heading_cdeg: 2, state: 3, order_id: 4 }
    }
}

impl Default for OrderBlock {
    fn default() -> Self {
        Self {
            base: 30000,
            stride: 12,
            max: 2000,
            order_id: 0,
            zone: 2,
            lines_total: 3,
            lines_done: 4,
            priority: 5,
            status: 6,
            picker: 7,
            release_time_s: 8,
            first_job: 10,
        }
    }
}

/// Which Modbus table a block lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Holding registers (FC03/06/16/23).
    Holding,
    /// Input registers (FC04).
    Input,
    /// Discrete inputs (FC02).
    Discrete,
    /// Coils (FC01/05/15).
    Coils,
}

/// A contiguous range one block occupies, for overlap checks and read planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extent {
    /// Block name as written in the layout (`module_commands`).
    pub block: &'static str,
    /// The table it lives in.
    pub table: Table,
    /// First address.
    pub start: u32,
    /// One past the last address (may exceed 65536 in a broken map).
    pub end: u32,
}

/// Something wrong with a map: the field it concerns and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapProblem {
    /// Block and field path inside the map, e.g. `["module_commands", "stride"]`.
    pub field: [&'static str; 2],
    /// What is wrong and how to fix it.
    pub message: String,
}

impl RegisterMap {
    /// Characters of location text a module with this map displays.
    pub fn location_chars(&self) -> usize {
        usize::from(self.module_commands.location_len) * 2
    }

    /// Holding register of a module command field.
    pub fn command_register(&self, address: u16, field_offset: u16) -> u32 {
        let b = &self.module_commands;
        u32::from(b.base) + u32::from(address) * u32::from(b.stride) + u32::from(field_offset)
    }

    /// Input register of a module status field.
    pub fn status_register(&self, address: u16, field_offset: u16) -> u32 {
        let b = &self.module_status;
        u32::from(b.base) + u32::from(address) * u32::from(b.stride) + u32::from(field_offset)
    }

    /// The ranges every block occupies, sized for `max_modules` modules.
    pub fn extents(&self) -> Vec<Extent> {
        let n = u32::from(self.max_modules);
        let block = |block, table, base: u16, stride: u16, count: u32| Extent {
            block,
            table,
            start: u32::from(base),
            end: u32::from(base) + u32::from(stride) * count,
        };
        let bits = &self.bits;
        vec![
            block("header", Table::Holding, self.header.base, self.header.len, 1),
            block(
                "module_commands",
                Table::Holding,
                self.module_commands.base,
                self.module_commands.stride,
                n,
            ),
            block("orders", Table::Holding, self.orders.base, self.orders.stride, u32::from(self.orders.max)),
            block("module_status", Table::Input, self.module_status.base, self.module_status.stride, n),
            block(
                "pickers",
                Table::Input,
                self.pickers.base,
                self.pickers.stride,
                u32::from(self.pickers.max),
            ),
            block("bits.confirm_latch", Table::Discrete, bits.confirm_latch, 1, n),
            block("bits.shortage_latch", Table::Discrete, bits.shortage_latch, 1, n),
            block("bits.online", Table::Discrete, bits.online, 1, n),
            block("bits.acknowledge", Table::Coils, bits.acknowledge, 1, n),
        ]
    }

    /// Checks the map is self-consistent: fields inside their stride, multi-register fields
    /// whole, blocks inside the 16-bit address space and not overlapping in one table.
    pub fn problems(&self) -> Vec<MapProblem> {
        let mut out = Vec::new();
        let mut check = |block: &'static str, stride: u16, fields: &[(&'static str, u16, u16)]| {
            if stride == 0 {
                out.push(MapProblem {
                    field: [block, "stride"],
                    message: format!("`{block}.stride` is 0; it must be at least 1 register"),
                });
                return;
            }
            for &(name, offset, len) in fields {
                if u32::from(offset) + u32::from(len) > u32::from(stride) {
                    out.push(MapProblem {
                        field: [block, name],
                        message: format!(
                            "`{block}.{name}` at offset {offset} ({len} register(s)) does not fit in a \
                             stride of {stride} registers; lower the offset or raise `{block}.stride`"
                        ),
                    });
                }
            }
        };
        let h = &self.header;
        check(
            "header",
            h.len,
            &[
                ("map_version", h.map_version, 1),
                ("module_count", h.module_count, 1),
                ("status", h.status, 1),
                ("heartbeat", h.heartbeat, 1),
                ("host_watchdog", h.host_watchdog, 1),
                ("watchdog_timeout_ms", h.watchdog_timeout_ms, 1),
                ("global_command", h.global_command, 1),
                ("global_sequence", h.global_sequence, 1),
                ("clock_s", h.clock_s, 2),
                ("clock_speed", h.clock_speed, 1),
            ],
        );
        let c = &self.module_commands;
        check(
            "module_commands",
            c.stride,
            &[
                ("mode", c.mode, 1),
                ("quantity", c.quantity, 1),
                ("location", c.location, c.location_len),
                ("colour", c.colour, 1),
                ("blink", c.blink, 1),
                ("blink_period_ms", c.blink_period_ms, 1),
                ("job_id", c.job_id, 2),
                ("sequence", c.sequence, 1),
            ],
        );
        let s = &self.module_status;
        check(
            "module_status",
            s.stride,
            &[
                ("applied_sequence", s.applied_sequence, 1),
                ("state", s.state, 1),
                ("confirmed_quantity", s.confirmed_quantity, 1),
                ("job_id", s.job_id, 2),
                ("press_count", s.press_count, 1),
                ("fault_code", s.fault_code, 1),
            ],
        );
        let p = &self.pickers;
        check(
            "pickers",
            p.stride,
            &[
                ("x_cm", p.x_cm, 1),
                ("y_cm", p.y_cm, 1),
                ("heading_cdeg", p.heading_cdeg, 1),
                ("state", p.state, 1),
                ("order_id", p.order_id, 2),
            ],
        );
        let o = &self.orders;
        check(
            "orders",
            o.stride,
            &[
                ("order_id", o.order_id, 2),
                ("zone", o.zone, 1),
                ("lines_total", o.lines_total, 1),
                ("lines_done", o.lines_done, 1),
                ("priority", o.priority, 1),
                ("status", o.status, 1),
                ("picker", o.picker, 1),
                ("release_time_s", o.release_time_s, 2),
                ("first_job", o.first_job, 2),
            ],
        );
        if self.max_modules == 0 {
            out.push(MapProblem {
                field: ["max_modules", ""],
                message: "`max_modules` is 0; a map must address at least one module".to_owned(),
            });
        }
        if c.location_len == 0 {
            out.push(MapProblem {
                field: ["module_commands", "location_len"],
                message: "`module_commands.location_len` is 0; modules need at least one register \
                          (two characters) of location text"
                    .to_owned(),
            });
        }

        let extents = self.extents();
        for e in &extents {
            if e.end > 0x1_0000 {
                out.push(MapProblem {
                    field: [block_root(e.block), "base"],
                    message: format!(
                        "`{}` runs to address {} for {} entries, past the last Modbus address 65535; \
                         lower its base, its stride or the entry count",
                        e.block,
                        e.end - 1,
                        (e.end - e.start) / stride_of(self, e.block).max(1),
                    ),
                });
            }
        }
        for (i, a) in extents.iter().enumerate() {
            for b in &extents[i + 1..] {
                if a.table == b.table && a.start < b.end && b.start < a.end {
                    out.push(MapProblem {
                        field: [block_root(b.block), "base"],
                        message: format!(
                            "`{}` ({}..{}) overlaps `{}` ({}..{}) in the {:?} table; move one of them",
                            b.block, b.start, b.end, a.block, a.start, a.end, a.table
                        ),
                    });
                }
            }
        }
        out
    }
}

fn block_root(block: &'static str) -> &'static str {
    match block {
        "bits.confirm_latch" | "bits.shortage_latch" | "bits.online" | "bits.acknowledge" => "bits",
        other => other,
    }
}

fn stride_of(map: &RegisterMap, block: &str) -> u32 {
    u32::from(match block {
        "header" => map.header.len,
        "module_commands" => map.module_commands.stride,
        "module_status" => map.module_status.stride,
        "pickers" => map.pickers.stride,
        "orders" => map.orders.stride,
        _ => 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_map_is_consistent() {
        assert_eq!(RegisterMap::default().problems(), Vec::new());
    }

    #[test]
    fn default_map_reads_whole_modules_per_request() {
        let map = RegisterMap::default();
        assert_eq!(125 / map.module_commands.stride, 10);
        assert_eq!(125 / map.module_status.stride, 15);
        assert_eq!(map.location_chars(), 8);
        assert_eq!(map.command_register(3, map.module_commands.quantity), 100 + 36 + 1);
    }

    #[test]
    fn field_outside_stride_is_reported() {
        let mut map = RegisterMap::default();
        map.module_commands.sequence = 12;
        let problems = map.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, ["module_commands", "sequence"]);
    }

    #[test]
    fn overlapping_blocks_are_reported() {
        let mut map = RegisterMap::default();
        map.orders.base = 1000; // inside module_commands 100..24100
        let problems = map.problems();
        assert!(problems.iter().any(|p| p.message.contains("overlaps")), "{problems:?}");
    }

    #[test]
    fn block_past_address_space_is_reported() {
        // 100 + 6000 * 12 > 65536
        let map = RegisterMap { max_modules: 6000, ..Default::default() };
        let problems = map.problems();
        assert!(problems.iter().any(|p| p.message.contains("past the last Modbus address")), "{problems:?}");
    }
}
