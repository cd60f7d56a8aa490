//! Register maps as data: where a PTL controller keeps its header, module blocks, latches,
//! picker and order-board blocks, and what the values in them mean, so a site whose PLC uses
//! other addresses, other codes or another wiring is a layout edit.
//!
//! Every block is a base address plus, for repeated blocks, a stride and field offsets. Field
//! offsets are relative to the start of one module's (picker's, order's) block. Multi-register
//! fields (32-bit job ids, location text) give their first register; their length is fixed by the
//! field's meaning (documented on the field) except `location`, whose length is data.
//!
//! Blocks a real controller may lack are `Option`s: a map says `pickers: None` and the link
//! never asks for them. Fields a device family lacks (job ids, sequence echo) are `Option`s too.

use serde::{Deserialize, Serialize};

mod builtin;
mod check;
mod meaning;

pub use builtin::{BUILTIN_MAPS, UNIT_MAP_NAME, builtin_maps};
pub use check::{Extent, MapProblem, Table};
pub use meaning::{Acknowledge, Latch, Shape, TextEncoding, UNKNOWN_CODE, ValueTables};

/// The name of the built-in block-shaped map, usable by any controller without being defined in
/// the layout.
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
    /// How modules are wired: blocks at a stride in one unit, or one Modbus unit per module.
    pub shape: Shape,
    /// Controller (or gateway) header (holding registers); `None`: the device has none, so
    /// nothing checks its map version or heartbeat.
    pub header: Option<HeaderBlock>,
    /// Host → module commands, one block per module (holding registers).
    pub module_commands: ModuleCommandBlock,
    /// Module → host status, one block per module (input registers).
    pub module_status: ModuleStatusBlock,
    /// One-bit-per-module bitmaps (discrete inputs) and acknowledge coils.
    pub bits: Option<BitBlocks>,
    /// Per-module change counters (input registers), so a host reads only changed modules.
    pub changes: Option<ChangeBlock>,
    /// Picker positions and states, one block per picker (input registers).
    pub pickers: Option<PickerBlock>,
    /// The order board published by the WCS side, one block per order (holding registers).
    pub orders: Option<OrderBlock>,
    /// What the enumerated values mean on this device (empty tables: picktwin-v1's codes).
    pub values: ValueTables,
    /// How location text is held in its registers.
    pub text: TextEncoding,
    /// Where a confirmation shows: latch bits, or the module's state value.
    pub latch: Latch,
    /// How a host clears a confirmation.
    pub acknowledge: Acknowledge,
}

/// Controller header fields (holding registers), each an offset from `base`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeaderBlock {
    /// First register of the header.
    pub base: u16,
    /// Number of registers the header occupies (read in one request).
    pub len: u16,
    /// Offset of the map version.
    pub map_version: u16,
    /// Offset of the module count.
    pub module_count: u16,
    /// Offset of the controller status word.
    pub status: u16,
    /// Offset of the heartbeat counter (changes at least every 100 ms while the program runs).
    pub heartbeat: u16,
    /// Offset of the host watchdog counter the host keeps changing.
    pub host_watchdog: Option<u16>,
    /// Offset of the watchdog timeout in milliseconds (0 disables it).
    pub watchdog_timeout_ms: Option<u16>,
    /// Offset of the global command (all off, lamp test).
    pub global_command: Option<u16>,
    /// Offset of the global command's sequence number.
    pub global_sequence: Option<u16>,
    /// Offset of the controller clock: 32-bit seconds since midnight of the first (simulated)
    /// day, two registers, high word first. Follows the simulator's time acceleration.
    pub clock_s: Option<u16>,
    /// Offset of the clock's speed factor (1 = real time).
    pub clock_speed: Option<u16>,
    /// Offset of the change counter: changes whenever any module's registers change, so an
    /// idle controller costs the host one read per cycle.
    pub change_counter: Option<u16>,
}

/// Per-module host → module block (holding registers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModuleCommandBlock {
    /// Register of module address 0's block (per-unit maps: the block's register in every unit).
    pub base: u16,
    /// Registers between two modules' blocks (per-unit maps: the block's length).
    pub stride: u16,
    /// Offset of the mode (off/pick/put/done/error).
    pub mode: u16,
    /// Offset of the red quantity (0xFFFF blanks the display).
    pub quantity: u16,
    /// Offset of the green location text (`location_len` registers, encoded as `text` says).
    pub location: u16,
    /// Registers of location text.
    pub location_len: u16,
    /// Offset of the colour index.
    pub colour: u16,
    /// Offset of the blink pattern.
    pub blink: Option<u16>,
    /// Offset of the blink period in milliseconds.
    pub blink_period_ms: Option<u16>,
    /// Offset of the 32-bit job id (two registers, high word first).
    pub job_id: Option<u16>,
    /// Offset of the command sequence number (`None`: every write applies at once).
    pub sequence: Option<u16>,
}

