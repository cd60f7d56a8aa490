//! A viewer: subscribes to a site's topics and turns them back into the link's messages, for
//! the same ECS (through a view channel) or for a test's state mirror. Read-only by
//! construction: it only subscribes; nothing it does reaches a controller.
//!
//! A late joiner starts from the retained keyframe; deltas that arrive before any keyframe are
//! held and applied after it when newer. Keyframes are taken when they are newer (a later
//! gateway run, or a later sequence number of the same run), so a reconnection never rewinds
//! the state.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rumqttc::{AsyncClient, Event, Packet, QoS};
use twin_link::{LinkMessage, ViewSender};

use twin_model::Site;
use twin_record::{TwinState, layout_id};

use crate::gateway::{Connection, broker_backoff};
use crate::wire::{Body, Envelope, decode};

/// Viewer settings: where to connect (a viewer needs nothing else).
pub type ViewerOptions = Connection;

/// What the viewer sees.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewerStats {
    /// Connected to the broker.
    pub connected: bool,
    /// The gateway's retained status (`online`/`offline`).
    pub gateway_online: Option<bool>,
    /// Keyframes applied.
    pub keyframes: u64,
    /// Delta batches applied.
    pub batches: u64,
    /// Batches missing between two received ones (covered by the next keyframe).
    pub gaps: u64,
    /// Milliseconds from the gateway sending the last batch to its arrival here.
    pub lag_ms: Option<u64>,
    /// Milliseconds from the link reading the oldest change of the last batch to its arrival.
    pub latency_ms: Option<u64>,
    /// Why the viewer refuses the feed (wrong layout or wire version), if it does.
    pub refused: Option<String>,
    /// The last connection error.
    pub last_error: Option<String>,
}

/// Where a viewer sends the messages it rebuilds.
pub enum Sink {
    /// The ECS's view channel (the windowed or headless twin).
    View(ViewSender),
    /// A channel of every message (a recorder).
    Channel(crossbeam_channel::Sender<LinkMessage>),
}

impl Sink {
    fn push(&mut self, m: &LinkMessage) {
        match self {
            // A full view channel means the ECS is behind; the next keyframe resynchronises.
            Self::View(tx) => {
                let _ = tx.push(m.clone());
            }
            Self::Channel(tx) => {
                let _ = tx.send(m.clone());
            }
        }
    }

    fn ship(&mut self) {
        if let Self::View(tx) = self {
            tx.ship();
        }
    }
}

