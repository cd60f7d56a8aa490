//! The twin's full state as the link reports it: every module, picker, order-board slot and
//! controller's health. A keyframe stores one; replay rebuilds one from a keyframe and deltas.

use serde::{Deserialize, Serialize};
use twin_link::apply::{put, put_line};
use twin_link::{
    Bounds, ControllerHealth, LinkMessage, LinkState, ModuleReading, OrderLine, OrderSlot, OutOfBounds,
    PickerReading, SourceHealth, SourceKind,
};
use twin_model::{ModuleIndex, Site};

/// Everything the link knows at one moment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TwinState {
    /// By module index.
    pub modules: Vec<ModuleReading>,
    /// By roster index.
    pub pickers: Vec<PickerReading>,
    /// By board slot.
    pub orders: Vec<OrderSlot>,
    /// By board slot: the lines of the order in it (sources with explicit lines).
    pub lines: Vec<Vec<OrderLine>>,
    /// By controller index.
    pub health: Vec<ControllerHealth>,
    /// The order source's health (None: no such source reported).
    pub order_source: Option<SourceHealth>,
    /// The picker source's health.
    pub picker_source: Option<SourceHealth>,
}

impl TwinState {
    /// The state before anything was read: sized for the site, everything default.
    pub fn for_site(site: &Site) -> Self {
        let slots = site.order_slots();
        Self {
            modules: vec![ModuleReading::default(); site.modules.len()],
            // As the ECS: a picker no source has reported is absent, not idle.
            pickers: vec![
                PickerReading {
                    state: twin_model::codes::PickerState::Absent as u16,
                    ..PickerReading::default()
                };
                site.layout.pickers.len()
            ],
            orders: vec![OrderSlot::default(); slots],
            lines: Vec::new(),
            health: vec![ControllerHealth::default(); site.layout.controllers.len()],
            order_source: None,
            picker_source: None,
        }
    }

    /// Applies one message by the link's rule ([`twin_link::apply`]; events change no state).
    /// Out-of-range indices grow the tables, so nothing the link said is dropped: messages from
    /// outside the process are checked against the layout first ([`Bounds::check`]).
    pub fn apply(&mut self, msg: &LinkMessage) {
        twin_link::apply(self, msg);
    }

    /// Whether a state from outside (a keyframe received or read back) fits the site: no table
    /// longer than the layout's, so applying it never holds more than the layout allows.
    pub fn check(&self, bounds: &Bounds) -> Result<(), OutOfBounds> {
        let fits = |what, len: usize, size: u64| {
            let len = len as u64;
            if len <= size { Ok(()) } else { Err(OutOfBounds { what, index: len - 1, size }) }
        };
        fits("module", self.modules.len(), bounds.modules.into())?;
        fits("picker", self.pickers.len(), bounds.pickers.into())?;
        fits("slot", self.orders.len(), bounds.slots.into())?;
        fits("slot", self.lines.len(), bounds.slots.into())?;
        fits("controller", self.health.len(), bounds.controllers.into())?;
        self.lines.iter().try_for_each(|l| fits("line", l.len(), bounds.lines.into()))
    }

    /// The state as messages (what a view needs to show it from scratch).
    pub fn messages(&self) -> impl Iterator<Item = LinkMessage> + '_ {
        let modules = self
            .modules
            .iter()
            .enumerate()
            .map(|(i, r)| LinkMessage::Module { module: i as u32, reading: *r });
        let pickers = self
            .pickers
            .iter()
            .enumerate()
            .map(|(i, r)| LinkMessage::Picker { picker: i as u16, reading: *r });
        let orders =
            self.orders.iter().enumerate().map(|(i, o)| LinkMessage::Order { slot: i as u16, order: *o });
        let health = self
            .health
            .iter()
            .enumerate()
            .map(|(i, h)| LinkMessage::Health { controller: i as u16, health: Box::new(*h) });
        let lines = self.lines.iter().enumerate().flat_map(|(slot, lines)| {
            lines.iter().enumerate().map(move |(index, line)| LinkMessage::Line {
                slot: slot as u16,
                index: index as u16,
                line: *line,
            })
        });
        let sources = [(SourceKind::Orders, self.order_source), (SourceKind::Pickers, self.picker_source)]
            .into_iter()
            .filter_map(|(source, h)| h.map(|health| LinkMessage::Source { source, health }));
        health.chain(sources).chain(orders).chain(lines).chain(modules).chain(pickers)
    }
}

impl LinkState for TwinState {
    fn module(&mut self, module: ModuleIndex, reading: &ModuleReading) {
        put(&mut self.modules, module as usize, reading);
    }

    fn picker(&mut self, picker: u16, reading: &PickerReading) {
        put(&mut self.pickers, usize::from(picker), reading);
    }

    fn order(&mut self, slot: u16, order: &OrderSlot) {
        put(&mut self.orders, usize::from(slot), order);
    }

    fn line(&mut self, slot: u16, index: u16, line: &OrderLine) {
        let k = usize::from(slot);
        if let Some(s) = self.orders.get(k) {
            put_line(&mut self.lines, s, k, index, line);
        }
    }

    fn health(&mut self, controller: u16, health: &ControllerHealth) {
        put(&mut self.health, usize::from(controller), health);
    }

    fn source(&mut self, source: SourceKind, health: &SourceHealth) {
        match source {
            SourceKind::Orders => self.order_source = Some(*health),
            SourceKind::Pickers => self.picker_source = Some(*health),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_and_messages_round_trip() {
        let mut a = TwinState::default();
        a.apply(&LinkMessage::Module {
            module: 3,
            reading: ModuleReading { quantity: 7, ..Default::default() },
        });
        a.apply(&LinkMessage::Picker { picker: 1, reading: PickerReading { x_cm: 9, ..Default::default() } });
        a.apply(&LinkMessage::Order {
            slot: 2,
            order: OrderSlot { order_id: 5, lines_total: 1, ..Default::default() },
        });
        let line = OrderLine { order_id: 5, line_id: 50, module: 3, quantity: 2, ..Default::default() };
        a.apply(&LinkMessage::Line { slot: 2, index: 0, line });
        a.apply(&LinkMessage::Source { source: SourceKind::Orders, health: SourceHealth::default() });
        assert_eq!(a.lines[2], vec![line]);
        assert_eq!(a.modules.len(), 4);
        assert_eq!(a.modules[3].quantity, 7);
        let mut b = TwinState::default();
        for m in a.messages() {
            b.apply(&m);
        }
        assert_eq!(a, b);
    }
}
