//! Where the poller's messages go: the coalescing view channel (latest state per key while it
//! is full) and the lossless subscribers.

use super::*;

/// Messages a lossless subscriber may have waiting (about 70 MB at the largest message, held
/// only while it is behind): minutes of the busiest site, so only a stuck subscriber reaches it.
pub const LOSSLESS_CAPACITY: usize = 1 << 20;

/// A lossless subscriber and what it lost since the last message it got.
pub(super) struct Lossless {
    tx: Sender<LinkMessage>,
    /// Messages it may have waiting (its channel allocates as it fills, unlike a bounded
    /// channel, which would hold the whole capacity from the start).
    capacity: usize,
    lost: u32,
}

impl Lossless {
    pub(super) fn new(tx: Sender<LinkMessage>, capacity: usize) -> Self {
        Self { tx, capacity, lost: 0 }
    }

    /// Sends `msg`, first telling of any messages lost before it; false once the subscriber is
    /// gone. Without room for both, the message is dropped and counted.
    fn send(&mut self, msg: &LinkMessage) -> bool {
        let needed = 1 + usize::from(self.lost > 0);
        if self.tx.len() + needed > self.capacity {
            self.lost = self.lost.saturating_add(1);
            return true;
        }
        if self.lost > 0 {
            let lost = std::mem::take(&mut self.lost);
            if self.tx.send(LinkMessage::Event(LinkEvent::Lost { count: lost })).is_err() {
                return false;
            }
        }
        self.tx.send(msg.clone()).is_ok()
    }
}

/// Where each message goes: the coalescing view channel and any lossless subscribers.
pub(super) struct Outbox {
    pub(super) view: ViewSender,
    pub(super) lossless: Vec<Lossless>,
    /// Latest state per key waiting for room in the view channel.
    pub(super) pending_modules: HashMap<ModuleIndex, ModuleReading>,
    pub(super) pending_pickers: HashMap<u16, PickerReading>,
    pub(super) pending_orders: HashMap<u16, OrderSlot>,
    pub(super) pending_lines: HashMap<(u16, u16), OrderLine>,
    pub(super) pending_health: HashMap<u16, ControllerHealth>,
    pub(super) pending_sources: HashMap<SourceKind, SourceHealth>,
    pub(super) pending_events: VecDeque<LinkEvent>,
    pub(super) coalesced: Arc<std::sync::atomic::AtomicU64>,
}

/// Events kept while the view is full; the oldest are dropped (and counted) past this.
pub(super) const MAX_PENDING_EVENTS: usize = 10_000;

impl Outbox {
    pub(super) fn new(
        view: ViewSender,
        lossless: Vec<Sender<LinkMessage>>,
        coalesced: Arc<std::sync::atomic::AtomicU64>,
    ) -> Self {
        Self {
            view,
            lossless: lossless.into_iter().map(|tx| Lossless::new(tx, LOSSLESS_CAPACITY)).collect(),
            pending_modules: HashMap::new(),
            pending_pickers: HashMap::new(),
            pending_orders: HashMap::new(),
            pending_lines: HashMap::new(),
            pending_health: HashMap::new(),
            pending_sources: HashMap::new(),
            pending_events: VecDeque::new(),
            coalesced,
        }
    }

    pub(super) fn publish(&mut self, msg: LinkMessage) {
        self.lossless.retain_mut(|s| s.send(&msg));
        if self.has_pending() {
            // Keep order per key: while older states wait, newer ones wait behind them.
            self.coalesce(msg);
            return;
        }
        if let Shipped::Full(batch) = self.view.push(msg) {
            self.coalesce_all(batch);
        }
    }

    /// Sends what is batched (end of a poll cycle, or the periodic flush).
    pub(super) fn ship(&mut self) {
        if self.has_pending() {
            self.flush();
        }
        if let Shipped::Full(batch) = self.view.ship() {
            self.coalesce_all(batch);
        }
    }

    pub(super) fn has_pending(&self) -> bool {
        !(self.pending_modules.is_empty()
            && self.pending_pickers.is_empty()
            && self.pending_orders.is_empty()
            && self.pending_lines.is_empty()
            && self.pending_health.is_empty()
            && self.pending_sources.is_empty()
            && self.pending_events.is_empty())
    }

    pub(super) fn coalesce_all(&mut self, batch: Vec<LinkMessage>) {
        for msg in batch {
            self.coalesce(msg);
        }
    }

