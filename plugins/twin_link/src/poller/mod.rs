//! The Modbus poller: persistent connections per controller (`connections: N` read in
//! parallel) on the link's own thread (a tokio runtime), every connect and request under a
//! timeout, the map checked on connect, change-driven cycles, reconnect with capped exponential
//! backoff reset only by a good cycle, stale and frozen detection, and only changes sent on.
//!
//! tokio-modbus has neither timeouts nor reconnects, and a reply arriving after a timeout would
//! be taken as the answer to the next request, so any timeout or transport error drops the
//! connection. A Modbus exception keeps it.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use tokio::net::TcpStream;
use tokio_modbus::client::{Client as _, Context};
use tokio_modbus::prelude::{ExceptionCode, Request, Response, Slave, SlaveContext as _};
use twin_model::register_map::{Acknowledge, Table};
use twin_model::{ModuleIndex, RegisterMap, Site, codes};

use crate::backoff::Backoff;
use crate::channel::{MAX_BATCH, Shipped, ViewReceiver, ViewSender, view_channel};
use crate::plan::{Block, PlanInput, Read, ReadPlan, plan};
use crate::reading::{
    ConnectionState, ControllerHealth, Image, LinkEvent, LinkMessage, ModuleReading, OrderLine, OrderSlot,
    PickerReading, SourceHealth, SourceKind, decode_module, decode_order, decode_picker,
};

mod cycle;
mod handle;
mod latency;
mod liveness;
mod outbox;
mod pool;
mod run;
mod session;
mod snapshot;
mod wire;

pub use handle::{Link, LinkBuilder};
pub(crate) use latency::Latency;
pub use outbox::{LOSSLESS_CAPACITY, Publisher};
pub use snapshot::{Snapshot, snapshot};
pub use wire::{PollError, Target, targets};

use {outbox::*, pool::*, run::*, session::*, wire::*};
/// How the link behaves.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// Limit for every connect and every request.
    pub timeout: Duration,
    /// First reconnect delay.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// Batches (of up to 4096 messages) the view channel holds; beyond it, states coalesce.
    pub view_batches: usize,
    /// Whether write commands (acknowledge, lamp test) may reach controllers.
    pub allow_writes: bool,
    /// Poll every controller at this interval instead of the layout's (benchmarks).
    pub interval_override: Option<Duration>,
}

impl Default for LinkOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            view_batches: 64,
            allow_writes: false,
            interval_override: None,
        }
    }
}

/// A write the user asked for explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkCommand {
    /// Clear a module's confirm and shortage latches (acknowledge coil).
    Acknowledge {
        /// Module.
        module: ModuleIndex,
    },
    /// Lamp test on a controller (every module shows 8s for a few seconds).
    LampTest {
        /// Controller index.
        controller: u16,
    },
}

/// Why the link refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The link was started read-only.
    #[error(
        "picktwin is read-only: it never writes to a controller unless its link is built with \
         LinkOptions::allow_writes (needed to acknowledge latches or run a lamp test)"
    )]
    ReadOnly,
    /// The module or controller does not exist.
    #[error("no such module or controller")]
    Unknown,
    /// The link has stopped.
    #[error("the link has stopped")]
    Stopped,
}
