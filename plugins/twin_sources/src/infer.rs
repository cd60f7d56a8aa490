//! Pickers without an RTLS: where each one is, inferred from the lines they confirm. A picker
//! stands in front of the module whose line of their order they last confirmed, faces the next
//! lit module of that order (walking) or stays (picking), and shows idle after `idle_after_s`
//! on the site clock without a confirm. Every reading is marked `inferred`, so views draw it
//! as a guess, never as a measurement.

use crossbeam_channel::Receiver;
use twin_link::clock::wall_ms;
use twin_link::{
    LinkMessage, ModuleReading, NO_MODULE, OrderSlot, PickerReading, Publisher, SiteClock, SourceHealth,
    SourceKind, SourceState, SourceType,
};
use twin_model::codes::{ModuleState, NO_PICKER, PickerState};
use twin_model::{ModuleIndex, Site};
use twin_record::TwinState;

/// How far in front of a module the picker stands (metres).
const STAND_OFF_M: f32 = 0.6;

/// The inference: the twin's state as the stream says it (orders, lines, modules; kept by the
/// one applier, `TwinState`), each picker's last confirm.
pub struct Inference {
    positions: Vec<[f32; 2]>,
    idle_after_s: f64,
    state: TwinState,
    clock: SiteClock,
    wall_ms: u64,
    pickers: Vec<(PickerReading, f64)>,
    out: Vec<LinkMessage>,
}

impl Inference {
    /// For `site`'s modules and roster.
    pub fn new(site: &Site, idle_after_s: u32) -> Self {
        let positions = site
            .modules
            .iter()
            .map(|m| {
                let n = m.facing.normal();
                [m.position[0] + n[0] * STAND_OFF_M, m.position[1] + n[1] * STAND_OFF_M]
            })
            .collect();
        let absent =
            PickerReading { state: PickerState::Absent as u16, inferred: true, ..Default::default() };
        Self {
            positions,
            idle_after_s: f64::from(idle_after_s),
            state: TwinState::for_site(site),
            clock: SiteClock::default(),
            wall_ms: 0,
            pickers: vec![(absent, f64::NEG_INFINITY); site.layout.pickers.len()],
            out: Vec::new(),
        }
    }

    /// Takes one message of the link's stream (at wall time `wall_ms`); returns the picker
    /// messages it implies.
    pub fn feed(&mut self, msg: &LinkMessage, wall_ms: u64) -> std::vec::Drain<'_, LinkMessage> {
        self.wall_ms = wall_ms;
        let before = match msg {
            LinkMessage::Module { module, .. } => self.state.modules.get(*module as usize).copied(),
            _ => None,
        };
        self.state.apply(msg);
        match msg {
            LinkMessage::Module { module, reading } => {
                if let Some(before) = before {
                    self.confirmed(*module, &before, reading);
                }
            }
            LinkMessage::Health { controller, health } => self.clock.report(*controller, health),
            _ => {}
        }
        self.out.drain(..)
    }

    /// Pickers whose last confirm is older than the limit become idle; returns their messages.
    pub fn tick(&mut self, wall_ms: u64) -> std::vec::Drain<'_, LinkMessage> {
        self.wall_ms = wall_ms;
        if let Some(now) = self.clock.now(wall_ms) {
            for (i, (r, at)) in self.pickers.iter_mut().enumerate() {
                let busy = r.state == PickerState::Walking as u16 || r.state == PickerState::Picking as u16;
                if busy && now - *at > self.idle_after_s {
                    r.state = PickerState::Idle as u16;
                    r.order = 0;
                    self.out.push(LinkMessage::Picker { picker: i as u16, reading: *r });
                }
            }
        }
        self.out.drain(..)
    }

    /// The open line on `module`: its slot's order.
    fn order_on(&self, module: ModuleIndex) -> Option<&OrderSlot> {
        self.state.lines.iter().enumerate().find_map(|(slot, lines)| {
            let o = self.state.orders.get(slot)?;
            lines.iter().any(|l| l.module == module && l.order_id == o.order_id).then_some(o)
        })
    }

    /// The next lit module of `order` after `module`, if any.
    fn next_lit(&self, order: &OrderSlot, module: ModuleIndex) -> Option<ModuleIndex> {
        let slot = self.state.orders.iter().position(|o| o.order_id == order.order_id)?;
        let lit = ModuleState::Lit as u16;
        self.state.lines.get(slot)?.iter().map(|l| l.module).find(|&m| {
            m != module
                && m != NO_MODULE
                && self.state.modules.get(m as usize).is_some_and(|s| s.state == lit)
        })
    }

    /// A module's new reading after `before`: a lit module that left lit after a press means
    /// that line's picker was here just now.
    fn confirmed(&mut self, module: ModuleIndex, before: &ModuleReading, r: &ModuleReading) {
        let lit = ModuleState::Lit as u16;
        if !(before.state == lit && r.state != lit && r.press_count != before.press_count) {
            return;
        }
        let Some(order) = self.order_on(module).copied() else { return };
        if order.picker == NO_PICKER {
            return;
        }
        let Some(now) = self.clock.now(self.wall_ms) else { return };
        let Some(&[x, y]) = self.positions.get(module as usize) else { return };
        let cm = |v: f32| (v.max(0.0) * 100.0).round().min(65535.0) as u16;
        let mut reading = PickerReading {
            x_cm: cm(x),
            y_cm: cm(y),
            state: PickerState::Picking as u16,
            order: order.order_id,
            inferred: true,
            ..Default::default()
        };
        if let Some(next) = self.next_lit(&order, module)
            && let Some(&[nx, ny]) = self.positions.get(next as usize)
        {
            reading.state = PickerState::Walking as u16;
            reading.heading_cdeg =
                (((ny - y).atan2(nx - x).to_degrees().rem_euclid(360.0)) * 100.0) as u16 % 36000;
        }
        if let Some(p) = self.pickers.get_mut(usize::from(order.picker)) {
            *p = (reading, now);
            self.out.push(LinkMessage::Picker { picker: order.picker, reading });
        }
    }
}

/// Runs the inference on the link's lossless stream until it closes or `stop` sends.
pub fn run(
    site: &Site,
    idle_after_s: u32,
    input: Receiver<LinkMessage>,
    publisher: Publisher,
    stop: Receiver<()>,
) {
    let mut inf = Inference::new(site, idle_after_s);
    let mut health = SourceHealth {
        kind: SourceType::Inferred,
        state: SourceState::Ok,
        stale_after_ms: u32::MAX,
        ..Default::default()
    };
    let mut last_tick = 0u64;
    loop {
        crossbeam_channel::select! {
            recv(input) -> msg => {
                let Ok(msg) = msg else { return };
                let wall = wall_ms();
                let out: Vec<LinkMessage> = inf.feed(&msg, wall).collect();
                health.polls += 1;
                health.last_good_ms = wall;
                if !out.is_empty() {
                    publisher.publish_all(out);
                }
                if wall.saturating_sub(last_tick) >= 1000 {
                    last_tick = wall;
                    let idle: Vec<LinkMessage> = inf.tick(wall).collect();
                    publisher.publish_all(idle.into_iter().chain([LinkMessage::Source { source: SourceKind::Pickers, health }]));
                }
            }
            recv(stop) -> _ => return,
        }
    }
}
