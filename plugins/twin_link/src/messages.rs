//! The link's Bevy messages: facts from the controllers and the site data sources (connects,
//! drops, exceptions, missing blocks, refusals, confirms and shorts, source problems).

use std::sync::Arc;

use bevy_ecs::prelude::*;
use twin_model::ModuleIndex;

use crate::plan::Block;
use crate::reading::LinkEvent;

/// A controller connected.
#[derive(Message, Debug, Clone)]
pub struct ControllerConnected {
    /// Controller index.
    pub controller: u16,
}

/// A controller's connection failed or dropped.
#[derive(Message, Debug, Clone)]
pub struct ControllerDisconnected {
    /// Controller index.
    pub controller: u16,
    /// What happened.
    pub reason: Arc<str>,
}

/// A controller has been silent for three poll intervals; its modules are stale.
#[derive(Message, Debug, Clone)]
pub struct ControllerStale {
    /// Controller index.
    pub controller: u16,
}

/// A block of a controller's map answered with an exception: what depends on it is missing.
#[derive(Message, Debug, Clone)]
pub struct BlockMissing {
    /// Controller index.
    pub controller: u16,
    /// The block.
    pub block: Block,
    /// Function code.
    pub function: u8,
    /// Exception code.
    pub code: u8,
    /// First address of the request.
    pub address: u16,
}

/// A controller reports another map version or module count than the layout: refused.
#[derive(Message, Debug, Clone)]
pub struct ControllerRefused {
    /// Controller index.
    pub controller: u16,
    /// Both values, the layout file and the controller.
    pub reason: Arc<str>,
}

/// A controller answered with a Modbus exception.
#[derive(Message, Debug, Clone)]
pub struct ModbusException {
    /// Controller index.
    pub controller: u16,
    /// Function code.
    pub function: u8,
    /// Exception code.
    pub code: u8,
    /// First address of the request.
    pub address: u16,
}

/// A picker confirmed the full quantity at a module.
#[derive(Message, Debug, Clone)]
pub struct ButtonConfirmed {
    /// Module.
    pub module: ModuleIndex,
    /// Quantity.
    pub quantity: u16,
}

/// A picker confirmed less than asked.
#[derive(Message, Debug, Clone)]
pub struct ShortPick {
    /// Module.
    pub module: ModuleIndex,
    /// Asked.
    pub asked: u16,
    /// Confirmed.
    pub picked: u16,
}

/// A site data source went down, came back, or refused input (the event as the source sent
/// it: [`LinkEvent::SourceDown`], [`LinkEvent::SourceUp`], [`LinkEvent::SourceRejected`]).
#[derive(Message, Debug, Clone)]
pub struct SourceEvent(pub LinkEvent);
