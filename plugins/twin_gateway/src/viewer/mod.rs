//! A viewer: subscribes to a site's topics and turns them back into the link's messages, for
//! the same ECS (through a view channel) or for a test's state mirror. Read-only by
//! construction: it only subscribes; nothing it does reaches a controller.
//!
//! A late joiner starts from the retained keyframe; deltas that arrive before any keyframe are
//! held and applied after it when newer. Keyframes are taken when they are newer (a later
//! gateway run, or a later sequence number of the same run), so a reconnection never rewinds
//! the state.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, Packet, QoS};

use twin_model::Site;
use twin_record::TwinState;

use crate::gateway::Connection;

mod applier;
mod intake;

pub use applier::{Intake, Refusal, Taken};
pub use intake::Sink;
use intake::{Output, Rejections};
use twin_link::clock::wall_ms;

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
    /// Why the viewer refuses the feed now (another layout or wire version); cleared by the
    /// next good payload.
    pub refused: Option<String>,
    /// Payloads refused: undecodable, too large, another version or layout, a keyframe that
    /// does not fit the layout. Each is skipped; the ones after it still apply.
    pub bad_payloads: u64,
    /// Messages skipped inside good payloads: they name something outside the layout.
    pub bad_messages: u64,
    /// The latest refusal: `bad payload from <topic>: <reason>`.
    pub last_bad: Option<String>,
    /// Wall clock (ms since the Unix epoch) of the last good payload from the gateway: what is
    /// on screen is this old.
    pub last_good_ms: Option<u64>,
    /// Messages the view channel had no room for; the view was resynchronised from the
    /// viewer's mirror after them.
    pub view_overflows: u64,
    /// The last connection error.
    pub last_error: Option<String>,
}

/// A running viewer.
pub struct Viewer {
    stats: Arc<Mutex<ViewerStats>>,
    state: Arc<Mutex<TwinState>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
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

async fn run(
    site: Arc<Site>,
    options: ViewerOptions,
    sink: Option<Sink>,
    stats: Arc<Mutex<ViewerStats>>,
    state: Arc<Mutex<TwinState>>,
    stop: Arc<AtomicBool>,
) {
    let topics = options.topics();
    let id = format!("picktwin-viewer-{}-{}", std::process::id(), wall_ms() % 1_000_000);
    // The client's packet limit stays generous: a packet over it drops the connection, and a
    // retained one would then drop every reconnection. Payloads are bounded when inflated.
    let mqtt = options.mqtt_options(&id);
    let mut intake = Intake::new(&site);
    let (client, eventloop) = AsyncClient::new(mqtt, 64);
    let mut driver = crate::mqtt::drive(eventloop, false);
    let mut out = Output::new(sink);
    let mut rejections = Rejections::new(Duration::from_secs(10));
    let update = |f: &mut dyn FnMut(&mut ViewerStats)| {
        if let Ok(mut s) = stats.lock() {
            f(&mut s);
        }
    };
    while !stop.load(Ordering::Relaxed) {
        // A timeout on the driver's channel, never on `poll` itself (crate::mqtt says why).
        let event = match tokio::time::timeout(Duration::from_millis(200), driver.events.recv()).await {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(_) => continue,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
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
                let Ok(mut mirror) = state.lock() else { return };
                let taken = intake.take(&p.payload, &mut mirror, |m| out.push(m));
                let overflowed = out.ship(&mirror);
                drop(mirror);
                let now = wall_ms();
                match taken {
                    Ok(t) => update(&mut |s| {
                        s.refused = None;
                        s.last_good_ms = Some(now);
                        s.keyframes += u64::from(t.keyframe);
                        s.gaps += u64::from(t.gap);
                        s.bad_messages += t.skipped;
                        s.view_overflows += overflowed;
                        if t.deltas {
                            s.batches += 1;
                            s.lag_ms = Some(now.saturating_sub(t.sent_ms));
                            s.latency_ms = Some(now.saturating_sub(t.first_ms));
                        }
                    }),
                    Err(r) => {
                        let text = format!("bad payload from {}: {}", p.topic, r.reason);
                        if let Some(line) = rejections.note(&text, Instant::now()) {
                            tracing::error!("{}: {line}", options.broker);
                        }
                        update(&mut |s| {
                            s.bad_payloads += 1;
                            s.view_overflows += overflowed;
                            s.last_bad = Some(text.clone());
                            if r.feed {
                                s.refused = Some(r.reason.clone());
                            }
                        });
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                let text = e.to_string();
                update(&mut |s| {
                    s.connected = false;
                    s.last_error = Some(text.clone());
                });
            }
        }
    }
    let _ = client.try_disconnect();
}
