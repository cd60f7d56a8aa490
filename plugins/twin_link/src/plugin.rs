//! The ECS side of the link: entities for modules and pickers, and the hot-path system that
//! applies the poller's changes to them every frame.
//!
//! The system drains the view channel in `PreUpdate` with a per-frame budget, finds entities
//! through a dense index (module index → `Entity`), writes a component only when its value
//! really changed (so `Changed<LightModule>` means something), and never inserts or removes
//! components (no archetype moves) or allocates in steady state.

use std::sync::Arc;

use bevy_app::{App, Plugin, PreUpdate, Startup};
use bevy_ecs::prelude::*;
use twin_model::{ModuleIndex, Site};

use crate::LinkState;
use crate::apply::{coalesced_total, put, put_line};
use crate::channel::ViewReceiver;
pub use crate::messages::*;
use crate::reading::{
    ControllerHealth, LinkEvent, LinkMessage, ModuleReading, OrderLine, OrderSlot, PickerReading,
    SourceHealth, SourceKind,
};

/// Applies the live link to the ECS.
pub struct LinkPlugin;

impl Plugin for LinkPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ModuleEntities>()
            .init_resource::<PickerEntities>()
            .init_resource::<OrderBoard>()
            .init_resource::<LinkHealth>()
            .init_resource::<LinkBudget>()
            .init_resource::<Staging>()
            .add_message::<ControllerConnected>()
            .add_message::<ControllerDisconnected>()
            .add_message::<ControllerStale>()
            .add_message::<ModbusException>()
            .add_message::<BlockMissing>()
            .add_message::<ControllerRefused>()
            .add_message::<ButtonConfirmed>()
            .add_message::<ShortPick>()
            .add_message::<SourceEvent>()
            .configure_sets(Startup, LinkSystems::Spawn)
            .configure_sets(PreUpdate, LinkSystems::Apply)
            .add_systems(Startup, spawn_site_entities.in_set(LinkSystems::Spawn))
            .add_systems(PreUpdate, apply_link_messages.in_set(LinkSystems::Apply));
    }
}

/// The link's systems, for ordering others against them.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkSystems {
    /// Spawns one entity per module and picker of the site (Startup).
    Spawn,
    /// Applies the poller's messages (PreUpdate).
    Apply,
}

/// The site the link mirrors.
#[derive(Resource, Clone)]
pub struct LinkSite(pub Arc<Site>);

/// The view channel from the poller (or a replay source producing the same messages).
#[derive(Resource)]
pub struct LinkReceiver(pub ViewReceiver);

/// Module states received this frame, staged densely before they touch entities.
#[derive(Resource, Default)]
struct Staging {
    readings: Vec<ModuleReading>,
    dirty: Vec<ModuleIndex>,
    is_dirty: Vec<bool>,
}

/// A light module's live state.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct LightModule {
    /// Index into the site's modules.
    pub index: ModuleIndex,
    /// Latest reading.
    pub reading: ModuleReading,
}

/// A picker's live state.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Picker {
    /// Index into the roster.
    pub index: u16,
    /// Latest reading.
    pub reading: PickerReading,
}

/// Module index → entity.
#[derive(Resource, Default, Debug)]
pub struct ModuleEntities(pub Vec<Entity>);

/// Picker index → entity.
#[derive(Resource, Default, Debug)]
pub struct PickerEntities(pub Vec<Entity>);

/// The open orders as the order source publishes them (the board's slots, or the WMS
/// connector's).
#[derive(Resource, Default, Debug)]
pub struct OrderBoard {
    /// Slot contents (`order_id` 0: empty).
    pub slots: Vec<OrderSlot>,
    /// By slot: the lines of the order in it, when the source names them.
    pub lines: Vec<Vec<OrderLine>>,
}

/// Health of the link, per controller.
#[derive(Resource, Default, Debug)]
pub struct LinkHealth {
    /// By controller index.
    pub controllers: Vec<ControllerHealth>,
    /// Messages applied in the last frame.
    pub applied_last_frame: usize,
    /// States the poller coalesced because the view fell behind (latest count reported).
    pub coalesced: u32,
    /// The poller's channel closed: no more data will come.
    pub source_closed: bool,
    /// The order source's health (None: orders come from the board, or no source).
    pub order_source: Option<SourceHealth>,
    /// The picker source's health.
    pub picker_source: Option<SourceHealth>,
}

/// Most messages applied per frame; the rest wait for the next frame.
#[derive(Resource, Debug)]
pub struct LinkBudget(pub usize);

impl Default for LinkBudget {
    fn default() -> Self {
        Self(250_000)
    }
}

