//! What a shift report is computed from, gathered from the link's messages in order (a
//! recording played forward): every order line the order source reported done or short, the
//! orders as the operations model keeps them (`twin_ops`, the overlay's own rules), presses on
//! unlit modules, and how long each controller's data was not current.

use std::collections::{HashMap, HashSet};

use twin_link::{LinkMessage, NO_MODULE};
use twin_model::codes::LineStatus;
use twin_model::{ModuleIndex, Site};
use twin_ops::{LinkFeeder, Ops, OpsConfig};

/// One completed order line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineFact {
    /// Order id.
    pub order: u32,
    /// Line id in the order source.
    pub line_id: u32,
    /// Module (`NO_MODULE`: a location the layout does not know).
    pub module: ModuleIndex,
    /// Zone index (the module's, else the order's).
    pub zone: Option<u16>,
    /// Picker index of its order.
    pub picker: Option<u16>,
    /// Quantity asked.
    pub asked: u16,
    /// Quantity confirmed.
    pub confirmed: u16,
    /// Picked short.
    pub short: bool,
    /// Site clock when the source first reported it complete, seconds.
    pub done_s: f64,
    /// Site clock when the twin saw its module light (None: lit and confirmed between polls).
    pub lit_s: Option<f64>,
    /// Wall time it was seen complete, ms since the Unix epoch.
    pub done_ms: u64,
}

/// A time a controller's data was not current (offline, stale or frozen).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incident {
    /// Controller index.
    pub controller: u16,
    /// Site clock and wall time (ms since the Unix epoch) it started.
    pub started: (f64, u64),
    /// When it ended (None: still going).
    pub ended: Option<(f64, u64)>,
}

/// Gathers a report's facts from messages within `[from_s, to_s)` of the site clock.
pub struct Collector {
    site: Site,
    /// The operations model, fed with every message (its clock, orders, alarms).
    pub ops: Ops,
    feeder: LinkFeeder,
    from_s: f64,
    to_s: f64,
    /// Lines completed in the range, in completion order.
    pub lines: Vec<LineFact>,
    seen: HashSet<(u32, u32)>,
    /// Presses on unlit modules in the range, summed over shifts (the model counts per shift).
    mispicks: u32,
    /// The model's count and shift start when last looked at.
    last_mispicks: (f64, u32),
    /// Seconds of the range each controller's data was not current.
    pub downtime_s: Vec<f64>,
    current: Vec<Option<(f64, bool)>>,
    /// Every incident, in the order they started.
    pub incidents: Vec<Incident>,
    /// Metres each picker walked in the range (roster order), from its positions.
    pub walked_m: Vec<f64>,
    last_pos: Vec<Option<[f32; 2]>>,
    /// The last picker each order was seen with (sources clear it when the order is done).
    pickers: HashMap<u32, u16>,
    /// When each module was seen lit, until its line completes.
    lit_at: HashMap<ModuleIndex, f64>,
    /// Messages skipped because they name something the layout does not have.
    pub skipped: u64,
}

/// A position change longer than this is a jump (a picker seen again after a gap, a source
/// switching), not walking.
const MAX_STEP_M: f32 = 25.0;

impl Collector {
    /// A collector for `[from_s, to_s)` (site clock seconds since day 0's midnight).
    pub fn new(site: &Site, from_s: f64, to_s: f64) -> Self {
        let n = site.layout.controllers.len();
        Self {
            ops: Ops::new(OpsConfig::for_site(site)),
            feeder: LinkFeeder::default(),
            site: site.clone(),
            from_s,
            to_s,
            lines: Vec::new(),
            seen: HashSet::new(),
            mispicks: 0,
            last_mispicks: (f64::NAN, 0),
            downtime_s: vec![0.0; n],
            current: vec![None; n],
            incidents: Vec::new(),
            walked_m: vec![0.0; site.layout.pickers.len()],
            last_pos: vec![None; site.layout.pickers.len()],
            pickers: HashMap::new(),
            lit_at: HashMap::new(),
            skipped: 0,
        }
    }

    /// Whether the clock is inside the range.
    pub fn in_range(&self) -> bool {
        self.ops.started() && self.ops.now() >= self.from_s && self.ops.now() < self.to_s
    }

    /// Moves the clock to `clock_s` (recordings thin health reports: the clock between them
    /// comes from the recording's clock index), as the replay does.
    pub fn advance(&mut self, clock_s: f64, wall_ms: u64) {
        if clock_s > self.ops.now() {
            self.ops.advance(clock_s, wall_ms, self.feeder.counts());
        }
    }

