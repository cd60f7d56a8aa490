//! What each [`LinkMessage`] changes, written once. Every holder of the twin's state (the ECS
//! in [`crate::LinkPlugin`], a recording's `TwinState`, the overlay's feeder for replays)
//! implements [`LinkState`] and hands messages to [`apply`], so they cannot disagree about
//! which message touches what.

use twin_model::ModuleIndex;

use crate::reading::{
    ControllerHealth, LinkEvent, LinkMessage, ModuleReading, OrderLine, OrderSlot, PickerReading,
    SourceHealth, SourceKind,
};

/// A holder of the twin's state: one method per kind of fact the link reports.
pub trait LinkState {
    /// A module's latest reading.
    fn module(&mut self, module: ModuleIndex, reading: &ModuleReading);
    /// A picker's latest reading.
    fn picker(&mut self, picker: u16, reading: &PickerReading);
    /// An order-board slot's latest contents.
    fn order(&mut self, slot: u16, order: &OrderSlot);
    /// A line of the order in `slot`: its latest contents. Holders keep it only while the slot
    /// holds `line.order_id` (see [`line_belongs`]).
    fn line(&mut self, slot: u16, index: u16, line: &OrderLine);
    /// A controller's latest health report.
    fn health(&mut self, controller: u16, health: &ControllerHealth);
    /// A site data source's latest health.
    fn source(&mut self, source: SourceKind, health: &SourceHealth);
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
        LinkMessage::Line { slot, index, line } => state.line(*slot, *index, line),
        LinkMessage::Health { controller, health } => state.health(*controller, health),
        LinkMessage::Source { source, health } => state.source(*source, health),
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

/// Whether a line belongs with the order a slot holds: same order, index within its lines.
/// Lines and orders travel as separate messages, and a coalescing view may deliver a freed
/// slot's old line after the slot's new order; this is the one rule that drops such a line.
#[inline]
pub fn line_belongs(slot: &OrderSlot, index: u16, line: &OrderLine) -> bool {
    slot.order_id != 0 && slot.order_id == line.order_id && index < slot.lines_total
}

/// Stores a line in a per-slot line table (bounded by the slot's `lines_total`); returns
/// whether anything changed. A slot whose order changed drops its old lines first.
pub fn put_line(
    lines: &mut Vec<Vec<OrderLine>>,
    slot: &OrderSlot,
    k: usize,
    index: u16,
    line: &OrderLine,
) -> bool {
    if !line_belongs(slot, index, line) {
        return false;
    }
    if k >= lines.len() {
        lines.resize_with(k + 1, Vec::new);
    }
    let table = &mut lines[k];
    // Unfilled entries (order 0) below a line that arrived first do not count as another order.
    if table.iter().any(|l| l.order_id != 0 && l.order_id != slot.order_id) {
        table.clear();
    }
    put(table, usize::from(index), line)
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
        fn line(&mut self, _: u16, _: u16, _: &OrderLine) {
            self.0.push("line");
        }
        fn health(&mut self, _: u16, _: &ControllerHealth) {
            self.0.push("health");
        }
        fn source(&mut self, _: SourceKind, _: &SourceHealth) {
            self.0.push("source");
        }
    }

    #[test]
    fn each_message_reaches_its_handler_and_events_change_no_table() {
        let mut log = Log::default();
        for m in [
            LinkMessage::Module { module: 1, reading: ModuleReading::default() },
            LinkMessage::Picker { picker: 0, reading: PickerReading::default() },
            LinkMessage::Order { slot: 0, order: OrderSlot::default() },
            LinkMessage::Line { slot: 0, index: 0, line: OrderLine::default() },
            LinkMessage::Health { controller: 0, health: Box::default() },
            LinkMessage::Source { source: SourceKind::Orders, health: SourceHealth::default() },
            LinkMessage::Event(LinkEvent::Stale { controller: 0 }),
        ] {
            apply(&mut log, &m);
        }
        assert_eq!(log.0, ["module", "picker", "order", "line", "health", "source"]);
    }

    #[test]
    fn lines_stay_with_their_order() {
        let a = OrderSlot { order_id: 7, lines_total: 2, ..Default::default() };
        let b = OrderSlot { order_id: 8, lines_total: 1, ..Default::default() };
        let line = |order_id, line_id| OrderLine { order_id, line_id, ..Default::default() };
        let mut lines = Vec::new();
        assert!(put_line(&mut lines, &a, 3, 0, &line(7, 70)));
        assert!(put_line(&mut lines, &a, 3, 1, &line(7, 71)));
        assert!(!put_line(&mut lines, &a, 3, 2, &line(7, 72)), "past lines_total");
        assert!(!put_line(&mut lines, &a, 3, 0, &line(9, 90)), "another order's line");
        assert_eq!(lines[3].len(), 2);
        // The slot now holds order 8: its first line replaces order 7's table.
        assert!(put_line(&mut lines, &b, 3, 0, &line(8, 80)));
        assert_eq!(lines[3], vec![line(8, 80)]);
        assert!(!put_line(&mut lines, &b, 3, 1, &line(7, 71)), "a late line of the old order");
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