/// One entity per module and picker, indexed densely.
fn spawn_site_entities(
    mut commands: Commands,
    site: Option<Res<LinkSite>>,
    mut modules: ResMut<ModuleEntities>,
    mut pickers: ResMut<PickerEntities>,
    mut health: ResMut<LinkHealth>,
    mut board: ResMut<OrderBoard>,
    mut staging: ResMut<Staging>,
) {
    let Some(site) = site else { return };
    let site = &site.0;
    // Every buffer the hot path needs, allocated once.
    staging.readings = vec![ModuleReading::default(); site.modules.len()];
    staging.is_dirty = vec![false; site.modules.len()];
    staging.dirty = Vec::with_capacity(site.modules.len());
    modules.0 = (0..site.modules.len() as ModuleIndex)
        .map(|index| commands.spawn(LightModule { index, reading: ModuleReading::default() }).id())
        .collect();
    // A picker no source has reported is absent, not idle: utilisation and the console count
    // only pickers something has seen.
    let unseen =
        PickerReading { state: twin_model::codes::PickerState::Absent as u16, ..PickerReading::default() };
    pickers.0 = (0..site.layout.pickers.len() as u16)
        .map(|index| commands.spawn(Picker { index, reading: unseen }).id())
        .collect();
    health.controllers = vec![ControllerHealth::default(); site.layout.controllers.len()];
    board.slots = vec![OrderSlot::default(); site.order_slots()];
}

/// Writers of the link's messages, bundled to keep the system's signature readable.
#[derive(bevy_ecs::system::SystemParam)]
pub struct LinkWriters<'w> {
    connected: MessageWriter<'w, ControllerConnected>,
    disconnected: MessageWriter<'w, ControllerDisconnected>,
    stale: MessageWriter<'w, ControllerStale>,
    exception: MessageWriter<'w, ModbusException>,
    missing: MessageWriter<'w, BlockMissing>,
    refused: MessageWriter<'w, ControllerRefused>,
    source: MessageWriter<'w, SourceEvent>,
    confirmed: MessageWriter<'w, ButtonConfirmed>,
    short: MessageWriter<'w, ShortPick>,
}

/// The ECS as a [`LinkState`]: module readings are staged densely (applied to entities after
/// the batch), pickers and board slots are written only when they differ (so change detection
/// means something), events become Bevy messages.
struct EcsState<'a, 'w, 's, 'q, 'o> {
    readings: &'a mut [ModuleReading],
    is_dirty: &'a mut [bool],
    dirty: &'a mut Vec<ModuleIndex>,
    picker_entities: &'a PickerEntities,
    pickers: &'a mut Query<'w, 's, &'q mut Picker>,
    board: Mut<'a, OrderBoard>,
    health: Mut<'a, LinkHealth>,
    out: &'a mut LinkWriters<'o>,
}

impl LinkState for EcsState<'_, '_, '_, '_, '_> {
    #[inline(always)]
    fn module(&mut self, module: ModuleIndex, reading: &ModuleReading) {
        let i = module as usize;
        if let (Some(slot), Some(dirty)) = (self.readings.get_mut(i), self.is_dirty.get_mut(i)) {
            *slot = *reading;
            if !*dirty {
                *dirty = true;
                self.dirty.push(module);
            }
        }
    }

    fn picker(&mut self, picker: u16, reading: &PickerReading) {
        if let Some(&e) = self.picker_entities.0.get(usize::from(picker))
            && let Ok(mut p) = self.pickers.get_mut(e)
            && p.reading != *reading
        {
            p.reading = *reading;
        }
    }

    fn order(&mut self, slot: u16, order: &OrderSlot) {
        let i = usize::from(slot);
        // Read first: touching the board mutably marks it changed for the overlay.
        if self.board.slots.get(i) != Some(order) {
            put(&mut self.board.slots, i, order);
        }
    }

    fn line(&mut self, slot: u16, index: u16, line: &OrderLine) {
        let k = usize::from(slot);
        let board = &mut *self.board;
        if let Some(s) = board.slots.get(k)
            && board.lines.get(k).and_then(|l| l.get(usize::from(index))) != Some(line)
        {
            put_line(&mut board.lines, s, k, index, line);
        }
    }

    fn health(&mut self, controller: u16, h: &ControllerHealth) {
        self.health.coalesced = coalesced_total(self.health.coalesced, h);
        put(&mut self.health.controllers, usize::from(controller), h);
    }

    fn source(&mut self, source: SourceKind, h: &SourceHealth) {
        match source {
            SourceKind::Orders => self.health.order_source = Some(*h),
            SourceKind::Pickers => self.health.picker_source = Some(*h),
        }
    }

    // Rare next to state changes: kept out of the dispatch loop.
    #[cold]
    fn event(&mut self, event: &LinkEvent) {
        let out = &mut self.out;
        match event.clone() {
            LinkEvent::Connected { controller } => {
                out.connected.write(ControllerConnected { controller });
            }
            LinkEvent::Disconnected { controller, reason } => {
                out.disconnected.write(ControllerDisconnected { controller, reason });
            }
            LinkEvent::Stale { controller } => {
                out.stale.write(ControllerStale { controller });
            }
            LinkEvent::Exception { controller, function, code, address } => {
                out.exception.write(ModbusException { controller, function, code, address });
            }
            LinkEvent::BlockMissing { controller, block, function, code, address } => {
                out.missing.write(BlockMissing { controller, block, function, code, address });
            }
            LinkEvent::Refused { controller, reason } => {
                out.refused.write(ControllerRefused { controller, reason });
            }
            // Frozen travels in the health report (and greys the modules); losses concern
            // lossless subscribers, never the view.
            LinkEvent::Frozen { .. } | LinkEvent::Lost { .. } => {}
            LinkEvent::Confirmed { module, quantity } => {
                out.confirmed.write(ButtonConfirmed { module, quantity });
            }
            LinkEvent::Shortage { module, asked, picked } => {
                out.short.write(ShortPick { module, asked, picked });
            }
            e @ (LinkEvent::SourceDown { .. }
            | LinkEvent::SourceUp { .. }
            | LinkEvent::SourceRejected { .. }) => {
                out.source.write(SourceEvent(e));
            }
        }
    }
}

