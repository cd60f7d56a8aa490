//! What a viewer does with what it cannot use: bad payloads counted and logged at a bounded
//! rate, and a view channel that was full resynchronised from the viewer's own mirror so no
//! change is lost to a slow frame.

use std::time::{Duration, Instant};

use twin_link::channel::Shipped;
use twin_link::{LinkMessage, ViewSender};
use twin_record::TwinState;

/// Where a viewer sends the messages it rebuilds.
pub enum Sink {
    /// The ECS's view channel (the windowed or headless twin).
    View(ViewSender),
    /// Channels that each get every message (a recorder, the history writer).
    Channels(Vec<crossbeam_channel::Sender<LinkMessage>>),
}

/// A sink and what it missed.
pub(super) struct Output {
    sink: Option<Sink>,
    /// Messages the view channel had no room for since the last resync.
    missed: u64,
}

impl Output {
    pub(super) fn new(sink: Option<Sink>) -> Self {
        Self { sink, missed: 0 }
    }

    fn count(missed: &mut u64, shipped: Shipped) {
        if let Shipped::Full(lost) = shipped {
            *missed += lost.len() as u64;
        }
    }

    pub(super) fn push(&mut self, m: &LinkMessage) {
        match &mut self.sink {
            Some(Sink::View(tx)) => {
                Self::count(&mut self.missed, tx.push(m.clone()));
            }
            Some(Sink::Channels(txs)) => {
                for tx in txs.iter() {
                    let _ = tx.send(m.clone());
                }
            }
            None => {}
        }
    }

    /// Ships the batch; returns the messages lost to a full view channel so far (the caller
    /// counts them), after a resync from `mirror` when there is room again: the view then
    /// holds the whole current state, whatever it missed.
    pub(super) fn ship(&mut self, mirror: &TwinState) -> u64 {
        let Some(Sink::View(tx)) = &mut self.sink else { return 0 };
        Self::count(&mut self.missed, tx.ship());
        if self.missed == 0 || !tx.has_room() {
            return 0;
        }
        let missed = std::mem::take(&mut self.missed);
        for m in mirror.messages() {
            self.push(&m);
        }
        if let Some(Sink::View(tx)) = &mut self.sink {
            Self::count(&mut self.missed, tx.ship());
        }
        missed
    }
}

/// Bad payloads: every one counted, the log written for the first and then at most once per
/// interval with the number since (a flood of garbage must not flood the log).
pub(super) struct Rejections {
    every: Duration,
    last_log: Option<Instant>,
    unlogged: u64,
}

impl Rejections {
    pub(super) fn new(every: Duration) -> Self {
        Self { every, last_log: None, unlogged: 0 }
    }

    /// Notes one rejection; returns the line to log now, if any.
    pub(super) fn note(&mut self, text: &str, now: Instant) -> Option<String> {
        if self.last_log.is_some_and(|t| now.duration_since(t) < self.every) {
            self.unlogged += 1;
            return None;
        }
        self.last_log = Some(now);
        let more = std::mem::take(&mut self.unlogged);
        Some(if more > 0 { format!("{text} ({more} more since the last report)") } else { text.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use twin_link::{ModuleReading, view_channel};

    #[test]
    fn rejections_are_logged_at_a_bounded_rate_with_the_count_between() {
        let mut r = Rejections::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(r.note("bad", t0).as_deref(), Some("bad"));
        for k in 1..=5 {
            assert_eq!(r.note("bad", t0 + Duration::from_secs(k)), None);
        }
        assert_eq!(
            r.note("worse", t0 + Duration::from_secs(11)).as_deref(),
            Some("worse (5 more since the last report)")
        );
    }

    #[test]
    fn a_full_view_is_resynchronised_from_the_mirror_when_it_has_room() {
        let (tx, mut rx) = view_channel(1);
        let mut out = Output::new(Some(Sink::View(tx)));
        let mut mirror = TwinState::default();
        // Far more batches than the channel holds: some are refused.
        for i in 0..20_000u32 {
            let m = LinkMessage::Module {
                module: i % 50,
                reading: ModuleReading { quantity: i as u16, ..Default::default() },
            };
            mirror.apply(&m);
            out.push(&m);
        }
        assert_eq!(out.ship(&mirror), 0, "no room yet: nothing resent");
        assert!(out.missed > 0);
        // The view drains; the next ship resends the state.
        rx.drain(usize::MAX, |_| {});
        assert!(out.ship(&mirror) > 0);
        let mut last = vec![0u16; 50];
        rx.drain(usize::MAX, |m| {
            if let LinkMessage::Module { module, reading } = m {
                last[*module as usize] = reading.quantity;
            }
        });
        assert_eq!(last, mirror.modules.iter().map(|m| m.quantity).collect::<Vec<_>>());
    }
}
