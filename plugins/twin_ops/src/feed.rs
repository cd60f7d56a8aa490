//! Feeds [`Ops`] from the link's messages in order (a replay, or any lossless stream), the way
//! the live tracker feeds it from the ECS: the controllers' clock advances the model, module
//! readings, board slots, health and faults go to their handlers. Which message changes what is
//! [`twin_link::apply`]'s rule; the site clock is [`SiteClock`].

use twin_link::{
    ControllerHealth, LinkEvent, LinkMessage, LinkState, ModuleReading, OrderLine, OrderSlot, PickerReading,
    SiteClock, SourceHealth, SourceKind, apply::put,
};
use twin_model::ModuleIndex;
use twin_model::codes::PickerState;

use super::{Ops, PickerCounts};

/// What the feeder remembers between messages.
#[derive(Debug, Clone, Default)]
pub struct LinkFeeder {
    clock: SiteClock,
    pickers: Vec<u16>,
}

impl LinkFeeder {
    /// Applies one message; `wall_ms` stamps alarms (and is the clock of controllers without
    /// one).
    pub fn feed(&mut self, ops: &mut Ops, msg: &LinkMessage, wall_ms: u64) {
        twin_link::apply(&mut Feed { feeder: self, ops, wall_ms }, msg);
    }

    /// Pickers busy and present now.
    pub fn counts(&self) -> PickerCounts {
        PickerCounts::of(self.pickers.iter().copied())
    }
}

/// The feeder and the model it feeds, for one message.
struct Feed<'a> {
    feeder: &'a mut LinkFeeder,
    ops: &'a mut Ops,
    wall_ms: u64,
}

impl LinkState for Feed<'_> {
    fn module(&mut self, module: ModuleIndex, reading: &ModuleReading) {
        self.ops.module(module, reading);
    }

    fn picker(&mut self, picker: u16, reading: &PickerReading) {
        let p = usize::from(picker);
        if p >= self.feeder.pickers.len() {
            self.feeder.pickers.resize(p + 1, PickerState::Absent as u16);
        }
        put(&mut self.feeder.pickers, p, &reading.state);
    }

    fn order(&mut self, slot: u16, order: &OrderSlot) {
        self.ops.order_slot(slot, order);
    }

    fn line(&mut self, slot: u16, index: u16, line: &OrderLine) {
        self.ops.order_line(slot, index, line);
    }

    fn source(&mut self, source: SourceKind, health: &SourceHealth) {
        self.ops.source(source, health);
    }

    fn health(&mut self, controller: u16, health: &ControllerHealth) {
        self.feeder.clock.report(controller, health);
        if let Some(now) = self.feeder.clock.now(self.wall_ms)
            && (now > self.ops.now() || !self.ops.started())
        {
            self.ops.advance(now, self.wall_ms, self.feeder.counts());
        }
        self.ops.health(controller, health);
    }

    fn event(&mut self, event: &LinkEvent) {
        match event {
            LinkEvent::Disconnected { controller, reason } => self.ops.disconnected(*controller, reason),
            LinkEvent::Refused { controller, reason } => self.ops.refused(*controller, reason),
            LinkEvent::BlockMissing { controller, block, function, code, address } => {
                self.ops.block_missing(*controller, *block, *function, *code, *address);
            }
            LinkEvent::Exception { controller, function, code, address } => {
                self.ops.exception(*controller, *function, *code, *address);
            }
            LinkEvent::SourceDown { .. } | LinkEvent::SourceUp { .. } | LinkEvent::SourceRejected { .. } => {
                self.ops.source_event(event);
            }
            LinkEvent::Lost { count } => self.ops.feed_alarm(
                super::AlarmKind::DataLost,
                format!("{count} messages lost here: the recorder fell behind; the floor may be off until the next keyframe"),
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use twin_link::{ConnectionState, ControllerHealth, OrderSlot, PickerReading};
    use twin_model::codes::OrderStatus;

    use super::*;
    use crate::OpsConfig;

    #[test]
    fn the_clock_advances_and_orders_count() {
        let mut ops = Ops::new(OpsConfig::default());
        let mut f = LinkFeeder::default();
        let h = |clock_s| LinkMessage::Health {
            controller: 0,
            health: Box::new(ControllerHealth {
                connection: ConnectionState::Connected,
                polls: 1,
                clock_s,
                ..Default::default()
            }),
        };
        let busy = PickerReading { state: PickerState::Walking as u16, ..Default::default() };
        f.feed(&mut ops, &LinkMessage::Picker { picker: 0, reading: busy }, 0);
        f.feed(&mut ops, &h(7 * 3600), 0);
        let order = |status: OrderStatus, done| OrderSlot {
            order_id: 1,
            lines_total: 2,
            lines_done: done,
            status: status as u16,
            picker: 0,
            ..Default::default()
        };
        f.feed(&mut ops, &LinkMessage::Order { slot: 0, order: order(OrderStatus::Active, 0) }, 0);
        f.feed(&mut ops, &h(7 * 3600 + 1800), 0);
        f.feed(&mut ops, &LinkMessage::Order { slot: 0, order: order(OrderStatus::Done, 2) }, 0);
        f.feed(&mut ops, &h(7 * 3600 + 3600), 0);
        ops.refresh();
        assert_eq!(ops.now(), f64::from(8 * 3600));
        let k = ops.kpis();
        assert_eq!((k.orders_done, k.lines, k.orders_per_h), (1, 2, 1.0));
        assert_eq!(k.utilisation, Some(1.0));
    }
}
