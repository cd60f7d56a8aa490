//! The order and picker sources as the overlay shows them: not configured, from the
//! controllers' blocks, or a source with its state and data age; and their alarms (down,
//! stale, refused input). "ok" is shown only while the data is fresh.

use twin_link::{LinkEvent, OrderLine, SourceHealth, SourceKind, SourceState};
use twin_model::sources::{OrderSource, PickerSource};

use super::*;

/// What one source looks like now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceView {
    /// The layout declares none: the figures it would feed are not measured.
    NotConfigured,
    /// From the first controller's register block (its health is the controller's).
    Controller,
    /// Declared, nothing heard yet.
    Waiting,
    /// Reported health.
    Reported(SourceHealth),
}

impl SourceView {
    /// One line for the health panel and the console: what, state, data age.
    pub fn describe(&self, kind: SourceKind, wall_ms: u64) -> String {
        format!("{}: {}", kind.name(), self.state_text(wall_ms))
    }

    /// The source and its state: "no source configured", "WMS database ok, data age 0.3 s".
    pub fn state_text(&self, wall_ms: u64) -> String {
        match self {
            Self::NotConfigured => "no source configured".to_owned(),
            Self::Controller => "controller block".to_owned(),
            Self::Waiting => "waiting for the source".to_owned(),
            Self::Reported(h) => {
                let age = h
                    .age_ms(wall_ms)
                    .map_or("never read".to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0));
                let state = match h.state {
                    SourceState::Ok if h.is_fresh(wall_ms) => "ok",
                    SourceState::Ok => "STALE",
                    SourceState::Connecting => "connecting",
                    SourceState::Down => "DOWN",
                };
                let refused =
                    if h.rejected > 0 { format!(", {} refused", h.rejected) } else { String::new() };
                format!("{} {state}, data age {age}{refused}", h.kind.name())
            }
        }
    }

    /// Whether its data can be shown as current.
    pub fn is_fresh(&self, wall_ms: u64) -> bool {
        match self {
            Self::NotConfigured | Self::Waiting => false,
            Self::Controller => true,
            Self::Reported(h) => h.is_fresh(wall_ms),
        }
    }
}

/// Both sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sources {
    /// Orders and lines.
    pub orders: SourceView,
    /// Picker positions.
    pub pickers: SourceView,
    stale: [bool; 2],
}

impl Default for Sources {
    fn default() -> Self {
        Self { orders: SourceView::Controller, pickers: SourceView::Controller, stale: [false; 2] }
    }
}

impl Sources {
    /// The views a layout's declaration starts with.
    pub fn declared(s: &twin_model::sources::Sources) -> Self {
        let orders = match s.orders {
            OrderSource::None => SourceView::NotConfigured,
            OrderSource::ModbusBoard => SourceView::Controller,
            OrderSource::WmsSql(_) => SourceView::Waiting,
        };
        let pickers = match s.pickers {
            PickerSource::None => SourceView::NotConfigured,
            PickerSource::ModbusBlock => SourceView::Controller,
            PickerSource::Inferred { .. } | PickerSource::RtlsMqtt(_) => SourceView::Waiting,
        };
        Self { orders, pickers, stale: [false; 2] }
    }

    /// The views of a declaration with what the ECS holds (`LinkHealth`'s reports).
    pub fn of(
        declared: &twin_model::sources::Sources,
        orders: Option<SourceHealth>,
        pickers: Option<SourceHealth>,
    ) -> Self {
        let mut s = Self::declared(declared);
        if let (Some(h), SourceView::Waiting) = (orders, s.orders) {
            s.orders = SourceView::Reported(h);
        }
        if let (Some(h), SourceView::Waiting) = (pickers, s.pickers) {
            s.pickers = SourceView::Reported(h);
        }
        s
    }

    /// The view of one source.
    pub fn get(&self, kind: SourceKind) -> &SourceView {
        match kind {
            SourceKind::Orders => &self.orders,
            SourceKind::Pickers => &self.pickers,
        }
    }
}

fn index(kind: SourceKind) -> usize {
    match kind {
        SourceKind::Orders => 0,
        SourceKind::Pickers => 1,
    }
}

impl Ops {
    /// A line of the order in `slot` (sources that name their lines' modules).
    pub fn order_line(&mut self, slot: u16, index: u16, line: &OrderLine) {
        self.orders.apply_line(slot, index, line);
    }

    /// A source's health report.
    pub fn source(&mut self, kind: SourceKind, h: &SourceHealth) {
        match kind {
            SourceKind::Orders => self.sources.orders = SourceView::Reported(*h),
            SourceKind::Pickers => self.sources.pickers = SourceView::Reported(*h),
        }
        self.check_sources();
    }

    /// Raises or clears the stale alarm of each reported source (also on every clock second).
    pub fn check_sources(&mut self) {
        let (now, wall) = (self.now, self.wall_ms);
        for kind in [SourceKind::Orders, SourceKind::Pickers] {
            let SourceView::Reported(h) = *self.sources.get(kind) else { continue };
            // Down has its own alarm; stale is an ok source that stopped delivering.
            let stale = h.state == SourceState::Ok && !h.is_fresh(wall);
            let i = index(kind);
            if stale != self.sources.stale[i] {
                self.sources.stale[i] = stale;
                let age = h.age_ms(wall).map_or(0.0, |ms| ms as f64 / 1000.0);
                let detail = format!("{}: no data for {age:.1} s", h.kind.name());
                self.alarms.set(AlarmKind::SourceStale, Place::Source(kind), stale, &detail, now, wall);
            }
        }
    }

    /// Something about the feed itself (bad payloads, lost messages): an event alarm at the
    /// feed, repeats counted on the open one.
    pub fn feed_alarm(&mut self, kind: AlarmKind, detail: String) {
        let (now, wall) = (self.now, self.wall_ms);
        self.alarms.raise(kind, Place::Feed, detail, now, wall);
    }

    /// A source's event: down (with the reason), up again, or refused input.
    pub fn source_event(&mut self, event: &LinkEvent) {
        let (now, wall) = (self.now, self.wall_ms);
        match event {
            LinkEvent::SourceDown { source, reason } => {
                self.alarms.raise(
                    AlarmKind::SourceDown,
                    Place::Source(*source),
                    reason.to_string(),
                    now,
                    wall,
                );
            }
            LinkEvent::SourceUp { source } => {
                self.alarms.clear(AlarmKind::SourceDown, Place::Source(*source), now);
            }
            LinkEvent::SourceRejected { source, count, reason } => {
                let detail = format!("{count} refused: {reason}");
                self.alarms.raise(AlarmKind::SourceRejected, Place::Source(*source), detail, now, wall);
            }
            _ => {}
        }
    }
}
