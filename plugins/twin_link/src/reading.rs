//! What the link reads, decoded: module, picker and order-board readings, controller health,
//! and the messages that carry their changes to the view and the recorder.
//!
//! Every type here is `Copy` and fixed-size so a delta crosses the channel and lands in a
//! component without allocating.

use std::fmt;
use std::sync::Arc;

use twin_model::ModuleIndex;
use twin_model::register_map::TextEncoding;

use crate::plan::Block;

pub use crate::decode::{Image, decode_module, decode_order, decode_picker};
pub use crate::health::{ConnectionState, ControllerHealth};
pub use crate::source::{SourceHealth, SourceKind, SourceState, SourceType};

/// Location text as a module displays it (up to 16 ASCII characters), stored inline.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LocationText {
    bytes: [u8; 16],
    len: u8,
}

impl LocationText {
    /// Decodes registers packed two characters each, high byte first, trailing blanks removed.
    pub fn from_registers(regs: &[u16]) -> Self {
        Self::decode(TextEncoding::Ascii, regs)
    }

    /// Decodes registers in a map's text encoding (non-ASCII becomes `?`, blanks trimmed).
    pub fn decode(encoding: TextEncoding, regs: &[u16]) -> Self {
        let mut t = Self::default();
        t.len = encoding.decode(regs, &mut t.bytes) as u8;
        t
    }

    /// Keeps up to 16 characters of `text`, non-ASCII and control characters as `?`.
    pub fn from_text(text: &str) -> Self {
        let mut t = Self::default();
        for (slot, c) in t.bytes.iter_mut().zip(text.trim().chars()) {
            *slot = if c.is_ascii() && !c.is_ascii_control() { c as u8 } else { b'?' };
            t.len += 1;
        }
        t
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are stored by `from_registers`; a value read back from a recording is
        // checked rather than trusted.
        self.bytes.get(..usize::from(self.len)).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
    }
}

impl fmt::Debug for LocationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for LocationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the link knows about one light module (raw register values; decode with
/// `twin_model::codes`).
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct ModuleReading {
    /// Commanded mode.
    pub mode: u16,
    /// Red quantity (0xFFFF: blank).
    pub quantity: u16,
    /// Green location text.
    pub location: LocationText,
    /// LED colour index.
    pub colour: u16,
    /// Blink pattern.
    pub blink: u16,
    /// Blink period in milliseconds.
    pub blink_period_ms: u16,
    /// Job id of the command.
    pub job: u32,
    /// Command sequence written by the host.
    pub sequence: u16,
    /// Sequence the module applied.
    pub applied_sequence: u16,
    /// Module state.
    pub state: u16,
    /// Quantity the picker confirmed.
    pub confirmed_quantity: u16,
    /// Button presses.
    pub press_count: u16,
    /// Fault code.
    pub fault: u16,
    /// Confirm latch set.
    pub confirm_latch: bool,
    /// Shortage latch set.
    pub shortage_latch: bool,
    /// Module online on its bus.
    pub online: bool,
    /// The controller has not answered for three poll intervals: this is the last known state.
    pub stale: bool,
}

/// One picker's block.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct PickerReading {
    /// Plan x in centimetres.
    pub x_cm: u16,
    /// Plan y in centimetres.
    pub y_cm: u16,
    /// Heading in centidegrees.
    pub heading_cdeg: u16,
    /// State.
    pub state: u16,
    /// Current order (0: none).
    pub order: u32,
    /// Position inferred from the lines the picker confirmed, not measured: drawn as such.
    pub inferred: bool,
    /// The position source has not updated this picker for longer than its limit.
    pub stale: bool,
}

/// One order-board slot.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct OrderSlot {
    /// Order id (0: empty slot).
    pub order_id: u32,
    /// Zone index.
    pub zone: u16,
    /// Lines in the order.
    pub lines_total: u16,
    /// Lines done.
    pub lines_done: u16,
    /// Priority.
    pub priority: u16,
    /// Status.
    pub status: u16,
    /// Picker index (`codes::NO_PICKER`: none).
    pub picker: u16,
    /// Release time on the site clock, seconds.
    pub release_s: u32,
    /// Due time on the site clock, seconds (0: none).
    pub due_s: u32,
    /// Job id of the order's first line (0: not published); its lines are
    /// `first_job .. first_job + lines_total`. Sources with explicit lines
    /// ([`LinkMessage::Line`]) leave it 0.
    pub first_job: u32,
}

/// No module: a line whose location the layout does not know.
pub const NO_MODULE: ModuleIndex = ModuleIndex::MAX;