    /// Applies one message at wall time `wall_ms`.
    pub fn feed(&mut self, msg: &LinkMessage, wall_ms: u64) {
        self.feeder.feed(&mut self.ops, msg, wall_ms);
        let now = self.ops.now();
        let k = self.ops.kpis();
        let (shift, seen) = self.last_mispicks;
        let before = if k.shift_start_s == shift { seen } else { 0 };
        if self.in_range() {
            self.mispicks += k.mispicks.saturating_sub(before);
        }
        self.last_mispicks = (k.shift_start_s, k.mispicks.max(before));
        match msg {
            LinkMessage::Line { line, .. } => self.line(line, now, wall_ms),
            LinkMessage::Module { module, reading }
                if twin_model::codes::ModuleState::from_register(reading.state)
                    == Some(twin_model::codes::ModuleState::Lit) =>
            {
                self.lit_at.entry(*module).or_insert(now);
            }
            LinkMessage::Order { order, .. }
                if usize::from(order.picker) < self.site.layout.pickers.len() && order.order_id != 0 =>
            {
                self.pickers.insert(order.order_id, order.picker);
            }
            LinkMessage::Picker { picker, reading } => {
                let (p, walking) = (usize::from(*picker), self.in_range());
                let Some(last) = self.last_pos.get_mut(p) else {
                    self.skipped += 1;
                    return;
                };
                let at = [f32::from(reading.x_cm) / 100.0, f32::from(reading.y_cm) / 100.0];
                if reading.stale {
                    *last = None;
                    return;
                }
                if let Some(prev) = *last
                    && walking
                {
                    let step = ((at[0] - prev[0]).powi(2) + (at[1] - prev[1]).powi(2)).sqrt();
                    if step <= MAX_STEP_M {
                        self.walked_m[p] += f64::from(step);
                    }
                }
                *last = Some(at);
            }
            LinkMessage::Health { controller, health } => {
                let c = usize::from(*controller);
                let Some(slot) = self.current.get_mut(c) else {
                    self.skipped += 1;
                    return;
                };
                let ok = health.is_fresh();
                let was_ok = slot.is_none_or(|(_, ok)| ok);
                if let Some((since, false)) = *slot {
                    self.downtime_s[c] += overlap(since, now, self.from_s, self.to_s);
                }
                *slot = Some((now, ok));
                if was_ok && !ok {
                    self.incidents.push(Incident {
                        controller: *controller,
                        started: (now, wall_ms),
                        ended: None,
                    });
                } else if !was_ok
                    && ok
                    && let Some(open) = self
                        .incidents
                        .iter_mut()
                        .rev()
                        .find(|i| i.controller == *controller && i.ended.is_none())
                {
                    open.ended = Some((now, wall_ms));
                }
            }
            _ => {}
        }
    }

    fn line(&mut self, line: &twin_link::OrderLine, now: f64, wall_ms: u64) {
        let status = LineStatus::from_code(line.status);
        if !matches!(status, Some(LineStatus::Done | LineStatus::Short)) || !self.in_range() {
            return;
        }
        if !self.seen.insert((line.order_id, line.line_id)) {
            return;
        }
        let module = if (line.module as usize) < self.site.modules.len() { line.module } else { NO_MODULE };
        let order = self.ops.orders.get(line.order_id);
        let zone = (module != NO_MODULE)
            .then(|| {
                let p = self.site.modules[module as usize].position;
                self.site.zone_at(p[0], p[1]).map(|z| z as u16)
            })
            .flatten()
            .or_else(|| order.map(|o| o.zone));
        self.lines.push(LineFact {
            order: line.order_id,
            line_id: line.line_id,
            module,
            zone,
            picker: order.and_then(|o| o.picker).or_else(|| self.pickers.get(&line.order_id).copied()),
            asked: line.quantity,
            confirmed: line.confirmed,
            short: status == Some(LineStatus::Short) || line.confirmed < line.quantity,
            done_s: now,
            lit_s: self.lit_at.remove(&module),
            done_ms: wall_ms,
        });
    }

    /// Ends the range at the clock reached: closes open downtime; lines whose order had no
    /// picker yet when they completed get the last picker their order was seen with.
    pub fn finish(&mut self) {
        for l in self.lines.iter_mut().filter(|l| l.picker.is_none()) {
            l.picker = self
                .pickers
                .get(&l.order)
                .copied()
                .or_else(|| self.ops.orders.get(l.order).and_then(|o| o.picker));
        }
        let now = self.ops.now().min(self.to_s);
        for (c, slot) in self.current.iter().enumerate() {
            if let Some((since, false)) = *slot {
                self.downtime_s[c] += overlap(since, now, self.from_s, self.to_s);
            }
        }
        self.ops.refresh();
    }

    /// Presses on unlit modules within the range.
    pub fn mispicks(&self) -> u32 {
        self.mispicks
    }

    /// The site.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// The range.
    pub fn range(&self) -> (f64, f64) {
        (self.from_s, self.to_s)
    }
}

/// Seconds of `[a, b)` inside `[from, to)`.
fn overlap(a: f64, b: f64, from: f64, to: f64) -> f64 {
    (b.min(to) - a.max(from)).max(0.0)
}
