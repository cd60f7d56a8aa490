//! picktwin's MQTT gateway: one poller publishes the twin's state through a broker
//! ([`gateway`]), any number of read-only viewers subscribe ([`viewer`]); the wire format and
//! topic scheme are in [`wire`] (docs/gateway.md).

pub mod connect;
pub mod gateway;
mod mqtt;
pub mod sparkplug;
pub mod viewer;
pub mod wire;

pub use connect::{TlsFiles, connection, slug};
pub use gateway::{Connection, GatewayOptions, GatewayStats};
pub use viewer::{Sink, Viewer, ViewerOptions, ViewerStats};
pub use wire::{BrokerUrl, Topics};
