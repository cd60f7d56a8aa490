//! picktwin's live link: polls PTL controllers over Modbus TCP on its own thread, sends only
//! changes over crossbeam channels (a coalescing one for the view, lossless ones for the
//! recorder), and applies them to the ECS in [`LinkPlugin`].

pub mod apply;
pub mod backoff;
pub mod bounds;
pub mod channel;
pub mod clock;
mod decode;
pub mod health;
mod messages;
pub mod plan;
mod plugin;
pub mod poller;
pub mod reading;
mod source;

pub use apply::{LinkState, apply};
pub use backoff::Backoff;
pub use bounds::{Bounds, OutOfBounds};
pub use channel::{Next, ViewReceiver, ViewSender, view_channel};
pub use clock::SiteClock;
pub use plan::Block;
pub use plugin::{
    BlockMissing, ButtonConfirmed, ControllerConnected, ControllerDisconnected, ControllerRefused,
    ControllerStale, LightModule, LinkBudget, LinkHealth, LinkPlugin, LinkReceiver, LinkSite, LinkSystems,
    LinkWriters, ModbusException, ModuleEntities, OrderBoard, Picker, PickerEntities, ShortPick, SourceEvent,
};
pub use poller::{
    CommandError, LOSSLESS_CAPACITY, Link, LinkBuilder, LinkCommand, LinkOptions, Publisher, Snapshot,
    snapshot,
};
pub use reading::{
    ConnectionState, ControllerHealth, LinkEvent, LinkMessage, LocationText, ModuleReading, NO_MODULE,
    OrderLine, OrderSlot, PickerReading, SourceHealth, SourceKind, SourceState, SourceType,
};
