//! Feeds [`Ops`] from the link's messages in order (a replay, or any lossless stream), the way
//! the live tracker feeds it from the ECS: the controllers' clock advances the model, module
//! readings, board slots, health and faults go to their handlers.

use twin_link::{LinkEvent, LinkMessage};
use twin_model::codes::PickerState;

use super::{Ops, PickerCounts};

/// What the feeder remembers between messages.
#[derive(Debug, Clone, Default)]
pub struct LinkFeeder {
    clocks: Vec<u32>,
    pickers: Vec<u16>,
}

impl LinkFeeder {
    /// Applies one message; `wall_ms` stamps alarms.
    pub fn feed(&mut self, ops: &mut Ops, msg: &LinkMessage, wall_ms: u64) {
        match msg {
            LinkMessage::Health { controller, health } => {
                let c = usize::from(*controller);
                if c >= self.clocks.len() {
                    self.clocks.resize(c + 1, 0);
                }
                if health.polls > 0 {
                    self.clocks[c] = health.clock_s;
                }
                let now = self.clocks.iter().copied().max().unwrap_or(0);
                if now > 0 && (f64::from(now) > ops.now() || !ops.started()) {
                    ops.advance(f64::from(now), wall_ms, self.counts());
                }
                ops.health(*controller, health);
            }
            LinkMessage::Module { module, reading } => ops.module(*module, reading),
            LinkMessage::Order { slot, order } => ops.order_slot(*slot, order),
            LinkMessage::Picker { picker, reading } => {
                let p = usize::from(*picker);
                if p >= self.pickers.len() {
                    self.pickers.resize(p + 1, PickerState::Absent as u16);
                }
                self.pickers[p] = reading.state;
            }
            LinkMessage::Event(LinkEvent::Disconnected { controller, reason }) => {
                ops.disconnected(*controller, reason)
            }
            LinkMessage::Event(LinkEvent::Exception { controller, function, code, address }) => {
                ops.exception(*controller, *function, *code, *address);
            }
            LinkMessage::Event(_) => {}
        }
    }

    /// Pickers busy and present now.
    pub fn counts(&self) -> PickerCounts {
        PickerCounts::of(self.pickers.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use twin_link::{ConnectionState, ControllerHealth, OrderSlot, PickerReading};
    use twin_model::codes::OrderStatus;

    use super::*;
    use crate::ops::OpsConfig;

    #[test]
    fn the_clock_advances_and_orders_count() {
        let mut ops = Ops::new(OpsConfig::default());
        let mut f = LinkFeeder::default();
        let h = |clock_s| LinkMessage::Health {
            controller: 0,
            health: ControllerHealth {
                connection: ConnectionState::Connected,
                polls: 1,
                clock_s,
                ..Default::default()
            },
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
