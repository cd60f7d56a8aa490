//! The viewer's intake without the network: a payload is decoded (bounded by the layout),
//! checked (wire version, layout id, every index), ordered (keyframes when newer, deltas after
//! the keyframe they follow) and applied to the mirror. Pure: tests and the fuzzer feed it
//! bytes.

use std::collections::VecDeque;

use twin_link::{Bounds, LinkMessage};
use twin_model::Site;
use twin_record::{TwinState, layout_id};

use crate::wire::{Body, Envelope, WireError, decode};

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What was wrong, for the log and the alarm.
    pub reason: String,
    /// Another wire version or layout: the feed is unusable while it lasts (shown as refused
    /// until a good payload arrives), not merely one bad message.
    pub feed: bool,
}

/// What a good payload did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Taken {
    /// A keyframe replaced the state.
    pub keyframe: bool,
    /// A delta batch (applied or not: old and duplicate batches are ignored).
    pub deltas: bool,
    /// Batches were missing before this one.
    pub gap: bool,
    /// Messages skipped inside it: they name something outside the layout.
    pub skipped: u64,
    /// The envelope's send time and its oldest change's time (wall ms).
    pub sent_ms: u64,
    /// See `sent_ms`.
    pub first_ms: u64,
}

/// Decodes, checks, orders and applies payloads for one layout.
pub struct Intake {
    applier: Applier,
    bounds: Bounds,
    limit: usize,
}

impl Intake {
    /// An intake for `site` that has applied nothing.
    pub fn new(site: &Site) -> Self {
        let bounds = Bounds::for_site(site);
        Self { applier: Applier::new(layout_id(site)), bounds, limit: bounds.max_decoded_bytes() }
    }

    /// The layout's sizes.
    pub fn bounds(&self) -> &Bounds {
        &self.bounds
    }

    /// Takes one payload: applies what it changes to `mirror` and hands each applied message
    /// to `out`, in order (after a keyframe, the whole state as messages). A refused payload
    /// changes nothing.
    pub fn take(
        &mut self,
        payload: &[u8],
        mirror: &mut TwinState,
        mut out: impl FnMut(&LinkMessage),
    ) -> Result<Taken, Refusal> {
        let e = decode(payload, self.limit)
            .map_err(|e| Refusal { feed: matches!(e, WireError::Version { .. }), reason: e.to_string() })?;
        if let Body::Keyframe(k) = &e.body {
            k.check(&self.bounds).map_err(|e| Refusal { reason: format!("keyframe: {e}"), feed: false })?;
        }
        let mut taken = Taken {
            deltas: matches!(e.body, Body::Deltas(_)),
            sent_ms: e.sent_ms,
            first_ms: e.first_ms,
            ..Taken::default()
        };
        let apply = self.applier.take(e).map_err(|reason| Refusal { reason, feed: true })?;
        let rest = match apply {
            Apply::Nothing => Vec::new(),
            Apply::Keyframe(k, after) => {
                // Checked above: the whole state goes to the view, then replaces the mirror.
                for m in k.messages() {
                    out(&m);
                }
                *mirror = k;
                taken.keyframe = true;
                after
            }
            Apply::Deltas(items, gap) => {
                taken.gap = gap;
                items
            }
        };
        for m in &rest {
            if self.bounds.check(m).is_ok() {
                mirror.apply(m);
                out(m);
            } else {
                taken.skipped += 1;
            }
        }
        Ok(taken)
    }
}

/// What an envelope changes.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Apply {
    /// Nothing (old, duplicate, or held until a keyframe).
    Nothing,
    /// Replace the state, then apply these held deltas.
    Keyframe(TwinState, Vec<LinkMessage>),
    /// Apply these; `true`: batches were missing before them.
    Deltas(Vec<LinkMessage>, bool),
}

/// Delta batches held while waiting for a first keyframe (a keyframe period of batches at
/// 10 a second is 100; a retained bad keyframe costs one more period).
const MAX_EARLY: usize = 1_000;

/// Orders envelopes: keyframes when newer, deltas after the keyframe they follow.
pub(super) struct Applier {
    layout: String,
    epoch: Option<u64>,
    applied: u64,
    early: VecDeque<Envelope>,
}

impl Applier {
    /// An applier for a viewer of layout `layout` (its id) that has applied nothing.
    pub(super) fn new(layout: String) -> Self {
        Self { layout, epoch: None, applied: 0, early: VecDeque::new() }
    }

