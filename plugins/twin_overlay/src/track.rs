//! Feeds [`Ops`](crate::ops::Ops) from the link every frame: the controller clock, the order
//! board's changed slots, changed modules, and controller health and faults. Picks are read
//! from module states and the board (state, never missed between polls), not from the link's
//! confirmation events, which only fire when a poll happens to see a latch.

use bevy::prelude::*;
use twin_link::{
    BlockMissing, ControllerDisconnected, ControllerHealth, ControllerRefused, LightModule, LinkHealth,
    ModbusException, OrderBoard, OrderLine, OrderSlot, Picker, SiteClock, SourceEvent, SourceHealth,
    SourceKind,
};

use crate::OpsModel;
use crate::OverlaySystems;
use crate::ops::PickerCounts;
use twin_link::clock::wall_ms;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, track_link.in_set(OverlaySystems::Track));
}

/// What the tracker remembers between frames to send only changes on.
#[derive(Default)]
struct Seen {
    board: Vec<OrderSlot>,
    lines: Vec<Vec<OrderLine>>,
    health: Vec<ControllerHealth>,
    sources: [Option<SourceHealth>; 2],
    started_ms: u64,
}

/// The link's facts this frame.
#[derive(bevy::ecs::system::SystemParam)]
struct LinkFacts<'w, 's> {
    disconnected: MessageReader<'w, 's, ControllerDisconnected>,
    exceptions: MessageReader<'w, 's, ModbusException>,
    missing: MessageReader<'w, 's, BlockMissing>,
    refused: MessageReader<'w, 's, ControllerRefused>,
    sources: MessageReader<'w, 's, SourceEvent>,
}

fn track_link(
    mut model: ResMut<OpsModel>,
    health: Res<LinkHealth>,
    board: Res<OrderBoard>,
    changed: Query<&LightModule, Changed<LightModule>>,
    pickers: Query<&Picker>,
    mut facts: LinkFacts,
    mut seen: Local<Seen>,
) {
    let ops = &mut model.0;
    let wall = wall_ms();
    if seen.started_ms == 0 {
        seen.started_ms = wall;
    }
    // The site clock (controllers' clock, else wall time of day); nothing moves before the
    // first poll.
    let now = SiteClock::now_of(&health.controllers, wall).unwrap_or(ops.now());
    let counts = PickerCounts::of(pickers.iter().map(|p| p.reading.state));
    ops.advance(now, wall, counts);

    // The reason first: the health report that follows then finds the alarm raised.
    for d in facts.disconnected.read() {
        ops.disconnected(d.controller, &d.reason);
    }
    for e in facts.exceptions.read() {
        ops.exception(e.controller, e.function, e.code, e.address);
    }
    for m in facts.missing.read() {
        ops.block_missing(m.controller, m.block, m.function, m.code, m.address);
    }
    for r in facts.refused.read() {
        ops.refused(r.controller, &r.reason);
    }
    for e in facts.sources.read() {
        ops.source_event(&e.0);
    }
    if health.is_changed() {
        seen.health.resize(health.controllers.len(), ControllerHealth::default());
        for (c, h) in health.controllers.iter().enumerate() {
            if seen.health[c] != *h {
                ops.health(c as u16, h);
                seen.health[c] = *h;
            }
        }
        for (i, (kind, h)) in
            [(SourceKind::Orders, health.order_source), (SourceKind::Pickers, health.picker_source)]
                .into_iter()
                .enumerate()
        {
            if let Some(h) = h
                && seen.sources[i] != Some(h)
            {
                ops.source(kind, &h);
                seen.sources[i] = Some(h);
            }
        }
    }
    if board.is_changed() {
        seen.board.resize(board.slots.len(), OrderSlot::default());
        for (i, s) in board.slots.iter().enumerate() {
            if seen.board[i] != *s {
                ops.order_slot(i as u16, s);
                seen.board[i] = *s;
            }
        }
        // Lines after their slots (a line is kept only by its order), before the modules (a
        // confirmed module finds its order through its line).
        seen.lines.resize_with(board.lines.len(), Vec::new);
        for (i, lines) in board.lines.iter().enumerate() {
            for (k, l) in lines.iter().enumerate() {
                if seen.lines[i].get(k) != Some(l) {
                    ops.order_line(i as u16, k as u16, l);
                }
            }
            if seen.lines[i] != *lines {
                seen.lines[i].clone_from(lines);
            }
        }
    }
    for m in &changed {
        ops.module(m.index, &m.reading);
    }
}
