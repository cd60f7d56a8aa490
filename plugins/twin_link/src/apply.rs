//! What each [`LinkMessage`] changes, written once. Every holder of the twin's state (the ECS
//! in [`crate::LinkPlugin`], a recording's `TwinState`, the overlay's feeder for replays)
//! implements [`LinkState`] and hands messages to [`apply`], so they cannot disagree about
//! which message touches what.

use twin_model::ModuleIndex;

use crate::reading::{ControllerHealth, LinkEvent, LinkMessage, ModuleReading, OrderSlot, PickerReading};

/// A holder of the twin's state: one method per kind of fact the link reports.
pub trait LinkState {
    /// A module's latest reading.
    fn module(&mut self, module: ModuleIndex, reading: &ModuleReading);
    /// A picker's latest reading.
    fn picker(&mut self, picker: u16, reading: &PickerReading);
    /// An order-board slot's latest contents.
    fn order(&mut self, slot: u16, order: &OrderSlot);
    /// A controller's latest health report.
    fn health(&mut self, controller: u16, health: &ControllerHealth);
    /// Something that happened (changes no table; holders that raise alarms or messages
    /// from events override this).
    fn event(&mut self, _event: &LinkEvent) {}
}

/// Applies one message to `state`.
// Always inlined: it is the ECS hot path's per-message dispatch (100k messages a frame).
#[inline(always)]
pub fn apply<S: LinkState + ?Sized>(state: &mut S, msg: &LinkMessage) {
    match msg {
        LinkMessage::Module { module, reading } => state.module(*module, reading),
        LinkMessage::Picker { picker, reading } => state.picker(*picker, reading),
        LinkMessage::Order { slot, order } => state.order(*slot, order),
        LinkMessage::Health { controller, health } => state.health(*controller, health),
        LinkMessage::Event(event) => state.event(event),
    }
}

/// Writes `value` at `index` of a table the link fills by index, growing it when the index is
/// past its end (a board or health table sized from the layout may meet a controller that
/// reports more); returns whether anything changed, so callers write only real changes.
#[inline]
pub fn put<T: Default + Clone + PartialEq>(table: &mut Vec<T>, index: usize, value: &T) -> bool {
    if index >= table.len() {
        table.resize(index + 1, T::default());
    }
    if table[index] == *value {
        return false;
    }
    table[index] = value.clone();
    true
}

/// The link's coalesced-state count as a holder keeps it: the largest any controller reported
/// (each report carries the running total).
#[inline]
pub fn coalesced_total(current: u32, health: &ControllerHealth) -> u32 {
    current.max(health.coalesced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Log(Vec<&'static str>);

    impl LinkState for Log {
        fn module(&mut self, _: ModuleIndex, _: &ModuleReading) {
            self.0.push("module");
        }
        fn picker(&mut self, _: u16, _: &PickerReading) {
            self.0.push("picker");
        }
        fn order(&mut self, _: u16, _: &OrderSlot) {
            self.0.push("order");
        }
        fn health(&mut self, _: u16, _: &ControllerHealth) {
            self.0.push("health");
        }
    }

    #[test]
    fn each_message_reaches_its_handler_and_events_change_no_table() {
        let mut log = Log::default();
        for m in [
            LinkMessage::Module { module: 1, reading: ModuleReading::default() },
            LinkMessage::Picker { picker: 0, reading: PickerReading::default() },
            LinkMessage::Order { slot: 0, order: OrderSlot::default() },
            LinkMessage::Health { controller: 0, health: Box::default() },
            LinkMessage::Event(LinkEvent::Stale { controller: 0 }),
        ] {
            apply(&mut log, &m);
        }
        assert_eq!(log.0, ["module", "picker", "order", "health"]);
    }

    #[test]
    fn put_grows_and_reports_changes() {
        let mut v: Vec<u16> = vec![0; 2];
        assert!(put(&mut v, 3, &7));
        assert_eq!(v, [0, 0, 0, 7]);
        assert!(!put(&mut v, 3, &7), "same value: no change");
        assert!(!put(&mut v, 0, &0));
        let h = ControllerHealth { coalesced: 5, ..Default::default() };
        assert_eq!((coalesced_total(9, &h), coalesced_total(2, &h)), (9, 5));
    }
}
