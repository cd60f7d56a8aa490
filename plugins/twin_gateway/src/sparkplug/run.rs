//! The edge node on MQTT. Its own connection: its will is the NDEATH, which cannot share the
//! gateway's connection (whose will is `offline`). A stable client id: a restarted gateway
//! takes over its old session and the broker sends the old NDEATH before the new NBIRTH. Its
//! own lossless subscription of the link, so a Sparkplug broker's trouble never slows the
//! gateway's own topics.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, LastWill, Packet, QoS};
use twin_link::LinkMessage;
use twin_link::clock::wall_ms;
use twin_model::Site;
use twin_ops::{LinkFeeder, Ops, OpsConfig};
use twin_record::TwinState;

use super::session::{Command, EdgeCounts};
use super::{Edge, Publish, SparkplugId, SparkplugTopics, View};
use crate::gateway::{Connection, bridge};

/// Edge node settings.
#[derive(Debug, Clone)]
pub struct SparkplugOptions {
    /// Broker and TLS (the gateway's).
    pub connection: Connection,
    /// Group and edge node ids.
    pub id: SparkplugId,
    /// Data by exception at most this often.
    pub publish_every: Duration,
    /// A device is born again once its controller has been current this long.
    pub revive_after: Duration,
}

impl SparkplugOptions {
    /// Defaults: data at most every 100 ms, devices born again after 1 s current.
    pub fn new(connection: Connection, id: SparkplugId) -> Self {
        Self {
            connection,
            id,
            publish_every: Duration::from_millis(100),
            revive_after: Duration::from_secs(1),
        }
    }
}

/// What the edge node has done (shared with its owner).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparkplugStats {
    /// Connected to the broker now.
    pub connected: bool,
    /// The current session's bdSeq.
    pub bd_seq: u8,
    /// Messages and bytes sent, commands refused.
    pub counts: EdgeCounts,
    /// Connections made after the first.
    pub reconnects: u64,
    /// Why the last command was refused.
    pub last_refusal: Option<String>,
    /// The last connection error.
    pub last_error: Option<String>,
}

/// Logs the first of a kind of message, then at most every 10 s with the count since.
struct Throttle {
    last: Option<Instant>,
    since: u64,
}

impl Throttle {
    fn warn(&mut self, text: &str) {
        self.since += 1;
        if self.last.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            tracing::warn!("{text} ({} since the last report)", self.since);
            self.last = Some(Instant::now());
            self.since = 0;
        }
    }
}

/// Runs the edge node until `stop` is set or `rx` closes. Call inside a tokio runtime.
pub async fn run(
    site: Arc<Site>,
    rx: crossbeam_channel::Receiver<LinkMessage>,
    options: SparkplugOptions,
    stats: Arc<Mutex<SparkplugStats>>,
    stop: Arc<AtomicBool>,
) {
    let conn = &options.connection;
    let topics = SparkplugTopics::new(&options.id, &conn.site);
    let client_id = format!("picktwin-spb-{}-{}", topics.group, topics.edge_node);
    let revive_ms = u64::try_from(options.revive_after.as_millis()).unwrap_or(u64::MAX);
    let mut edge = Edge::new(&site, topics.clone(), revive_ms);
    let will = |edge: &Edge| {
        let d = edge.death(wall_ms());
        LastWill::new(d.topic, d.payload, QoS::AtLeastOnce, false)
    };
    let mut mqtt = conn.mqtt_options(&client_id);
    mqtt.set_last_will(will(&edge));
    let (client, eventloop) = AsyncClient::new(mqtt, 1024);
    let mut driver = crate::mqtt::drive(eventloop, true);
    let mut link_rx = bridge(rx, stop.clone());
    let mut state = TwinState::for_site(&site);
    let mut ops = Ops::new(OpsConfig::for_site(&site));
    let mut feeder = LinkFeeder::default();
    let (mut connected, mut ever_connected) = (false, false);
    let mut rebirth_asked = false;
    let mut last_births = Instant::now();
    // Logged per kind (node commands, device commands): a flood of one hides none of the other.
    let mut refusals = [Throttle { last: None, since: 0 }, Throttle { last: None, since: 0 }];
    let mut tick = tokio::time::interval(options.publish_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let update = |f: &mut dyn FnMut(&mut SparkplugStats)| {
        if let Ok(mut s) = stats.lock() {
            f(&mut s);
        }
    };
    let send = |out: Vec<Publish>| {
        for p in out {
            // A full request queue (broker slow or gone): the next connection's births carry
            // the state.
            let _ = client.try_publish(p.topic, QoS::AtMostOnce, false, p.payload);
        }
    };
    tracing::info!("Sparkplug B edge node {}/{} on {}", topics.group, topics.edge_node, conn.broker);

    while !stop.load(Ordering::Relaxed) {
        tokio::select! {
            event = driver.events.recv() => match event {
                None => break,
                Some(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
                    let reconnect = ever_connected;
                    (connected, ever_connected) = (true, true);
                    let _ = client.try_subscribe(topics.node("NCMD"), QoS::AtLeastOnce);
                    let _ = client.try_subscribe(topics.device("DCMD", "+"), QoS::AtLeastOnce);
                    send(edge.births(&View { site: &site, state: &state, ops: &ops, now_ms: wall_ms() }));
                    // These births answer a rebirth asked for while disconnected too.
                    (last_births, rebirth_asked) = (Instant::now(), false);
                    let bd = edge.bd_seq();
                    update(&mut |s| {
                        s.connected = true;
                        s.bd_seq = bd;
                        s.reconnects += u64::from(reconnect);
                    });
                }
                Some(Ok(Event::Incoming(Packet::Publish(p)))) => match edge.command(&p.topic, &p.payload) {
                    Command::Rebirth => {
                        tracing::info!("rebirth asked for on {}", p.topic);
                        rebirth_asked = true;
                    }
                    Command::Refused(why) => {
                        let kind = usize::from(p.topic.contains("/DCMD/"));
                        refusals[kind].warn(&format!("Sparkplug command on {} refused: {why}", p.topic));
                        update(&mut |s| s.last_refusal = Some(why.clone()));
                    }
                },
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    if connected || !ever_connected {
                        tracing::warn!("Sparkplug broker {}: {e}; retrying with backoff", conn.broker);
                    }
                    connected = false;
                    // The next CONNECT is a new session: the next bdSeq, in its will.
                    edge.next_session();
                    driver.renew_will(will(&edge));
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
                feeder.feed(&mut ops, &m, t);
                edge.touch(&m);
            }
            _ = tick.tick() => {
                let view = View { site: &site, state: &state, ops: &ops, now_ms: wall_ms() };
                // At most one rebirth a second, however many are asked for.
                let out = if rebirth_asked && last_births.elapsed() >= Duration::from_secs(1) {
                    rebirth_asked = false;
                    last_births = Instant::now();
                    edge.births(&view)
                } else {
                    edge.tick(&view)
                };
                // Disconnected, the ticks still follow the devices' lives; what they say is
                // dropped, the births at the next connection carry it.
                if connected {
                    send(out);
                }
                let counts = edge.counts.clone();
                update(&mut |s| s.counts = counts.clone());
            }
        }
    }
    // An orderly end: the NDEATH (Sparkplug asks for it before a deliberate disconnect).
    if connected {
        let d = edge.death(wall_ms());
        let _ = client.try_publish(d.topic, QoS::AtLeastOnce, false, d.payload);
        let _ = client.try_disconnect();
        driver.finish().await;
    }
}
