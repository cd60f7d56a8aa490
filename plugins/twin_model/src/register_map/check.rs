//! A map's self-consistency: fields inside their stride, blocks inside the 16-bit address space
//! and not overlapping, per-unit maps inside the unit id range, code tables unambiguous.

use super::{Acknowledge, Latch, RegisterMap, Shape, TextEncoding};

/// Which Modbus table a block lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

fn opt(name: &'static str, offset: Option<u16>, len: u16) -> Option<(&'static str, u16, u16)> {
    offset.map(|o| (name, o, len))
}

impl RegisterMap {
    /// The ranges every block occupies in the map's image ([`RegisterMap::image`]), sized for
    /// `max_modules` modules.
    pub fn extents(&self) -> Vec<Extent> {
        let image = self.image();
        let n = u32::from(self.max_modules);
        let block = |block, table, base: u16, stride: u16, count: u32| Extent {
            block,
            table,
            start: u32::from(base),
            end: u32::from(base) + u32::from(stride) * count,
        };
        let mut out = Vec::new();
        if let Some(h) = &image.header {
            out.push(block("header", Table::Holding, h.base, h.len, 1));
        }
        let (c, s) = (&image.module_commands, &image.module_status);
        out.push(block("module_commands", Table::Holding, c.base, c.stride, n));
        if let Some(o) = &image.orders {
            out.push(block("orders", Table::Holding, o.base, o.stride, u32::from(o.max)));
        }
        out.push(block("module_status", Table::Input, s.base, s.stride, n));
        if let Some(ch) = &image.changes {
            out.push(block("changes", Table::Input, ch.base, 1, n));
            if let Some(g) = ch.groups {
                let groups = u32::from(super::ChangeBlock::group_count(self.max_modules));
                out.push(block("changes.groups", Table::Input, g, 1, groups));
            }
        }
        if let Some(p) = &image.pickers {
            out.push(block("pickers", Table::Input, p.base, p.stride, u32::from(p.max)));
        }
        if let Some(bits) = &image.bits {
            out.push(block("bits.confirm_latch", Table::Discrete, bits.confirm_latch, 1, n));
            out.push(block("bits.shortage_latch", Table::Discrete, bits.shortage_latch, 1, n));
            out.push(block("bits.online", Table::Discrete, bits.online, 1, n));
            out.push(block("bits.acknowledge", Table::Coils, bits.acknowledge, 1, n));
        }
        out
    }

