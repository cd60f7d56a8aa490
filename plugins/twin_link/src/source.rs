//! A site data source's identity and health as it travels with the link's messages: which
//! data (orders, pickers), what kind of source, its state and data age.

/// Which kind of site data a source provides.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SourceKind {
    /// Orders and their lines.
    Orders,
    /// Picker positions.
    Pickers,
}

impl SourceKind {
    /// Lower-case name for logs and the overlay.
    pub fn name(self) -> &'static str {
        match self {
            Self::Orders => "orders",
            Self::Pickers => "pickers",
        }
    }
}

/// How a source is doing.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq, Default, Debug)]
pub enum SourceState {
    /// Not connected yet.
    #[default]
    Connecting,
    /// The last poll (or message) succeeded.
    Ok,
    /// Connection failed or dropped; retrying with backoff.
    Down,
}

/// A site data source's health, published after every poll and on every change of state.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct SourceHealth {
    /// What it is: `wms_sql`, `rtls_mqtt`, `inferred`.
    pub kind: SourceType,
    /// State now.
    pub state: SourceState,
    /// Wall-clock milliseconds (Unix epoch) of the last good poll or message; 0: never.
    pub last_good_ms: u64,
    /// Good polls (or messages) so far.
    pub polls: u64,
    /// Rows or messages refused (malformed, unknown module or picker, out of bounds).
    pub rejected: u64,
    /// Orders waiting for a free slot (the layout's `max_open` reached).
    pub waiting: u32,
    /// Milliseconds the source is allowed between good polls before it counts as stale.
    pub stale_after_ms: u32,
}

impl SourceHealth {
    /// Milliseconds since the last good poll at `wall_ms` (None: never).
    pub fn age_ms(&self, wall_ms: u64) -> Option<u64> {
        (self.last_good_ms > 0).then(|| wall_ms.saturating_sub(self.last_good_ms))
    }

    /// Whether the data is fresh at `wall_ms`: ok, and a good poll within the limit.
    pub fn is_fresh(&self, wall_ms: u64) -> bool {
        self.state == SourceState::Ok
            && self.age_ms(wall_ms).is_some_and(|a| a <= u64::from(self.stale_after_ms))
    }
}

/// The kinds of source beyond the controllers' own blocks.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq, Default, Debug)]
pub enum SourceType {
    /// A WMS database.
    #[default]
    WmsSql,
    /// RTLS over MQTT.
    RtlsMqtt,
    /// Inferred from confirmed lines.
    Inferred,
}

impl SourceType {
    /// Name as the layout writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::WmsSql => "WMS database",
            Self::RtlsMqtt => "RTLS",
            Self::Inferred => "inferred",
        }
    }
}
