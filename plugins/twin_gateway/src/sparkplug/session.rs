//! The edge node's rules without any IO: which Sparkplug messages the twin's state calls for
//! (births, data by exception, device deaths and births), the sequence numbers, the session's
//! `bdSeq`, and what a command may do (only a rebirth). The MQTT side is `run`.

use prost::Message as _;
use twin_link::LinkMessage;
use twin_model::{ModuleIndex, Site};
use twin_ops::Ops;
use twin_record::TwinState;

use super::SparkplugTopics;
use super::catalog::{self, BD_SEQ, Catalog, DEVICE, Def, MODULE, REBIRTH, REBIRTH_NAME, Val};
use super::proto::{Metric, Payload, Value};

/// What the values are read from at one moment.
pub struct View<'a> {
    /// The site.
    pub site: &'a Site,
    /// The link's state (modules, health).
    pub state: &'a TwinState,
    /// The operations model (KPIs, alarms).
    pub ops: &'a Ops,
    /// Wall clock, ms since the Unix epoch.
    pub now_ms: u64,
}

/// One message to publish (QoS 0, not retained, as Sparkplug wants every edge message but the
/// will).
#[derive(Debug, Clone, PartialEq)]
pub struct Publish {
    /// Topic.
    pub topic: String,
    /// Encoded [`Payload`].
    pub payload: Vec<u8>,
}

/// What a command asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `Node Control/Rebirth` = true.
    Rebirth,
    /// Anything else: refused (the gateway is read-only), with why.
    Refused(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    Dead,
    /// Current since this wall time; born once current for `revive_after_ms`.
    Reviving(u64),
    Alive,
}

/// Counts of what the edge node sent and refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeCounts {
    /// NBIRTH + DBIRTH messages.
    pub births: u64,
    /// NDATA + DDATA messages.
    pub data: u64,
    /// DDEATH messages.
    pub deaths: u64,
    /// Rebirths asked for by NCMD.
    pub rebirths: u64,
    /// Commands refused.
    pub refused: u64,
    /// Payload bytes sent.
    pub bytes: u64,
    /// The largest payload sent (a DBIRTH on a big site).
    pub largest: usize,
}

/// The edge node's state between messages.
pub struct Edge {
    catalog: Catalog,
    topics: SparkplugTopics,
    bd_seq: u8,
    seq: u8,
    /// What was last published, by metric index (None: not since the last birth).
    last: Vec<Option<Val>>,
    life: Vec<Life>,
    dirty: Vec<bool>,
    dirty_list: Vec<ModuleIndex>,
    revive_after_ms: u64,
    /// The layout's id, computed once (it serialises the whole layout).
    layout_id: String,
    /// What was sent.
    pub counts: EdgeCounts,
}

impl Edge {
    /// An edge node for a site; a device is born again once current for `revive_after_ms`.
    pub fn new(site: &Site, topics: SparkplugTopics, revive_after_ms: u64) -> Self {
        let catalog = Catalog::for_site(site);
        Self {
            last: vec![None; catalog.len()],
            life: vec![Life::Dead; catalog.devices.len()],
            dirty: vec![false; site.modules.len()],
            dirty_list: Vec::new(),
            catalog,
            topics,
            bd_seq: 0,
            seq: 0,
            revive_after_ms,
            layout_id: twin_record::layout_id(site),
            counts: EdgeCounts::default(),
        }
    }

    /// The catalogue.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The topics.
    pub fn topics(&self) -> &SparkplugTopics {
        &self.topics
    }

    /// This MQTT session's birth/death sequence number.
    pub fn bd_seq(&self) -> u8 {
        self.bd_seq
    }

    /// The NDEATH: the MQTT will of this session, and what a clean stop publishes.
    pub fn death(&self, now_ms: u64) -> Publish {
        let metric =
            self.metric_full(BD_SEQ, &self.catalog.node[BD_SEQ], &Val::I64(i64::from(self.bd_seq)), now_ms);
        let payload = Payload { timestamp: Some(now_ms), metrics: vec![metric], ..Default::default() };
        Publish { topic: self.topics.node("NDEATH"), payload: payload.encode_to_vec() }
    }

    /// A connection ended: the next CONNECT is a new session with the next `bdSeq` (0–255).
    pub fn next_session(&mut self) {
        self.bd_seq = self.bd_seq.wrapping_add(1);
    }

    /// A link message was applied to the state: remembers which module changed.
    pub fn touch(&mut self, msg: &LinkMessage) {
        if let LinkMessage::Module { module, .. } = msg
            && let Some(d) = self.dirty.get_mut(*module as usize)
            && !*d
        {
            *d = true;
            self.dirty_list.push(*module);
        }
    }