/// A running viewer.
pub struct Viewer {
    stats: Arc<Mutex<ViewerStats>>,
    state: Arc<Mutex<TwinState>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Viewer {
    /// Connects (on its own thread) and feeds `sink` if given.
    pub fn spawn(site: Arc<Site>, options: ViewerOptions, sink: Option<Sink>) -> std::io::Result<Self> {
        let stats = Arc::new(Mutex::new(ViewerStats::default()));
        let state = Arc::new(Mutex::new(TwinState::for_site(&site)));
        let stop = Arc::new(AtomicBool::new(false));
        let (s2, st2, stop2) = (stats.clone(), state.clone(), stop.clone());
        let handle = std::thread::Builder::new().name("picktwin-viewer".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    if let Ok(mut s) = s2.lock() {
                        s.last_error = Some(e.to_string());
                    }
                    return;
                }
            };
            rt.block_on(run(site, options, sink, s2, st2, stop2));
        })?;
        Ok(Self { stats, state, stop, handle: Some(handle) })
    }

    /// What it sees.
    pub fn stats(&self) -> ViewerStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The state it has rebuilt.
    pub fn state(&self) -> TwinState {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Disconnects.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// What an envelope changes.
#[derive(Debug, Clone, PartialEq)]
enum Apply {
    /// Nothing (old, duplicate, or held until a keyframe).
    Nothing,
    /// Replace the state, then apply these held deltas.
    Keyframe(TwinState, Vec<LinkMessage>),
    /// Apply these; `true`: batches were missing before them.
    Deltas(Vec<LinkMessage>, bool),
}

/// Orders envelopes: keyframes when newer, deltas after the keyframe they follow.
struct Applier {
    layout: String,
    epoch: Option<u64>,
    applied: u64,
    early: VecDeque<Envelope>,
}

impl Applier {
    fn take(&mut self, e: Envelope) -> Result<Apply, String> {
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
                    if self.early.len() > 10_000 {
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

async fn run(
    site: Arc<Site>,
    options: ViewerOptions,
    mut sink: Option<Sink>,
    stats: Arc<Mutex<ViewerStats>>,
    state: Arc<Mutex<TwinState>>,
    stop: Arc<AtomicBool>,
) {
    let topics = options.topics();
    let id = format!("picktwin-viewer-{}-{}", std::process::id(), now_ms() % 1_000_000);
    let mqtt = options.mqtt_options(&id);
    let (client, mut eventloop) = AsyncClient::new(mqtt, 64);
    let mut applier = Applier { layout: layout_id(&site), epoch: None, applied: 0, early: VecDeque::new() };
    let update = |f: &mut dyn FnMut(&mut ViewerStats)| {
        if let Ok(mut s) = stats.lock() {
            f(&mut s);
        }
    };
    let mut backoff = broker_backoff();
    let mut refused = false;
    while !stop.load(Ordering::Relaxed) {
        let event = match tokio::time::timeout(Duration::from_millis(200), eventloop.poll()).await {
            Ok(e) => e,
            Err(_) => continue,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff.reset();
                update(&mut |s| s.connected = true);
                for t in [&topics.keyframe, &topics.deltas, &topics.status] {
                    let _ = client.try_subscribe(t.clone(), QoS::AtLeastOnce);
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                if p.topic == topics.status {
                    let online = &p.payload[..] == b"online";
                    update(&mut |s| s.gateway_online = Some(online));
                    continue;
                }
                if refused {
                    continue;
                }
                let envelope = match decode(&p.payload) {
                    Ok(e) => e,
                    Err(e) => {
                        let text = e.to_string();
                        tracing::error!("{}: {text}", options.broker);
                        update(&mut |s| s.refused = Some(text.clone()));
                        refused = true;
                        continue;
                    }
                };
                let (sent, first) = (envelope.sent_ms, envelope.first_ms);
                let is_deltas = matches!(envelope.body, Body::Deltas(_));
                let apply = match applier.take(envelope) {
                    Ok(a) => a,
                    Err(text) => {
                        tracing::error!("{}: {text}", options.broker);
                        update(&mut |s| s.refused = Some(text.clone()));
                        refused = true;
                        continue;
                    }
                };
                let Ok(mut mirror) = state.lock() else { return };
                // One message to the mirror and the view.
                fn push(m: &LinkMessage, mirror: &mut TwinState, sink: &mut Option<Sink>) {
                    mirror.apply(m);
                    if let Some(tx) = sink.as_mut() {
                        tx.push(m);
                    }
                }
                let (keyframe, gap) = match apply {
                    Apply::Nothing => (false, false),
                    Apply::Keyframe(k, after) => {
                        // The view gets the state as messages; the mirror is replaced whole.
                        if let Some(tx) = sink.as_mut() {
                            for m in k.messages() {
                                tx.push(&m);
                            }
                        }
                        *mirror = k;
                        for m in &after {
                            push(m, &mut mirror, &mut sink);
                        }
                        (true, false)
                    }
                    Apply::Deltas(items, gap) => {
                        for m in &items {
                            push(m, &mut mirror, &mut sink);
                        }
                        (false, gap)
                    }
                };
                drop(mirror);
                if let Some(tx) = sink.as_mut() {
                    tx.ship();
                }
                let now = now_ms();
                update(&mut |s| {
                    s.keyframes += u64::from(keyframe);
                    s.gaps += u64::from(gap);
                    if is_deltas {
                        s.batches += 1;
                        s.lag_ms = Some(now.saturating_sub(sent));
                        s.latency_ms = Some(now.saturating_sub(first));
                    }
                });
            }
            Ok(_) => {}
            Err(e) => {
                let text = e.to_string();
                update(&mut |s| {
                    s.connected = false;
                    s.last_error = Some(text.clone());
                });
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
    let _ = client.try_disconnect();
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
        let mut a = Applier { layout: "L".into(), epoch: None, applied: 0, early: VecDeque::new() };
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
}