/// Per-module module → host block (input registers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModuleStatusBlock {
    /// Register of module address 0's block (per-unit maps: the block's register in every unit).
    pub base: u16,
    /// Registers between two modules' blocks (per-unit maps: the block's length).
    pub stride: u16,
    /// Offset of the last applied command sequence.
    pub applied_sequence: Option<u16>,
    /// Offset of the state (idle/lit/confirmed/shortage/fault).
    pub state: u16,
    /// Offset of the confirmed quantity.
    pub confirmed_quantity: u16,
    /// Offset of the 32-bit job id (two registers, high word first).
    pub job_id: Option<u16>,
    /// Offset of the button press counter.
    pub press_count: Option<u16>,
    /// Offset of the fault code.
    pub fault_code: Option<u16>,
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

/// Per-module change counters: one input register per module address, changed by the
/// controller whenever anything in that module's blocks or bits changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChangeBlock {
    /// Input register of module 0's counter.
    pub base: u16,
    /// Input register of the first group counter: one per [`CHANGE_GROUP`] modules (group `g`
    /// changes whenever a counter of modules `125g .. 125g + 124` does), so a host reads only
    /// the counters of groups that moved. `None`: no summary, all counters are read.
    pub groups: Option<u16>,
}

/// Modules per group counter: the counters of one group are one 125-register read.
pub const CHANGE_GROUP: u16 = 125;

impl ChangeBlock {
    /// Group counters for `modules` modules.
    pub fn group_count(modules: u16) -> u16 {
        modules.div_ceil(CHANGE_GROUP)
    }
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
            shape: Shape::Blocks,
            header: Some(HeaderBlock::default()),
            module_commands: ModuleCommandBlock::default(),
            module_status: ModuleStatusBlock::default(),
            bits: Some(BitBlocks::default()),
            changes: Some(ChangeBlock::default()),
            pickers: Some(PickerBlock::default()),
            orders: Some(OrderBlock::default()),
            values: ValueTables::default(),
            text: TextEncoding::Ascii,
            latch: Latch::Bitmap,
            acknowledge: Acknowledge::Coil,
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
            host_watchdog: Some(4),
            watchdog_timeout_ms: Some(5),
            global_command: Some(6),
            global_sequence: Some(7),
            clock_s: Some(8),
            clock_speed: Some(10),
            change_counter: Some(11),
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
            blink: Some(7),
            blink_period_ms: Some(8),
            job_id: Some(9),
            sequence: Some(11),
        }
    }
}

impl Default for ModuleStatusBlock {
    fn default() -> Self {
        // 8 registers: fifteen modules per 125-register read.
        Self {
            base: 0,
            stride: 8,
            applied_sequence: Some(0),
            state: 1,
            confirmed_quantity: 2,
            job_id: Some(3),
            press_count: Some(5),
            fault_code: Some(6),
        }
    }
}

impl Default for BitBlocks {
    fn default() -> Self {
        Self { confirm_latch: 0, shortage_latch: 4096, online: 8192, acknowledge: 0 }
    }
}

impl Default for ChangeBlock {
    fn default() -> Self {
        // After module status (0..16000), before the picker block (20000); the 16 group
        // counters of 2,000 modules just before the module counters.
        Self { base: 16384, groups: Some(16368) }
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

impl HeaderBlock {
    /// Absolute register of a header field.
    pub fn register(&self, offset: u16) -> u32 {
        u32::from(self.base) + u32::from(offset)
    }
}

impl RegisterMap {
    /// Characters of location text a module with this map displays.
    pub fn location_chars(&self) -> usize {
        self.text.chars(self.module_commands.location_len)
    }

    /// Holding register of a module command field in the map's image (see [`Self::image`]).
    pub fn command_register(&self, address: u16, field_offset: u16) -> u32 {
        let b = &self.module_commands;
        u32::from(b.base) + u32::from(address) * u32::from(b.stride) + u32::from(field_offset)
    }

    /// Input register of a module status field in the map's image.
    pub fn status_register(&self, address: u16, field_offset: u16) -> u32 {
        let b = &self.module_status;
        u32::from(b.base) + u32::from(address) * u32::from(b.stride) + u32::from(field_offset)
    }

    /// The map as one address space: itself for block-shaped maps; for per-unit maps, every
    /// unit's blocks laid end to end after the header. Hosts and the simulator keep their
    /// register images in this layout, so one decoder serves both shapes.
    pub fn image(&self) -> RegisterMap {
        let Shape::PerUnit { .. } = self.shape else { return self.clone() };
        let mut m = self.clone();
        m.shape = Shape::Blocks;
        m.module_commands.base = self.header.as_ref().map_or(0, |h| h.base.saturating_add(h.len));
        m.module_status.base = 0;
        m
    }

    /// Modbus unit id of module `address` on a per-unit map (`None`: block-shaped).
    pub fn unit_of(&self, address: u16) -> Option<u8> {
        match self.shape {
            Shape::Blocks => None,
            Shape::PerUnit { first_unit } => u8::try_from(u16::from(first_unit) + address).ok(),
        }
    }
}

#[cfg(test)]
mod tests;