    /// Checks the map is self-consistent: fields inside their stride, multi-register fields
    /// whole, blocks inside the 16-bit address space and not overlapping in one table, what the
    /// latch and acknowledge settings need present.
    pub fn problems(&self) -> Vec<MapProblem> {
        let mut out = Vec::new();
        let mut problem = |field: [&'static str; 2], message: String| out.push(MapProblem { field, message });
        let check = |problem: &mut dyn FnMut([&'static str; 2], String),
                     block: &'static str,
                     stride: u16,
                     fields: &[Option<(&'static str, u16, u16)>]| {
            if stride == 0 {
                problem([block, "stride"], format!("`{block}.stride` is 0; it must be at least 1 register"));
                return;
            }
            for &(name, offset, len) in fields.iter().flatten() {
                if u32::from(offset) + u32::from(len) > u32::from(stride) {
                    problem(
                        [block, name],
                        format!(
                            "`{block}.{name}` at offset {offset} ({len} register(s)) does not fit in a \
                             stride of {stride} registers; lower the offset or raise `{block}.stride`"
                        ),
                    );
                }
            }
        };
        if let Some(h) = &self.header {
            let fields = [
                opt("map_version", Some(h.map_version), 1),
                opt("module_count", Some(h.module_count), 1),
                opt("status", Some(h.status), 1),
                opt("heartbeat", Some(h.heartbeat), 1),
                opt("host_watchdog", h.host_watchdog, 1),
                opt("watchdog_timeout_ms", h.watchdog_timeout_ms, 1),
                opt("global_command", h.global_command, 1),
                opt("global_sequence", h.global_sequence, 1),
                opt("clock_s", h.clock_s, 2),
                opt("clock_speed", h.clock_speed, 1),
                opt("change_counter", h.change_counter, 1),
            ];
            check(&mut problem, "header", h.len, &fields);
            if h.len > 125 {
                problem(
                    ["header", "len"],
                    format!(
                        "`header.len` is {}; a header is read in one request of at most 125 registers",
                        h.len
                    ),
                );
            }
        }
        let c = &self.module_commands;
        let fields = [
            opt("mode", Some(c.mode), 1),
            opt("quantity", Some(c.quantity), 1),
            opt("location", Some(c.location), c.location_len),
            opt("colour", Some(c.colour), 1),
            opt("blink", c.blink, 1),
            opt("blink_period_ms", c.blink_period_ms, 1),
            opt("job_id", c.job_id, 2),
            opt("sequence", c.sequence, 1),
        ];
        check(&mut problem, "module_commands", c.stride, &fields);
        let s = &self.module_status;
        let fields = [
            opt("applied_sequence", s.applied_sequence, 1),
            opt("state", Some(s.state), 1),
            opt("confirmed_quantity", Some(s.confirmed_quantity), 1),
            opt("job_id", s.job_id, 2),
            opt("press_count", s.press_count, 1),
            opt("fault_code", s.fault_code, 1),
        ];
        check(&mut problem, "module_status", s.stride, &fields);
        if let Some(p) = &self.pickers {
            let fields = [
                opt("x_cm", Some(p.x_cm), 1),
                opt("y_cm", Some(p.y_cm), 1),
                opt("heading_cdeg", Some(p.heading_cdeg), 1),
                opt("state", Some(p.state), 1),
                opt("order_id", Some(p.order_id), 2),
            ];
            check(&mut problem, "pickers", p.stride, &fields);
        }
        if let Some(o) = &self.orders {
            let fields = [
                opt("order_id", Some(o.order_id), 2),
                opt("zone", Some(o.zone), 1),
                opt("lines_total", Some(o.lines_total), 1),
                opt("lines_done", Some(o.lines_done), 1),
                opt("priority", Some(o.priority), 1),
                opt("status", Some(o.status), 1),
                opt("picker", Some(o.picker), 1),
                opt("release_time_s", Some(o.release_time_s), 2),
                opt("first_job", Some(o.first_job), 2),
            ];
            check(&mut problem, "orders", o.stride, &fields);
        }
        if self.max_modules == 0 {
            problem(
                ["max_modules", ""],
                "`max_modules` is 0; a map must address at least one module".to_owned(),
            );
        }
        if c.location_len == 0 {
            problem(
                ["module_commands", "location_len"],
                "`module_commands.location_len` is 0; modules need at least one register of location text"
                    .to_owned(),
            );
        }
        if let TextEncoding::Number { digits } = self.text
            && (c.location_len > 2 || !(1..=10).contains(&digits))
        {
            problem(
                ["text", ""],
                format!(
                    "`text: Number(digits: {digits})` needs `module_commands.location_len` 1 or 2 (is {}) \
                     and 1 to 10 digits",
                    c.location_len
                ),
            );
        }
        if self.latch == Latch::Bitmap && self.bits.is_none() {
            problem(
                ["latch", ""],
                "`latch: Bitmap` needs a `bits` block; use `latch: State` or define `bits`".to_owned(),
            );
        }
        match self.acknowledge {
            Acknowledge::Coil if self.bits.is_none() => problem(
                ["acknowledge", ""],
                "`acknowledge: Coil` needs a `bits` block; use `acknowledge: Register(offset: .., value: ..)`"
                    .to_owned(),
            ),
            Acknowledge::Register { offset, .. } if offset >= c.stride => problem(
                ["acknowledge", ""],
                format!("`acknowledge` register offset {offset} is outside the module command block of {} registers", c.stride),
            ),
            _ => {}
        }
        for (name, message) in self.values.problems() {
            problem(["values", name], message);
        }
        if let Shape::PerUnit { first_unit } = self.shape {
            let last = u32::from(first_unit) + u32::from(self.max_modules) - 1;
            if first_unit == 0 || last > 247 {
                problem(
                    ["shape", ""],
                    format!(
                        "per-unit modules use unit ids {first_unit}..={last}; Modbus unit ids are 1 to 247: \
                         raise `first_unit` above 0 or lower `max_modules`"
                    ),
                );
            }
            for (block, stride) in [("module_commands", c.stride), ("module_status", s.stride)] {
                if stride > 125 {
                    problem(
                        [block, "stride"],
                        format!("per-unit `{block}.stride` {stride} is over 125 registers, one read"),
                    );
                }
            }
            for (block, present) in [("bits", self.bits.is_some()), ("changes", self.changes.is_some())] {
                if present {
                    problem(
                        [block, ""],
                        format!(
                            "per-unit maps have no `{block}` (each unit holds its own registers); set `{block}: None`"
                        ),
                    );
                }
            }
        }

        let extents = self.extents();
        for e in &extents {
            if e.end > 0x1_0000 {
                problem(
                    [block_root(e.block), "base"],
                    format!(
                        "`{}` runs to address {} for {} entries, past the last Modbus address 65535; \
                         lower its base, its stride or the entry count",
                        e.block,
                        e.end - 1,
                        (e.end - e.start) / stride_of(self, e.block).max(1),
                    ),
                );
            }
        }
        for (i, a) in extents.iter().enumerate() {
            for b in &extents[i + 1..] {
                if a.table == b.table && a.start < b.end && b.start < a.end {
                    problem(
                        [block_root(b.block), "base"],
                        format!(
                            "`{}` ({}..{}) overlaps `{}` ({}..{}) in the {:?} table; move one of them",
                            b.block, b.start, b.end, a.block, a.start, a.end, a.table
                        ),
                    );
                }
            }
        }
        out
    }
}

fn block_root(block: &'static str) -> &'static str {
    match block {
        "bits.confirm_latch" | "bits.shortage_latch" | "bits.online" | "bits.acknowledge" => "bits",
        "changes.groups" => "changes",
        other => other,
    }
}

fn stride_of(map: &RegisterMap, block: &str) -> u32 {
    u32::from(match block {
        "header" => map.header.as_ref().map_or(1, |h| h.len),
        "module_commands" => map.module_commands.stride,
        "module_status" => map.module_status.stride,
        "pickers" => map.pickers.as_ref().map_or(1, |p| p.stride),
        "orders" => map.orders.as_ref().map_or(1, |o| o.stride),
        _ => 1,
    })
}
