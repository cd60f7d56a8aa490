//! The RTLS feed: JSON location updates on an MQTT topic (docs/sources.md), each checked
//! (size, fields, finite numbers, a known tag, a point on the floor, not older than the last),
//! moved from the RTLS frame into the plan frame, and published as the tag's picker. Bad
//! messages are counted and alarmed in one summary per second, never fatal.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use serde::Deserialize;
use twin_link::clock::wall_ms;
use twin_link::{
    Backoff, LinkEvent, LinkMessage, PickerReading, Publisher, SourceHealth, SourceKind, SourceState,
    SourceType,
};
use twin_model::Site;
use twin_model::codes::PickerState;
use twin_model::sources::RtlsMqtt;

/// Largest payload accepted (bytes); larger ones are refused unparsed.
pub const MAX_PAYLOAD: usize = 64 * 1024;
/// Most updates in one message (an array).
pub const MAX_UPDATES: usize = 1000;
/// How far off the floor a position may be before it is refused (metres): tags near a wall
/// read a little outside it.
const FLOOR_MARGIN: f64 = 5.0;

/// One location update as the RTLS sends it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Update {
    /// Tag id.
    pub tag: String,
    /// RTLS x.
    pub x: f64,
    /// RTLS y.
    pub y: f64,
    /// RTLS z (ignored: the plan is 2D).
    #[serde(default)]
    pub z: Option<f64>,
    /// When measured, Unix epoch milliseconds.
    pub ts: u64,
    /// Estimated error, RTLS units.
    #[serde(default)]
    pub accuracy: Option<f64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Payload {
    One(Update),
    Many(Vec<Update>),
}

/// Tags to pickers and the frame, with each picker's last accepted update.
pub struct Tracker {
    cfg: RtlsMqtt,
    tags: HashMap<String, u16>,
    floor: [f64; 2],
    last: HashMap<u16, (u64, PickerReading)>,
}

impl Tracker {
    /// A tracker for `site`'s roster and floor.
    pub fn new(site: &Site, cfg: RtlsMqtt) -> Self {
        let index: HashMap<&str, u16> =
            site.layout.pickers.iter().enumerate().map(|(i, p)| (p.id.as_str(), i as u16)).collect();
        let tags =
            cfg.tags.iter().filter_map(|t| Some((t.tag.clone(), *index.get(t.picker.as_str())?))).collect();
        let floor = [f64::from(site.layout.floor.width), f64::from(site.layout.floor.depth)];
        Self { cfg, tags, floor, last: HashMap::new() }
    }

    /// Parses one MQTT payload; accepted updates become picker messages in `out`. Returns the
    /// number refused and the first problem.
    pub fn payload(&mut self, bytes: &[u8], out: &mut Vec<LinkMessage>) -> (u32, Option<String>) {
        if bytes.len() > MAX_PAYLOAD {
            return (1, Some(format!("payload of {} bytes (limit {MAX_PAYLOAD})", bytes.len())));
        }
        let updates = match serde_json::from_slice::<Payload>(bytes) {
            Ok(Payload::One(u)) => vec![u],
            Ok(Payload::Many(v)) if v.len() <= MAX_UPDATES => v,
            Ok(Payload::Many(v)) => {
                return (1, Some(format!("{} updates in one message (limit {MAX_UPDATES})", v.len())));
            }
            Err(e) => return (1, Some(format!("not a location update: {e}"))),
        };
        let (mut refused, mut first) = (0, None);
        for u in updates {
            if let Err(why) = self.update(&u, out) {
                refused += 1;
                first.get_or_insert(why);
            }
        }
        (refused, first)
    }

    fn update(&mut self, u: &Update, out: &mut Vec<LinkMessage>) -> Result<(), String> {
        let &picker = self.tags.get(&u.tag).ok_or_else(|| format!("unknown tag {:?}", u.tag))?;
        if !(u.x.is_finite() && u.y.is_finite()) {
            return Err(format!("tag {:?}: position is not a number", u.tag));
        }
        let [x, y] = self.cfg.frame.to_plan(u.x, u.y);
        let m = FLOOR_MARGIN;
        if !(-m..=self.floor[0] + m).contains(&x) || !(-m..=self.floor[1] + m).contains(&y) {
            return Err(format!("tag {:?}: ({x:.1}, {y:.1}) m is off the floor", u.tag));
        }
        let prev = self.last.get(&picker).copied();
        if prev.is_some_and(|(ts, _)| u.ts < ts) {
            return Err(format!("tag {:?}: update older than the last one", u.tag));
        }
        let cm = |v: f64| (v.max(0.0) * 100.0).round().min(65535.0) as u16;
        let mut r =
            PickerReading { x_cm: cm(x), y_cm: cm(y), state: PickerState::Idle as u16, ..Default::default() };
        if let Some((_, p)) = prev {
            let (dx, dy) = (f64::from(r.x_cm) - f64::from(p.x_cm), f64::from(r.y_cm) - f64::from(p.y_cm));
            // Moving more than 10 cm: walking, heading along the move; else standing where it was.
            if dx.hypot(dy) > 10.0 {
                r.state = PickerState::Walking as u16;
                r.heading_cdeg = ((dy.atan2(dx).to_degrees().rem_euclid(360.0)) * 100.0) as u16 % 36000;
            } else {
                r.heading_cdeg = p.heading_cdeg;
            }
        }
        self.last.insert(picker, (u.ts, r));
        out.push(LinkMessage::Picker { picker, reading: r });
        Ok(())
    }

