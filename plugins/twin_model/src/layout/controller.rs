//! A PTL controller as the layout declares it: where it is, which map it speaks, how it is
//! polled and when its heartbeat counts as frozen.

use serde::{Deserialize, Serialize};

use crate::register_map::DEFAULT_MAP_NAME;

/// A PTL controller reachable over Modbus TCP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// Unique name racks refer to.
    pub name: String,
    /// `host:port` (`[v6]:port` for IPv6 literals).
    pub address: String,
    /// Modbus unit id.
    #[serde(default = "default_unit_id")]
    pub unit_id: u8,
    /// Poll interval in milliseconds.
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u32,
    /// Register map name.
    #[serde(default = "default_map")]
    pub register_map: String,
    /// TCP connections the link opens to this controller and reads over in parallel (PLCs
    /// accept 3 to 8; each answers one request at a time). Default 1.
    #[serde(default = "default_connections", skip_serializing_if = "is_one")]
    pub connections: u8,
    /// How long the header's heartbeat may stand still before the controller counts as frozen
    /// (its Modbus stack answers, its program does not run). Default 3000 ms.
    #[serde(default = "default_frozen_ms", skip_serializing_if = "is_default_frozen")]
    pub frozen_after_ms: u32,
}

fn default_connections() -> u8 {
    1
}

fn is_one(n: &u8) -> bool {
    *n == 1
}

fn default_frozen_ms() -> u32 {
    3000
}

fn is_default_frozen(ms: &u32) -> bool {
    *ms == 3000
}

fn default_unit_id() -> u8 {
    1
}

fn default_poll_ms() -> u32 {
    200
}

fn default_map() -> String {
    DEFAULT_MAP_NAME.to_owned()
}