/// One line of an order as an order source publishes it, tied to its module explicitly.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct OrderLine {
    /// The order it belongs to (a holder drops a line whose slot holds another order).
    pub order_id: u32,
    /// Line id in the source.
    pub line_id: u32,
    /// The module it lights ([`NO_MODULE`]: unknown location).
    pub module: ModuleIndex,
    /// Quantity asked.
    pub quantity: u16,
    /// Quantity confirmed.
    pub confirmed: u16,
    /// Status (`twin_model::codes::LineStatus`).
    pub status: u16,
    /// Article, up to 16 ASCII characters.
    pub sku: LocationText,
}

impl OrderSlot {
    /// Whether the slot holds an order.
    pub fn is_used(&self) -> bool {
        self.order_id != 0 || self.status != 0
    }
}

/// Facts the overlay raises alarms and counters from.
#[derive(serde::Serialize, serde::Deserialize, Clone, PartialEq, Eq, Debug)]
pub enum LinkEvent {
    /// The link connected to a controller.
    Connected {
        /// Controller index.
        controller: u16,
    },
    /// A controller's connection failed or dropped.
    Disconnected {
        /// Controller index.
        controller: u16,
        /// What happened.
        reason: Arc<str>,
    },
    /// A controller has been silent for three poll intervals.
    Stale {
        /// Controller index.
        controller: u16,
    },
    /// A controller answered with a Modbus exception.
    Exception {
        /// Controller index.
        controller: u16,
        /// Function code of the request.
        function: u8,
        /// Exception code.
        code: u8,
        /// First address of the request.
        address: u16,
    },
    /// A block the map names answered with an exception: the data depending on it is missing.
    BlockMissing {
        /// Controller index.
        controller: u16,
        /// The block.
        block: Block,
        /// Function code of the request.
        function: u8,
        /// Exception code.
        code: u8,
        /// First address of the request.
        address: u16,
    },
    /// A controller's heartbeat stopped changing.
    Frozen {
        /// Controller index.
        controller: u16,
        /// How long it stood still, milliseconds.
        for_ms: u32,
    },
    /// A controller reports a map or module count the layout does not expect.
    Refused {
        /// Controller index.
        controller: u16,
        /// Both values, the layout file and the controller.
        reason: Arc<str>,
    },
    /// A site data source failed (connection, query, schema); it retries with backoff.
    SourceDown {
        /// Which data.
        source: SourceKind,
        /// What failed, naming the table or column where known.
        reason: Arc<str>,
    },
    /// A site data source works again.
    SourceUp {
        /// Which data.
        source: SourceKind,
    },
    /// A source refused rows or messages (summed per poll: one event, not one per row).
    SourceRejected {
        /// Which data.
        source: SourceKind,
        /// How many.
        count: u32,
        /// The first one's problem.
        reason: Arc<str>,
    },
    /// A module's confirm latch was set: the picker confirmed the full quantity.
    Confirmed {
        /// Module.
        module: ModuleIndex,
        /// Quantity confirmed.
        quantity: u16,
    },
    /// A module's shortage latch was set: the picker confirmed less than asked.
    Shortage {
        /// Module.
        module: ModuleIndex,
        /// Quantity asked.
        asked: u16,
        /// Quantity confirmed.
        picked: u16,
    },
    /// This lossless subscriber fell behind and its channel was full: `count` messages before
    /// this one were dropped here (the state it rebuilds may be wrong until the next keyframe
    /// or full read). Sent to that subscriber only, ahead of the first message that fits.
    Lost {
        /// Messages dropped.
        count: u32,
    },
}

/// A change crossing from the poller to its subscribers.
#[derive(serde::Serialize, serde::Deserialize, Clone, PartialEq, Debug)]
pub enum LinkMessage {
    /// A module's reading changed.
    Module {
        /// Module.
        module: ModuleIndex,
        /// New reading.
        reading: ModuleReading,
    },
    /// A picker's block changed.
    Picker {
        /// Picker index in the roster.
        picker: u16,
        /// New reading.
        reading: PickerReading,
    },
    /// An order-board slot changed.
    Order {
        /// Slot.
        slot: u16,
        /// New content.
        order: OrderSlot,
    },
    /// A line of the order in a slot changed (sources with explicit lines).
    Line {
        /// Slot of its order.
        slot: u16,
        /// Line index within the order.
        index: u16,
        /// New content.
        line: OrderLine,
    },
    /// A site data source's health changed.
    Source {
        /// Which data.
        source: SourceKind,
        /// New health.
        health: SourceHealth,
    },
    /// A controller's health changed (boxed: rare and large, it would make every message as
    /// large as itself).
    Health {
        /// Controller index.
        controller: u16,
        /// New health.
        health: Box<ControllerHealth>,
    },
    /// Something happened.
    Event(LinkEvent),
}