/// The hot path: applies up to [`LinkBudget`] messages from the channel.
///
/// Module states are staged densely first (the last state of a module wins), then written to
/// entities: by lookup when few changed, by one pass over the table in memory order when many
/// did. Either way a component is written only if its value differs.
#[expect(clippy::too_many_arguments, reason = "a system's parameters are its data access")]
fn apply_link_messages(
    receiver: Option<ResMut<LinkReceiver>>,
    budget: Res<LinkBudget>,
    module_entities: Res<ModuleEntities>,
    picker_entities: Res<PickerEntities>,
    mut staging: ResMut<Staging>,
    mut modules: Query<&mut LightModule>,
    mut pickers: Query<&mut Picker>,
    mut board: ResMut<OrderBoard>,
    mut health: ResMut<LinkHealth>,
    mut out: LinkWriters,
) -> Result {
    let Some(mut receiver) = receiver else { return Ok(()) };
    let staging = &mut *staging;
    // Built once per frame: the per-message work is the dispatch alone.
    let mut state = EcsState {
        readings: &mut staging.readings,
        is_dirty: &mut staging.is_dirty,
        dirty: &mut staging.dirty,
        picker_entities: &picker_entities,
        pickers: &mut pickers,
        board: board.reborrow(),
        health: health.reborrow(),
        out: &mut out,
    };
    // Module states are nearly all the traffic. The poller sends them in module order, and the
    // modules were spawned in that order, so a cursor walking the table in step with the
    // messages finds each one without a lookup (a merge join). A message behind the cursor (a
    // second controller's batch, a repeat) is staged and applied by lookup after the drain, so
    // the last state of a module still wins.
    let mut cursor = modules.iter_mut();
    let mut at = cursor.next();
    let (applied, open) = receiver.0.drain(budget.0, |msg| match msg {
        LinkMessage::Module { module, reading } => {
            while let Some(m) = &mut at {
                if m.index == *module {
                    if m.reading != *reading {
                        m.reading = *reading;
                    }
                    return;
                }
                if m.index > *module {
                    break;
                }
                at = cursor.next();
            }
            state.module(*module, reading);
        }
        other => crate::apply(&mut state, other),
    });
    if !open && !state.health.source_closed {
        tracing::error!("the link's channel closed: no more live data");
        state.health.source_closed = true;
    }

    // Many changes: one pass in memory order beats random lookups.
    if staging.dirty.len() > staging.readings.len() / 8 {
        // `for_each` folds over each table's rows (no per-item archetype checks, unlike `next`).
        let (readings, is_dirty) = (&staging.readings, &staging.is_dirty);
        modules.iter_mut().for_each(|mut m| {
            let i = m.index as usize;
            if let (Some(true), Some(r)) = (is_dirty.get(i), readings.get(i))
                && m.reading != *r
            {
                m.reading = *r;
            }
        });
    } else {
        for &module in &staging.dirty {
            let i = module as usize;
            if let Some(&e) = module_entities.0.get(i)
                && let Ok(mut m) = modules.get_mut(e)
                && m.reading != staging.readings[i]
            {
                m.reading = staging.readings[i];
            }
        }
    }
    for &module in &staging.dirty {
        staging.is_dirty[module as usize] = false;
    }
    staging.dirty.clear();

    if health.applied_last_frame != applied {
        health.applied_last_frame = applied;
    }
    Ok(())
}
