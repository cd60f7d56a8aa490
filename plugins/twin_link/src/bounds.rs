//! What a message from outside may name, from the layout: every index within the site's
//! tables, every text short. Viewers, replays and the ECS check a message here before any table
//! grows for it, so a hostile or corrupt `module: u32::MAX` costs a refusal, not a resize.

use twin_model::Site;
use twin_model::sources::OrderSource;

use crate::reading::{LinkEvent, LinkMessage};

/// The longest reason text a message may carry (a server's error message fits many times).
pub const MAX_REASON: usize = 1024;

/// The sizes of the site's tables: an index is valid when it is below its table's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bounds {
    /// Light modules.
    pub modules: u32,
    /// Pickers in the roster.
    pub pickers: u16,
    /// Order-board slots.
    pub slots: u16,
    /// Lines per order (explicit lines from an order source).
    pub lines: u16,
    /// Controllers.
    pub controllers: u16,
}

/// Why a message is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {index} is outside the layout (it has {size})")]
pub struct OutOfBounds {
    /// The kind of index ("module", "slot", ...).
    pub what: &'static str,
    /// The index found.
    pub index: u64,
    /// The table's size.
    pub size: u64,
}

fn within(what: &'static str, index: u64, size: u64) -> Result<(), OutOfBounds> {
    if index < size { Ok(()) } else { Err(OutOfBounds { what, index, size }) }
}

fn short(text: &str) -> Result<(), OutOfBounds> {
    within("reason of length", text.len() as u64, MAX_REASON as u64 + 1)
}

impl Bounds {
    /// The site's sizes.
    pub fn for_site(site: &Site) -> Self {
        let clamp = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        let lines = match &site.layout.sources.orders {
            OrderSource::WmsSql(w) => w.max_lines,
            OrderSource::ModbusBoard | OrderSource::None => 0,
        };
        Self {
            modules: u32::try_from(site.modules.len()).unwrap_or(u32::MAX),
            pickers: clamp(site.layout.pickers.len()),
            slots: clamp(site.order_slots()),
            lines,
            controllers: clamp(site.layout.controllers.len()),
        }
    }

    /// Whether every index `msg` names is within the site (and every text short).
    pub fn check(&self, msg: &LinkMessage) -> Result<(), OutOfBounds> {
        let controller = |c: u16| within("controller", c.into(), self.controllers.into());
        match msg {
            LinkMessage::Module { module, .. } => within("module", (*module).into(), self.modules.into()),
            LinkMessage::Picker { picker, .. } => within("picker", (*picker).into(), self.pickers.into()),
            LinkMessage::Order { slot, .. } => within("slot", (*slot).into(), self.slots.into()),
            LinkMessage::Line { slot, index, .. } => {
                within("slot", (*slot).into(), self.slots.into())?;
                within("line", (*index).into(), self.lines.into())
            }
            LinkMessage::Health { controller: c, .. } => controller(*c),
            LinkMessage::Source { .. } => Ok(()),
            LinkMessage::Event(event) => match event {
                LinkEvent::Connected { controller: c }
                | LinkEvent::Stale { controller: c }
                | LinkEvent::Exception { controller: c, .. }
                | LinkEvent::BlockMissing { controller: c, .. }
                | LinkEvent::Frozen { controller: c, .. } => controller(*c),
                LinkEvent::Disconnected { controller: c, reason }
                | LinkEvent::Refused { controller: c, reason } => {
                    controller(*c)?;
                    short(reason)
                }
                LinkEvent::SourceDown { reason, .. } | LinkEvent::SourceRejected { reason, .. } => {
                    short(reason)
                }
                LinkEvent::SourceUp { .. } | LinkEvent::Lost { .. } => Ok(()),
                LinkEvent::Confirmed { module, .. } | LinkEvent::Shortage { module, .. } => {
                    within("module", (*module).into(), self.modules.into())
                }
            },
        }
    }

    /// The most messages one full state of the site holds (a keyframe's size in messages).
    pub fn state_messages(&self) -> u64 {
        u64::from(self.modules)
            + u64::from(self.pickers)
            + u64::from(self.slots) * (1 + u64::from(self.lines))
            + u64::from(self.controllers)
            + 2
    }

    /// The most bytes a decoded payload for this site may take: a full state's messages at a
    /// generous 128 bytes each (a module reading encodes in at most 70), plus 1 MiB. Anything
    /// larger is refused while inflating, before it is held in memory.
    pub fn max_decoded_bytes(&self) -> usize {
        let bytes = self.state_messages().saturating_mul(128).saturating_add(1 << 20);
        usize::try_from(bytes).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::{ModuleReading, OrderLine, PickerReading};

    fn bounds() -> Bounds {
        Bounds { modules: 10, pickers: 2, slots: 3, lines: 4, controllers: 1 }
    }

    #[test]
    fn indices_past_the_layout_are_refused_with_what_and_size() {
        let b = bounds();
        let module = |module| LinkMessage::Module { module, reading: ModuleReading::default() };
        assert_eq!(b.check(&module(9)), Ok(()));
        assert_eq!(
            b.check(&module(u32::MAX)).unwrap_err().to_string(),
            "module 4294967295 is outside the layout (it has 10)"
        );
        let picker = LinkMessage::Picker { picker: 2, reading: PickerReading::default() };
        assert_eq!(b.check(&picker).unwrap_err().what, "picker");
        let line = |slot, index| LinkMessage::Line { slot, index, line: OrderLine::default() };
        assert_eq!(b.check(&line(2, 3)), Ok(()));
        assert_eq!(b.check(&line(3, 0)).unwrap_err().what, "slot");
        assert_eq!(b.check(&line(0, 4)).unwrap_err().what, "line");
        let stale = LinkMessage::Event(LinkEvent::Stale { controller: 1 });
        assert_eq!(b.check(&stale).unwrap_err().what, "controller");
        let long =
            LinkMessage::Event(LinkEvent::Disconnected { controller: 0, reason: "x".repeat(2000).into() });
        assert_eq!(b.check(&long).unwrap_err().what, "reason of length");
        let confirmed = LinkMessage::Event(LinkEvent::Confirmed { module: 10, quantity: 1 });
        assert!(b.check(&confirmed).is_err());
    }

    #[test]
    fn the_decoded_size_limit_follows_the_site() {
        let b = bounds();
        assert_eq!(b.state_messages(), 10 + 2 + 3 * 5 + 1 + 2);
        assert_eq!(b.max_decoded_bytes(), 30 * 128 + (1 << 20));
    }
}
