//! The gateway: the link's lossless path published to a broker. Deltas go out in ordered
//! batches every 100 ms (QoS 1), a retained keyframe every 10 s and on every (re)connection,
//! and a retained `online` status with `offline` as the last will.
//!
//! While the broker is unreachable the link keeps polling: the state is kept current, deltas are
//! not queued (the keyframe sent on reconnection carries the state; their count is reported as
//! coalesced), and link events are kept up to a bound and sent after that keyframe (beyond the
//! bound they are dropped and counted).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS, Transport};
use twin_link::{Backoff, LinkMessage};
use twin_model::Site;
use twin_record::{TwinState, layout_id};

use crate::wire::{Body, BrokerUrl, Envelope, Topics, WIRE_VERSION, encode};
use twin_link::clock::wall_ms;

/// Where a gateway or viewer connects: the broker, the site's topics, TLS material.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Broker.
    pub broker: BrokerUrl,
    /// Site name in the topics.
    pub site: String,
    /// CA certificate (PEM) for `mqtts://`; the system's roots are not loaded.
    pub ca_pem: Option<Vec<u8>>,
    /// Client certificate and key (PEM) for brokers that require them.
    pub client_auth: Option<(Vec<u8>, Vec<u8>)>,
}

impl Connection {
    /// MQTT options: credentials, TLS, keep-alive, large packets (keyframes).
    pub fn mqtt_options(&self, client_id: &str) -> MqttOptions {
        let url = &self.broker;
        let mut o = MqttOptions::new(client_id, url.host.clone(), url.port);
        o.set_keep_alive(Duration::from_secs(10))
            .set_max_packet_size(64 << 20, 64 << 20)
            .set_clean_session(true);
        if let Some(user) = &url.username {
            o.set_credentials(user.clone(), url.password.clone().unwrap_or_default());
        }
        if url.tls {
            // rustls with the ring provider: installed once per process.
            let _ = rustls::crypto::ring::default_provider().install_default();
            o.set_transport(Transport::tls(
                self.ca_pem.clone().unwrap_or_default(),
                self.client_auth.clone(),
                None,
            ));
        }
        o
    }

    /// The site's topics.
    pub fn topics(&self) -> Topics {
        Topics::new(&self.site)
    }
}

/// Reconnection pacing of the gateway and viewers: 200 ms, doubling to 5 s.
pub(crate) fn broker_backoff() -> Backoff {
    Backoff::new(Duration::from_millis(200), Duration::from_secs(5))
}

/// The link's channel is blocking: a thread moves its messages, stamped with the wall clock,
/// onto the runtime. Bounded: a stalled loop holds the bridge, the link's own bounded channel
/// then fills and counts what it drops (`LinkEvent::Lost`), and memory stays bounded.
pub(crate) fn bridge(
    rx: crossbeam_channel::Receiver<LinkMessage>,
    stop: Arc<AtomicBool>,
) -> tokio::sync::mpsc::Receiver<(u64, LinkMessage)> {
    let (tx, link_rx) = tokio::sync::mpsc::channel::<(u64, LinkMessage)>(1 << 16);
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(m) => {
                    if tx.blocking_send((wall_ms(), m)).is_err() {
                        break;
                    }
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            }
        }
    });
    link_rx
}

/// Time between keyframes unless the user sets another (`--keyframe-every`).
pub const DEFAULT_KEYFRAME_EVERY: Duration = Duration::from_secs(10);

/// Gateway settings.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Broker, site, TLS.
    pub connection: Connection,
    /// Time between delta batches.
    pub batch_every: Duration,
    /// Time between keyframes.
    pub keyframe_every: Duration,
    /// Link events kept while the broker is down.
    pub max_held_events: usize,
}

impl GatewayOptions {
    /// Defaults for a connection.
    pub fn new(connection: Connection) -> Self {
        Self {
            connection,
            batch_every: Duration::from_millis(100),
            keyframe_every: DEFAULT_KEYFRAME_EVERY,
            max_held_events: 10_000,
        }
    }
}

/// What the gateway has done (shared with its owner).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GatewayStats {
    /// Connected to the broker now.
    pub connected: bool,
    /// Delta batches published.
    pub batches: u64,
    /// Keyframes published.
    pub keyframes: u64,
    /// Deltas not sent while the broker was down (their state went out in the next keyframe).
    pub coalesced: u64,
    /// Link events dropped while the broker was down, past the bound.
    pub dropped_events: u64,
    /// Connections made after the first.
    pub reconnects: u64,
    /// The last connection error.
    pub last_error: Option<String>,
}