    pub(super) fn take(&mut self, e: Envelope) -> Result<Apply, String> {
        if e.layout_id != self.layout {
            return Err(format!(
                "the gateway publishes a site with layout id {}; this viewer's layout is {}: open the viewer with the layout the gateway runs",
                e.layout_id, self.layout
            ));
        }
        match e.body {
            Body::Keyframe(state) => {
                let newer = match self.epoch {
                    None => true,
                    Some(ep) => e.epoch > ep || (e.epoch == ep && e.seq >= self.applied),
                };
                if !newer {
                    return Ok(Apply::Nothing);
                }
                self.epoch = Some(e.epoch);
                self.applied = e.seq;
                // Deltas that came before this keyframe and are newer than it.
                let mut after = Vec::new();
                let mut early: Vec<Envelope> =
                    self.early.drain(..).filter(|d| d.epoch == e.epoch && d.seq > e.seq).collect();
                early.sort_by_key(|d| d.seq);
                for d in early {
                    self.applied = self.applied.max(d.seq);
                    if let Body::Deltas(items) = d.body {
                        after.extend(items);
                    }
                }
                Ok(Apply::Keyframe(state, after))
            }
            Body::Deltas(items) => {
                if self.epoch != Some(e.epoch) {
                    // No keyframe of this run yet: hold (bounded) until one arrives.
                    self.early.push_back(Envelope { body: Body::Deltas(items), ..e });
                    if self.early.len() > MAX_EARLY {
                        self.early.pop_front();
                    }
                    return Ok(Apply::Nothing);
                }
                if e.seq <= self.applied {
                    return Ok(Apply::Nothing);
                }
                let gap = e.seq > self.applied + 1;
                self.applied = e.seq;
                Ok(Apply::Deltas(items, gap))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WIRE_VERSION;
    use twin_link::{LinkEvent, OrderSlot};

    fn env(epoch: u64, seq: u64, body: Body) -> Envelope {
        Envelope { version: WIRE_VERSION, layout_id: "L".into(), epoch, seq, sent_ms: 0, first_ms: 0, body }
    }

    fn order(id: u32) -> LinkMessage {
        LinkMessage::Order { slot: 0, order: OrderSlot { order_id: id, ..Default::default() } }
    }

    #[test]
    fn keyframes_and_deltas_apply_in_order_and_never_rewind() {
        let mut a = Applier::new("L".into());
        // A delta before any keyframe waits; the keyframe (seq 2) then lets only seq 3 through.
        assert_eq!(a.take(env(1, 3, Body::Deltas(vec![order(3)]))), Ok(Apply::Nothing));
        assert_eq!(a.take(env(1, 2, Body::Deltas(vec![order(2)]))), Ok(Apply::Nothing));
        assert_eq!(
            a.take(env(1, 2, Body::Keyframe(TwinState::default()))),
            Ok(Apply::Keyframe(TwinState::default(), vec![order(3)]))
        );
        // Old and duplicate deltas are ignored; a gap is reported and applied.
        assert_eq!(a.take(env(1, 3, Body::Deltas(vec![order(33)]))), Ok(Apply::Nothing));
        assert_eq!(a.take(env(1, 5, Body::Deltas(vec![order(5)]))), Ok(Apply::Deltas(vec![order(5)], true)));
        assert_eq!(a.take(env(1, 6, Body::Deltas(vec![order(6)]))), Ok(Apply::Deltas(vec![order(6)], false)));
        // An older keyframe of the same run (retained, delivered late) does not rewind.
        assert_eq!(a.take(env(1, 4, Body::Keyframe(TwinState::default()))), Ok(Apply::Nothing));
        // A new gateway run's keyframe is taken, and its deltas follow it.
        assert!(matches!(a.take(env(2, 0, Body::Keyframe(TwinState::default()))), Ok(Apply::Keyframe(..))));
        let stale = LinkMessage::Event(LinkEvent::Stale { controller: 0 });
        assert_eq!(
            a.take(env(2, 1, Body::Deltas(vec![stale.clone()]))),
            Ok(Apply::Deltas(vec![stale], false))
        );
        let e =
            a.take(Envelope { layout_id: "other".into(), ..env(2, 2, Body::Deltas(vec![])) }).unwrap_err();
        assert!(e.contains("layout id other"), "{e}");
    }

    #[test]
    fn bad_payloads_are_refused_and_the_good_ones_after_them_apply() {
        use twin_link::ModuleReading;
        let path = format!("{}/../../layouts/demo.ron", env!("CARGO_MANIFEST_DIR"));
        let site = Site::load(path).unwrap();
        let mut intake = Intake::new(&site);
        let mut mirror = TwinState::for_site(&site);
        let id = layout_id(&site);
        let bytes = |seq, body| crate::wire::encode(&Envelope { layout_id: id.clone(), ..env(1, seq, body) });
        let module = |module, quantity| LinkMessage::Module {
            module,
            reading: ModuleReading { quantity, ..Default::default() },
        };
        // The garbage: its first two bytes read as wire version 24935.
        let r = intake.take(b"garbage1", &mut mirror, |_| {}).unwrap_err();
        assert!(r.feed && r.reason.contains("wire version 24935"), "{r:?}");
        // A keyframe larger than the layout is refused whole.
        let mut big = TwinState::for_site(&site);
        big.modules.push(ModuleReading::default());
        let r = intake.take(&bytes(1, Body::Keyframe(big)), &mut mirror, |_| {}).unwrap_err();
        assert!(!r.feed && r.reason.contains("keyframe: module"), "{r:?}");
        // The next good keyframe applies, then deltas; an index past the layout is skipped.
        let t =
            intake.take(&bytes(1, Body::Keyframe(TwinState::for_site(&site))), &mut mirror, |_| {}).unwrap();
        assert!(t.keyframe);
        let mut seen = Vec::new();
        let batch = Body::Deltas(vec![module(u32::MAX, 1), module(3, 7)]);
        let t = intake.take(&bytes(2, batch), &mut mirror, |m| seen.push(m.clone())).unwrap();
        assert_eq!((t.skipped, seen), (1, vec![module(3, 7)]));
        assert_eq!((mirror.modules.len(), mirror.modules[3].quantity), (site.modules.len(), 7));
        // Another layout's payload is a feed refusal; it changes nothing.
        let other = crate::wire::encode(&env(1, 3, Body::Deltas(vec![module(3, 9)])));
        assert!(intake.take(&other, &mut mirror, |_| {}).unwrap_err().feed);
        assert_eq!(mirror.modules[3].quantity, 7);
    }
}