    /// The whole birth sequence (after CONNECT, and on a rebirth): NBIRTH with `seq` 0, then a
    /// DBIRTH for every device alive now.
    pub fn births(&mut self, v: &View) -> Vec<Publish> {
        self.seq = 0;
        let values = self.node_values(v);
        let mut metrics = Vec::with_capacity(values.len());
        for (k, val) in values.into_iter().enumerate() {
            metrics.push(self.metric_full(k, &self.catalog.node[k], &val, v.now_ms));
            self.last[k] = Some(val);
        }
        let mut out = vec![self.payload(self.topics.node("NBIRTH"), metrics, v.now_ms, true)];
        for d in 0..self.life.len() {
            if self.life[d] == Life::Alive {
                out.push(self.device_birth(d, v));
            }
        }
        self.counts.births += out.len() as u64;
        out
    }

    /// Every 100 ms: per device a DDEATH (no longer current), a DBIRTH (current again for long
    /// enough) or a DDATA with what changed; then an NDATA with what changed on the node.
    pub fn tick(&mut self, v: &View) -> Vec<Publish> {
        let mut out = Vec::new();
        // Modules changed since the last tick, by device (those of dead devices are sent in
        // full by their next DBIRTH).
        let mut by_device: Vec<Vec<Metric>> = vec![Vec::new(); self.life.len()];
        let dirty = std::mem::take(&mut self.dirty_list);
        for &m in &dirty {
            self.dirty[m as usize] = false;
            let (d, j) = self.catalog.slots[m as usize];
            let d = usize::from(d);
            if self.life[d] != Life::Alive {
                continue;
            }
            let first = self.catalog.devices[d].first + DEVICE.len() + j as usize * MODULE.len();
            for (f, val) in catalog::module_values(&v.state.modules[m as usize]).into_iter().enumerate() {
                self.changed(first + f, val, v.now_ms, &mut by_device[d]);
            }
        }
        self.dirty_list = dirty;
        self.dirty_list.clear();
        for (d, mut metrics) in by_device.into_iter().enumerate() {
            let plan = &v.site.layout.controllers[d];
            let current = v
                .state
                .health
                .get(d)
                .is_some_and(|h| twin_ops::is_current(plan.poll_interval_ms, h, v.now_ms));
            let id = self.catalog.devices[d].id.clone();
            self.life[d] = match (self.life[d], current) {
                (Life::Alive, false) => {
                    let first = self.catalog.devices[d].first;
                    let len = self.catalog.devices[d].defs.len();
                    self.last[first..first + len].fill(None);
                    out.push(self.payload(self.topics.device("DDEATH", &id), Vec::new(), v.now_ms, false));
                    self.counts.deaths += 1;
                    Life::Dead
                }
                (Life::Alive, true) => {
                    let first = self.catalog.devices[d].first;
                    let values = catalog::device_values(&v.state.health[d], v.now_ms);
                    let mut link = Vec::new();
                    for (k, val) in values.into_iter().enumerate() {
                        self.changed(first + k, val, v.now_ms, &mut link);
                    }
                    link.append(&mut metrics);
                    if !link.is_empty() {
                        out.push(self.payload(self.topics.device("DDATA", &id), link, v.now_ms, false));
                        self.counts.data += 1;
                    }
                    Life::Alive
                }
                (_, false) => Life::Dead,
                (Life::Dead, true) => Life::Reviving(v.now_ms),
                (Life::Reviving(since), true) if v.now_ms.saturating_sub(since) >= self.revive_after_ms => {
                    out.push(self.device_birth(d, v));
                    self.counts.births += 1;
                    Life::Alive
                }
                (life, true) => life,
            };
        }
        // The node's metrics last, so `Controllers/Fresh` counts this tick's births and deaths.
        let node = self.node_values(v);
        let mut changed = Vec::new();
        for (k, val) in node.into_iter().enumerate() {
            self.changed(k, val, v.now_ms, &mut changed);
        }
        if !changed.is_empty() {
            out.push(self.payload(self.topics.node("NDATA"), changed, v.now_ms, false));
            self.counts.data += 1;
        }
        out
    }

    /// An NCMD or DCMD payload (untrusted): a rebirth, or why it is refused.
    pub fn command(&mut self, topic: &str, payload: &[u8]) -> Command {
        let refuse = |counts: &mut EdgeCounts, why: String| {
            counts.refused += 1;
            Command::Refused(why)
        };
        if payload.len() > 64 << 10 {
            return refuse(
                &mut self.counts,
                format!("{} bytes is more than a command may be (64 KiB)", payload.len()),
            );
        }
        let Ok(p) = Payload::decode(payload) else {
            return refuse(&mut self.counts, "not a Sparkplug B payload".to_owned());
        };
        if topic != self.topics.node("NCMD") {
            let names: Vec<String> = p.metrics.iter().map(|m| self.name_of(m)).collect();
            return refuse(
                &mut self.counts,
                format!("device command {} refused: picktwin is read-only", names.join(", ")),
            );
        }
        let rebirth_alias = Catalog::alias(REBIRTH);
        let mut asked = false;
        let mut others = Vec::new();
        for m in &p.metrics {
            let is_rebirth = m.name.as_deref() == Some(REBIRTH_NAME)
                || (m.name.is_none() && m.alias == Some(rebirth_alias));
            if is_rebirth && m.value == Some(Value::Boolean(true)) {
                asked = true;
            } else {
                others.push(self.name_of(m));
            }
        }
        if asked {
            self.counts.rebirths += 1;
            if !others.is_empty() {
                self.counts.refused += 1;
            }
            Command::Rebirth
        } else {
            refuse(
                &mut self.counts,
                format!("node command {} refused: picktwin is read-only", others.join(", ")),
            )
        }
    }

