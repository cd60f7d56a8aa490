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
    /// Release time on the controller clock, seconds.
    pub release_s: u32,
    /// Job id of the order's first line (0: not published); its lines are
    /// `first_job .. first_job + lines_total`.
    pub first_job: u32,
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