    /// Marks pickers not updated for `stale_after_s` at `now_ms` stale (once each).
    pub fn expire(&mut self, now_ms: u64, out: &mut Vec<LinkMessage>) {
        let limit = (f64::from(self.cfg.stale_after_s) * 1000.0) as u64;
        for (&picker, (ts, r)) in &mut self.last {
            if !r.stale && now_ms.saturating_sub(*ts) > limit {
                r.stale = true;
                out.push(LinkMessage::Picker { picker, reading: *r });
            }
        }
    }
}

/// Runs the feed until `stop` sends or closes: connects, subscribes, reconnects with backoff.
pub fn run(site: &Site, cfg: RtlsMqtt, publisher: Publisher, stop: Receiver<()>) {
    let Some((host, port)) = twin_model::sources::mqtt_host_port(&cfg.broker) else {
        publisher.publish(LinkMessage::Event(LinkEvent::SourceDown {
            source: SourceKind::Pickers,
            reason: format!("RTLS broker {:?} is not mqtt://host:port", cfg.broker).into(),
        }));
        return;
    };
    let topic = cfg.topic.clone();
    let mut tracker = Tracker::new(site, cfg);
    let mut health = SourceHealth {
        kind: SourceType::RtlsMqtt,
        stale_after_ms: (tracker.cfg.stale_after_s * 1000.0) as u32,
        ..SourceHealth::default()
    };
    publisher.publish(LinkMessage::Source { source: SourceKind::Pickers, health });
    let mut opts = MqttOptions::new(format!("picktwin-rtls-{}", std::process::id()), host, port);
    opts.set_keep_alive(Duration::from_secs(10)).set_max_packet_size(MAX_PAYLOAD + 1024, MAX_PAYLOAD + 1024);
    let (client, mut connection) = Client::new(opts, 64);
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    let (mut refused, mut first): (u32, Option<String>) = (0, None);
    let mut last_summary = Instant::now();
    let mut was_down = false;
    loop {
        if !matches!(stop.try_recv(), Err(crossbeam_channel::TryRecvError::Empty)) {
            let _ = client.disconnect();
            return;
        }
        let mut out = Vec::new();
        match connection.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
                backoff.reset();
                let _ = client.try_subscribe(topic.clone(), QoS::AtMostOnce);
                health.state = SourceState::Ok;
                health.last_good_ms = wall_ms();
                if was_down {
                    out.push(LinkMessage::Event(LinkEvent::SourceUp { source: SourceKind::Pickers }));
                    was_down = false;
                }
                out.push(LinkMessage::Source { source: SourceKind::Pickers, health });
            }
            Ok(Ok(Event::Incoming(Packet::Publish(p)))) => {
                let (n, why) = tracker.payload(&p.payload, &mut out);
                refused += n;
                if first.is_none() {
                    first = why;
                }
                if n == 0 {
                    health.last_good_ms = wall_ms();
                    health.polls += 1;
                }
            }
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(e)) => {
                if !was_down {
                    out.push(LinkMessage::Event(LinkEvent::SourceDown {
                        source: SourceKind::Pickers,
                        reason: format!("RTLS broker {}: {e}", tracker.cfg.broker).into(),
                    }));
                    was_down = true;
                    health.state = SourceState::Down;
                    out.push(LinkMessage::Source { source: SourceKind::Pickers, health });
                }
                publisher.publish_all(out.drain(..));
                if stop.recv_timeout(backoff.next_delay()).is_ok() {
                    return;
                }
            }
        }
        if last_summary.elapsed() >= Duration::from_secs(1) {
            last_summary = Instant::now();
            tracker.expire(wall_ms(), &mut out);
            if refused > 0 {
                health.rejected += u64::from(refused);
                out.push(LinkMessage::Event(LinkEvent::SourceRejected {
                    source: SourceKind::Pickers,
                    count: refused,
                    reason: first.take().unwrap_or_default().into(),
                }));
                refused = 0;
            }
            out.push(LinkMessage::Source { source: SourceKind::Pickers, health });
        }
        if !out.is_empty() {
            publisher.publish_all(out);
        }
    }
}