    fn name_of(&self, m: &Metric) -> String {
        m.name
            .clone()
            .or_else(|| m.alias.map(|a| format!("alias {a}")))
            .unwrap_or_else(|| "(unnamed)".to_owned())
    }

    fn device_birth(&mut self, d: usize, v: &View) -> Publish {
        let first = self.catalog.devices[d].first;
        let mut values: Vec<Val> = catalog::device_values(&v.state.health[d], v.now_ms).into();
        for &m in &self.catalog.devices[d].modules {
            values.extend(catalog::module_values(&v.state.modules[m as usize]));
        }
        let mut metrics = Vec::with_capacity(values.len());
        for (k, val) in values.into_iter().enumerate() {
            metrics.push(self.metric_full(first + k, &self.catalog.devices[d].defs[k], &val, v.now_ms));
            self.last[first + k] = Some(val);
        }
        let topic = self.topics.device("DBIRTH", &self.catalog.devices[d].id);
        self.payload(topic, metrics, v.now_ms, false)
    }

    fn node_values(&self, v: &View) -> Vec<Val> {
        let k = v.ops.kpis();
        let round = |x: f64| Val::F64((x * 10.0).round() / 10.0);
        let fresh = twin_ops::freshness(v.site, &v.state.health, v.now_ms, None, twin_ops::Judge::Age);
        let current = self.life.iter().filter(|l| **l == Life::Alive).count();
        vec![
            Val::I64(i64::from(self.bd_seq)),
            Val::Bool(false),
            Val::Text(v.site.layout.name.clone()),
            Val::Text(self.layout_id.clone()),
            round(k.orders_per_h),
            round(k.lines_per_h),
            Val::U32(k.orders_done),
            Val::U32(k.lines),
            Val::U32(k.open_orders),
            Val::U32(k.late),
            Val::U32(u32::try_from(v.ops.alarms.open_count()).unwrap_or(u32::MAX)),
            fresh.age_ms.map_or(Val::Null, |a| Val::U32(u32::try_from(a / 1000).unwrap_or(u32::MAX))),
            Val::U32(current as u32),
            Val::U32(self.life.len() as u32),
        ]
    }

    /// Adds metric `index` to `out` (alias only) if `val` differs from what was last sent.
    fn changed(&mut self, index: usize, val: Val, now_ms: u64, out: &mut Vec<Metric>) {
        let def = self.def(index);
        if self.last[index].as_ref().is_none_or(|old| old.differs(&val, def)) {
            let mut m =
                Metric { alias: Some(Catalog::alias(index)), timestamp: Some(now_ms), ..Default::default() };
            val.write_to(&mut m);
            out.push(m);
            self.last[index] = Some(val);
        }
    }

    fn def(&self, index: usize) -> &Def {
        if index < self.catalog.node.len() {
            return &self.catalog.node[index];
        }
        let d = self.catalog.devices.partition_point(|d| d.first <= index) - 1;
        let dev = &self.catalog.devices[d];
        &dev.defs[index - dev.first]
    }

    fn metric_full(&self, index: usize, def: &Def, val: &Val, now_ms: u64) -> Metric {
        let mut m = Metric {
            name: Some(def.name.clone()),
            alias: Some(Catalog::alias(index)),
            timestamp: Some(now_ms),
            datatype: Some(def.datatype as u32),
            ..Default::default()
        };
        val.write_to(&mut m);
        m
    }

    /// A payload with the next `seq` (0 for an NBIRTH).
    fn payload(&mut self, topic: String, metrics: Vec<Metric>, now_ms: u64, nbirth: bool) -> Publish {
        if !nbirth {
            self.seq = self.seq.wrapping_add(1);
        }
        let p = Payload {
            timestamp: Some(now_ms),
            metrics,
            seq: Some(u64::from(self.seq)),
            ..Default::default()
        };
        let payload = p.encode_to_vec();
        self.counts.bytes += payload.len() as u64;
        self.counts.largest = self.counts.largest.max(payload.len());
        Publish { topic, payload }
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