    pub(super) fn coalesce(&mut self, msg: LinkMessage) {
        let replaced = match msg {
            LinkMessage::Module { module, reading } => self.pending_modules.insert(module, reading).is_some(),
            LinkMessage::Picker { picker, reading } => self.pending_pickers.insert(picker, reading).is_some(),
            LinkMessage::Order { slot, order } => self.pending_orders.insert(slot, order).is_some(),
            LinkMessage::Line { slot, index, line } => {
                self.pending_lines.insert((slot, index), line).is_some()
            }
            LinkMessage::Source { source, health } => self.pending_sources.insert(source, health).is_some(),
            LinkMessage::Health { controller, health } => {
                self.pending_health.insert(controller, *health).is_some()
            }
            LinkMessage::Event(e) => {
                self.pending_events.push_back(e);
                let over = self.pending_events.len() > MAX_PENDING_EVENTS;
                if over {
                    self.pending_events.pop_front();
                }
                over
            }
        };
        if replaced {
            self.coalesced.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Moves pending messages into the view channel while it has room.
    pub(super) fn flush(&mut self) {
        while self.has_pending() && self.view.has_room() {
            while self.view.batched() < MAX_BATCH {
                let msg = if let Some(e) = self.pending_events.pop_front() {
                    LinkMessage::Event(e)
                } else if let Some(&c) = self.pending_health.keys().next() {
                    let health = self.pending_health.remove(&c).unwrap_or_default();
                    LinkMessage::Health { controller: c, health: Box::new(health) }
                } else if let Some(&m) = self.pending_modules.keys().next() {
                    let reading = self.pending_modules.remove(&m).unwrap_or_default();
                    LinkMessage::Module { module: m, reading }
                } else if let Some(&p) = self.pending_pickers.keys().next() {
                    let reading = self.pending_pickers.remove(&p).unwrap_or_default();
                    LinkMessage::Picker { picker: p, reading }
                } else if let Some(&s) = self.pending_sources.keys().next() {
                    let health = self.pending_sources.remove(&s).unwrap_or_default();
                    LinkMessage::Source { source: s, health }
                } else if let Some(&o) = self.pending_orders.keys().next() {
                    let order = self.pending_orders.remove(&o).unwrap_or_default();
                    LinkMessage::Order { slot: o, order }
                } else if let Some(&(slot, index)) = self.pending_lines.keys().next() {
                    // After every pending order: a line is kept only by the order it belongs to
                    // (`apply::line_belongs`), so its order must be there first.
                    let line = self.pending_lines.remove(&(slot, index)).unwrap_or_default();
                    LinkMessage::Line { slot, index, line }
                } else {
                    break;
                };
                self.view.push_unshipped(msg);
            }
            match self.view.ship() {
                Shipped::Sent => {}
                Shipped::Full(batch) => {
                    self.coalesce_all(batch);
                    return;
                }
                Shipped::Closed => return,
            }
        }
    }
}

pub(super) type SharedOutbox = Arc<Mutex<Outbox>>;

pub(super) fn publish(outbox: &SharedOutbox, msg: LinkMessage) {
    outbox.lock().unwrap_or_else(PoisonError::into_inner).publish(msg);
}

/// A handle other site data sources (the WMS connector, the RTLS feed, picker inference)
/// publish through, so their messages reach the view, the recorder and the gateway exactly as
/// the controllers' do (coalesced for the view, lossless for the others).
#[derive(Clone)]
pub struct Publisher {
    pub(super) outbox: SharedOutbox,
}

impl Publisher {
    /// Publishes one message; it ships with the next flush (at most 10 ms later).
    pub fn publish(&self, msg: LinkMessage) {
        publish(&self.outbox, msg);
    }

    /// Publishes several messages under one lock.
    pub fn publish_all(&self, msgs: impl IntoIterator<Item = LinkMessage>) {
        let mut o = self.outbox.lock().unwrap_or_else(PoisonError::into_inner);
        for m in msgs {
            o.publish(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(batches: usize) -> (Outbox, ViewReceiver, Receiver<LinkMessage>) {
        let (view, view_rx) = view_channel(batches);
        let (lossless, lossless_rx) = crossbeam_channel::unbounded();
        (Outbox::new(view, vec![lossless], Arc::default()), view_rx, lossless_rx)
    }

    fn drain(rx: &mut ViewReceiver) -> Vec<LinkMessage> {
        let mut out = Vec::new();
        while let crate::channel::Next::Message(m) = rx.recv() {
            out.push(m);
        }
        out
    }

    fn module(m: ModuleIndex, quantity: u16) -> LinkMessage {
        LinkMessage::Module { module: m, reading: ModuleReading { quantity, ..ModuleReading::default() } }
    }

    #[test]
    fn a_full_view_coalesces_and_the_lossless_path_gets_everything() {
        let (mut o, mut view, lossless) = outbox(1);
        // One batch fits: the first cycle's two states.
        o.publish(module(1, 0));
        o.publish(module(2, 0));
        o.ship();
        // The view does not read: later cycles coalesce.
        for q in 1..10 {
            o.publish(module(1, q));
            o.publish(module(2, q));
            o.ship();
        }
        assert_eq!(lossless.len(), 20, "the recorder loses nothing");
        assert_eq!(o.coalesced.load(std::sync::atomic::Ordering::Relaxed), 16, "8 replaced per module");
        assert_eq!(drain(&mut view).len(), 2, "the first batch");
        // Room again: the latest state of each module arrives.
        o.ship();
        let mut latest: Vec<(ModuleIndex, u16)> = drain(&mut view)
            .into_iter()
            .map(|m| match m {
                LinkMessage::Module { module, reading } => (module, reading.quantity),
                other => panic!("{other:?}"),
            })
            .collect();
        latest.sort();
        assert_eq!(latest, vec![(1, 9), (2, 9)]);
    }

    #[test]
    fn a_full_lossless_channel_drops_and_then_says_how_many() {
        let (view, _view_rx) = view_channel(4);
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut o = Outbox::new(view, Vec::new(), Arc::default());
        o.lossless.push(Lossless::new(tx, 3));
        let m = |q| LinkMessage::Module {
            module: 0,
            reading: ModuleReading { quantity: q, ..Default::default() },
        };
        for q in 0..10 {
            o.publish(m(q));
        }
        let got: Vec<LinkMessage> = rx.try_iter().collect();
        assert_eq!(got, vec![m(0), m(1), m(2)], "three fit, seven are counted");
        o.publish(m(10));
        let got: Vec<LinkMessage> = rx.try_iter().collect();
        assert_eq!(got, vec![LinkMessage::Event(LinkEvent::Lost { count: 7 }), m(10)]);
    }
}
