//! A controller's health as the link reports it: connection state, freshness (data age, stale,
//! frozen), missing blocks, request latency and counters.

use crate::plan::Block;

/// Connection state of one controller.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq, Default, Debug)]
pub enum ConnectionState {
    /// Connecting (first attempt or after a failure).
    #[default]
    Connecting,
    /// Polling.
    Connected,
    /// Not answering; reconnecting with backoff.
    Disconnected,
    /// It answers with another map version or module count than the layout says: its data is
    /// never applied (retried at the longest backoff).
    Refused,
}

impl ConnectionState {
    /// Lower-case name, as reports and the gateway's Sparkplug metrics write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::Refused => "refused",
        }
    }
}

/// Health of one controller's link.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Default, Debug)]
pub struct ControllerHealth {
    /// Connection state.
    pub connection: ConnectionState,
    /// No complete read of its changed data for three poll intervals (slow cycles included).
    pub stale: bool,
    /// The header's heartbeat stood still for the controller's `frozen_after_ms`: the Modbus
    /// stack answers, the PTL program does not run.
    pub frozen: bool,
    /// Blocks the controller answered with an exception (bits by [`Block`] order): the data
    /// that depends on them is missing, the rest keeps updating.
    pub missing_blocks: u16,
    /// How long the last complete cycle took, milliseconds.
    pub cycle_ms: u32,
    /// Wall-clock time the last complete cycle started, milliseconds since the Unix epoch
    /// (0: never): the age of the data is now minus this.
    pub last_good_poll_ms: u64,
    /// Median request latency over the recent window, microseconds.
    pub latency_p50_us: u32,
    /// 99th-percentile request latency, microseconds.
    pub latency_p99_us: u32,
    /// Complete poll cycles.
    pub polls: u32,
    /// Successful requests.
    pub requests: u32,
    /// Transport errors, timeouts and malformed responses.
    pub errors: u32,
    /// Modbus exception responses.
    pub exceptions: u32,
    /// Connections made after the first.
    pub reconnects: u32,
    /// States coalesced link-wide (replaced while the view was full) when this was sent.
    pub coalesced: u32,
    /// The controller's status word at the last good poll (bit 1: host watchdog tripped).
    pub status: u16,
    /// The controller clock at the last good poll, seconds (follows the simulator's speed).
    pub clock_s: u32,
    /// The controller clock's speed factor (1: real time; 0: not reported).
    pub clock_speed: u16,
}

impl ControllerHealth {
    /// Whether its data is current: connected, fresh and not frozen.
    pub fn is_fresh(&self) -> bool {
        self.connection == ConnectionState::Connected && !self.stale && !self.frozen
    }

    /// Data age at wall time `now_ms` (milliseconds since the Unix epoch), `None` before the
    /// first complete cycle.
    pub fn age_ms(&self, now_ms: u64) -> Option<u64> {
        (self.last_good_poll_ms != 0).then(|| now_ms.saturating_sub(self.last_good_poll_ms))
    }

    /// Whether a block was found missing.
    pub fn is_missing(&self, block: Block) -> bool {
        self.missing_blocks & (1 << block as u16) != 0
    }
}