/// Runs the gateway until `stop` is set or `rx` closes. Call inside a tokio runtime.
pub async fn run(
    site: Arc<Site>,
    rx: crossbeam_channel::Receiver<LinkMessage>,
    options: GatewayOptions,
    stats: Arc<Mutex<GatewayStats>>,
    stop: Arc<AtomicBool>,
) {
    let conn = &options.connection;
    let topics = conn.topics();
    let epoch = wall_ms();
    let client_id = format!("picktwin-gateway-{}-{epoch}", conn.site);
    let mut mqtt = conn.mqtt_options(&client_id);
    mqtt.set_last_will(LastWill::new(&topics.status, "offline", QoS::AtLeastOnce, true));
    let (client, eventloop) = AsyncClient::new(mqtt, 1024);
    let mut driver = crate::mqtt::drive(eventloop, false);
    let layout = layout_id(&site);

    let mut link_rx = bridge(rx, stop.clone());

    let mut state = TwinState::for_site(&site);
    let mut batch: Vec<LinkMessage> = Vec::new();
    let mut first_ms = 0u64;
    let mut held: VecDeque<LinkMessage> = VecDeque::new();
    let mut seq = 0u64;
    let mut connected = false;
    let mut ever_connected = false;
    let mut batch_tick = tokio::time::interval(options.batch_every);
    let mut key_tick = tokio::time::interval(options.keyframe_every);
    batch_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    key_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let update = |f: &mut dyn FnMut(&mut GatewayStats)| {
        if let Ok(mut s) = stats.lock() {
            f(&mut s);
        }
    };
    let envelope = |seq: u64, first_ms: u64, body: Body| {
        encode(&Envelope {
            version: WIRE_VERSION,
            layout_id: layout.clone(),
            epoch,
            seq,
            sent_ms: wall_ms(),
            first_ms,
            body,
        })
    };

    while !stop.load(Ordering::Relaxed) {
        tokio::select! {
            event = driver.events.recv() => match event {
                None => break,
                Some(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
                    connected = true;
                    if ever_connected {
                        tracing::info!("broker {} reachable again", conn.broker);
                    }
                    let reconnect = ever_connected;
                    ever_connected = true;
                    let _ = client.try_publish(&topics.status, QoS::AtLeastOnce, true, "online");
                    // A batch gathered before the outage is older than the keyframe below: sent
                    // after it (with a higher number) it would rewind every viewer until the
                    // next keyframe. Its state is in the keyframe; its events go with the held.
                    let unsent = std::mem::take(&mut batch);
                    let stale = unsent.len();
                    let events: Vec<LinkMessage> =
                        unsent.into_iter().filter(|m| matches!(m, LinkMessage::Event(_))).collect();
                    update(&mut |s| s.coalesced += (stale - events.len()) as u64);
                    for (k, m) in events.into_iter().enumerate() {
                        held.insert(k, m);
                    }
                    // The state first (it covers what was not sent), then the events held.
                    let key = envelope(seq, wall_ms(), Body::Keyframe(state.clone()));
                    let sent = client.try_publish(&topics.keyframe, QoS::AtLeastOnce, true, key).is_ok();
                    if !held.is_empty() {
                        seq += 1;
                        let events: Vec<LinkMessage> = held.drain(..).collect();
                        let _ = client.try_publish(&topics.deltas, QoS::AtLeastOnce, false, envelope(seq, wall_ms(), Body::Deltas(events)));
                    }
                    update(&mut |s| {
                        s.connected = true;
                        s.keyframes += u64::from(sent);
                        s.reconnects += u64::from(reconnect);
                    });
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    // The driver waits the backoff before it connects again.
                    if connected || !ever_connected {
                        tracing::warn!("broker {}: {e}; retrying with backoff, the link keeps polling", conn.broker);
                    }
                    connected = false;
                    let text = e.to_string();
                    update(&mut |s| {
                        s.connected = false;
                        s.last_error = Some(text.clone());
                    });
                }
            },
            msg = link_rx.recv() => {
                let Some((t, m)) = msg else { break };
                state.apply(&m);
                if connected {
                    if batch.is_empty() {
                        first_ms = t;
                    }
                    batch.push(m);
                } else if matches!(m, LinkMessage::Event(_)) {
                    held.push_back(m);
                    if held.len() > options.max_held_events {
                        held.pop_front();
                        update(&mut |s| s.dropped_events += 1);
                    }
                } else {
                    update(&mut |s| s.coalesced += 1);
                }
            }
            _ = batch_tick.tick() => {
                if connected && !batch.is_empty() {
                    seq += 1;
                    let items = std::mem::take(&mut batch);
                    let bytes = envelope(seq, first_ms, Body::Deltas(items));
                    match client.try_publish(&topics.deltas, QoS::AtLeastOnce, false, bytes) {
                        Ok(()) => update(&mut |s| s.batches += 1),
                        // The client's queue is full (broker slow or gone): the next keyframe
                        // carries the state.
                        Err(_) => update(&mut |s| s.coalesced += 1),
                    }
                }
            }
            _ = key_tick.tick() => {
                if connected {
                    let key = envelope(seq, wall_ms(), Body::Keyframe(state.clone()));
                    if client.try_publish(&topics.keyframe, QoS::AtLeastOnce, true, key).is_ok() {
                        update(&mut |s| s.keyframes += 1);
                    }
                }
            }
        }
    }
    // Orderly end: a final batch, `offline`, then disconnect (drive the loop briefly to send).
    if connected {
        if !batch.is_empty() {
            seq += 1;
            let _ = client.try_publish(
                &topics.deltas,
                QoS::AtLeastOnce,
                false,
                envelope(seq, first_ms, Body::Deltas(batch)),
            );
        }
        let _ = client.try_publish(&topics.status, QoS::AtLeastOnce, true, "offline");
        let _ = client.try_disconnect();
        driver.finish().await;
    }
}
