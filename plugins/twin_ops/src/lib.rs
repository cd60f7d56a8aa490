//! What the overlay shows, computed without any UI or ECS: the order book and queue view, the
//! shift's KPIs, the alarm log and the recent picks. The overlay's Bevy side feeds [`Ops`] with
//! what the link reports; a replay ([`LinkFeeder`]) and the gateway's Sparkplug edge node feed it
//! the same way, so the KPIs a SCADA system receives are the ones the overlay shows. Times are controller-clock seconds (they
//! follow the simulator's `--speed`), so rates are per simulated hour.

pub mod alarms;
pub mod feed;
pub mod fresh;
pub mod heat;
pub mod kpi;
mod link_health;
pub mod orders;
mod sources;
pub mod zones;

use std::collections::{HashMap, VecDeque};

use twin_link::{ConnectionState, ControllerHealth, ModuleReading, OrderSlot};
use twin_model::ModuleIndex;
use twin_model::codes::{ModuleState, fault};

pub use alarms::{Alarm, AlarmKind, AlarmLog, Place, Severity};
pub use feed::LinkFeeder;
pub use fresh::{FeedAge, Freshness, Judge, freshness, is_current, is_stale};
pub use heat::{HeatWindow, heat_counts, heat_levels};
pub use kpi::{KpiConfig, KpiPoint, KpiSnapshot, KpiTracker, PickerCounts, PickerRate};
pub use link_health::missing_names;
pub use orders::{OrderBook, OrderRecord, QueueView, SortKey};
pub use sources::{SourceView, Sources};

/// Overlay settings.
#[derive(Debug, Clone, PartialEq)]
pub struct OpsConfig {
    /// A module lit longer than this (clock seconds) raises a stuck-light alarm.
    pub stuck_light_s: f64,
    /// KPI settings.
    pub kpi: KpiConfig,
    /// Most orders kept in the book.
    pub max_orders: usize,
    /// Most alarms kept.
    pub max_alarms: usize,
    /// Most picks kept for the inspector's history.
    pub max_picks: usize,
    /// The site's declared order and picker sources.
    pub sources: twin_model::sources::Sources,
}

impl Default for OpsConfig {
    fn default() -> Self {
        Self {
            stuck_light_s: 900.0,
            kpi: KpiConfig::default(),
            max_orders: 20_000,
            max_alarms: 2_000,
            max_picks: 20_000,
            sources: twin_model::sources::Sources::default(),
        }
    }
}

impl OpsConfig {
    /// The defaults with the site's shift calendar.
    pub fn for_site(site: &twin_model::Site) -> Self {
        let mut c = Self::default();
        c.kpi.shifts = site.shifts.clone();
        c.sources = site.layout.sources.clone();
        c
    }
}

/// One confirmed line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PickRecord {
    /// Clock time of the confirmation.
    pub at_s: f64,
    /// Module.
    pub module: ModuleIndex,
    /// Order whose job it was, if known.
    pub order: Option<u32>,
    /// That order's picker.
    pub picker: Option<u16>,
    /// Quantity asked.
    pub asked: u16,
    /// Quantity confirmed.
    pub picked: u16,
    /// Seconds from lighting to confirmation, if the twin saw it light.
    pub line_s: Option<f64>,
    /// The article picked, when the order source names its lines.
    pub sku: Option<twin_link::LocationText>,
}

#[derive(Debug, Clone, Copy, Default)]
struct ModuleSeen {
    fault: u16,
    presses: u16,
    /// A reading of this module arrived before (the first one shows what happened before the
    /// twin was watching).
    known: bool,
}

#[derive(Debug, Clone, Copy)]
struct Lit {
    since: f64,
    job: u32,
    quantity: u16,
    presses: u16,
    stuck: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct ControllerSeen {
    connection: ConnectionState,
    stale: bool,
    frozen: bool,
    missing_blocks: u16,
    watchdog: bool,
}

/// The overlay's model.
#[derive(Debug, Clone)]
pub struct Ops {
    config: OpsConfig,
    /// Every order seen.
    pub orders: OrderBook,
    /// Alarms.
    pub alarms: AlarmLog,
    kpis: KpiTracker,
    snapshot: KpiSnapshot,
    picks: VecDeque<PickRecord>,
    modules: Vec<ModuleSeen>,
    lit: HashMap<ModuleIndex, Lit>,
    controllers: Vec<ControllerSeen>,
    /// The order and picker sources as last reported.
    pub sources: Sources,
    now: f64,
    wall_ms: u64,
    last_scan: f64,
    started: bool,
}

impl Ops {
    /// An empty model.
    pub fn new(config: OpsConfig) -> Self {
        Self {
            orders: OrderBook::with_capacity(config.max_orders),
            alarms: AlarmLog::with_capacity(config.max_alarms),
            kpis: KpiTracker::new(config.kpi.clone()),
            snapshot: KpiSnapshot::default(),
            picks: VecDeque::new(),
            modules: Vec::new(),
            lit: HashMap::new(),
            controllers: Vec::new(),
            sources: Sources::declared(&config.sources),
            now: 0.0,
            wall_ms: 0,
            last_scan: f64::NEG_INFINITY,
            started: false,
            config,
        }
    }

    /// Settings.
    pub fn config(&self) -> &OpsConfig {
        &self.config
    }

    /// Clock time now (seconds).
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Whether the clock has been set at least once.
    pub fn started(&self) -> bool {
        self.started
    }

    /// KPIs as of the last clock second.
    pub fn kpis(&self) -> &KpiSnapshot {
        &self.snapshot
    }

    /// The shift's KPI series.
    pub fn series(&self) -> &[KpiPoint] {
        self.kpis.series()
    }

    /// Recent picks, newest first.
    pub fn picks(&self) -> impl Iterator<Item = &PickRecord> {
        self.picks.iter().rev()
    }

    /// Modules lit now with their clock time of lighting.
    pub fn lit_modules(&self) -> impl Iterator<Item = (ModuleIndex, f64)> + '_ {
        self.lit.iter().map(|(&m, l)| (m, l.since))
    }

    /// When a module lit, if it is lit.
    pub fn lit_since(&self, module: ModuleIndex) -> Option<f64> {
        self.lit.get(&module).map(|l| l.since)
    }

    /// Modules lit now for an order's lines, sorted.
    pub fn order_modules(&self, id: u32) -> Vec<ModuleIndex> {
        let Some(order) = self.orders.get(id) else { return Vec::new() };
        let mut out: Vec<ModuleIndex> = self
            .lit
            .iter()
            .filter(|&(&m, l)| order.has_job(l.job) || (order.first_job == 0 && order.has_module(m)))
            .map(|(&m, _)| m)
            .collect();
        out.sort_unstable();
        out
    }

    /// Moves the clock (controller seconds; never backwards) and the wall clock, with the
    /// pickers' counts as they are now. Once per clock second it looks for stuck lights and
    /// recomputes the KPIs.
    pub fn advance(&mut self, now: f64, wall_ms: u64, counts: PickerCounts) {
        self.started = true;
        self.now = self.now.max(now);
        self.wall_ms = wall_ms;
        self.kpis.advance(self.now, counts, &self.orders);
        if self.now - self.last_scan >= 1.0 {
            self.last_scan = self.now;
            self.scan_stuck_lights();
            self.check_sources();
            self.snapshot = self.kpis.snapshot(&self.orders);
        }
    }

    /// Recomputes the KPI snapshot now (tests, and after a burst of changes).
    pub fn refresh(&mut self) {
        self.snapshot = self.kpis.snapshot(&self.orders);
    }

    fn scan_stuck_lights(&mut self) {
        let limit = self.config.stuck_light_s;
        let now = self.now;
        for (&m, l) in &mut self.lit {
            if !l.stuck && now - l.since > limit {
                l.stuck = true;
                let detail = format!("lit for {} min", ((now - l.since) / 60.0).floor());
                self.alarms.raise(AlarmKind::StuckLight, Place::Module(m), detail, now, self.wall_ms);
            }
        }
    }

    /// An order-board slot changed: completions and lines done count here (the board is state,
    /// so nothing is missed between polls), lines credited to the order's picker.
    pub fn order_slot(&mut self, slot: u16, s: &OrderSlot) {
        let change = self.orders.apply_slot(slot, s, self.now);
        if change.lines > 0 {
            let picker = self.orders.get(s.order_id).and_then(|o| o.picker);
            self.kpis.lines(change.lines, picker);
        }
        if change.completed.is_some() {
            self.kpis.order_done();
        }
    }

    /// A module's reading changed.
    ///
    /// A line is picked when its module leaves the lit state after a button press (the press
    /// counter moved): that works at any poll rate, even when the confirmed state itself fell
    /// between two polls. Its time is from lighting to then, at poll resolution.
    pub fn module(&mut self, m: ModuleIndex, r: &ModuleReading) {
        let i = m as usize;
        if i >= self.modules.len() {
            self.modules.resize(i + 1, ModuleSeen::default());
        }
        let seen = self.modules[i];
        self.modules[i] = ModuleSeen { fault: r.fault, presses: r.press_count, known: true };
        let lit = ModuleState::Lit as u16;
        let relit = self.lit.get(&m).is_some_and(|l| l.job != r.job);
        if (r.state != lit || relit)
            && let Some(l) = self.lit.remove(&m)
        {
            if l.stuck {
                self.alarms.clear(AlarmKind::StuckLight, Place::Module(m), self.now);
            }
            if r.press_count != l.presses {
                self.line_picked(m, &l, r);
            }
        }
        if r.state == lit && !self.lit.contains_key(&m) {
            let l = Lit {
                since: self.now,
                job: r.job,
                quantity: r.quantity,
                presses: r.press_count,
                stuck: false,
            };
            self.lit.insert(m, l);
        }
        // A press on an unlit module: the fault code appears, or it was there and another press
        // counted.
        if r.fault == fault::UNEXPECTED_PRESS && (seen.fault != r.fault || seen.presses != r.press_count) {
            // A fault already standing when the twin first saw the module is shown, but it is
            // not a mis-pick of the shift being watched.
            let detail = if seen.known {
                self.kpis.mispick();
                "button pressed while not lit"
            } else {
                "button pressed while not lit (before the twin was watching)"
            };
            self.alarms.raise(AlarmKind::MisPick, Place::Module(m), detail.into(), self.now, self.wall_ms);
        }
    }

    /// A lit module was confirmed: one pick, its time, a shortage alarm if short.
    fn line_picked(&mut self, m: ModuleIndex, l: &Lit, r: &ModuleReading) {
        let confirmed_state =
            r.state == ModuleState::Confirmed as u16 || r.state == ModuleState::Shortage as u16;
        let short = r.state == ModuleState::Shortage as u16;
        // The confirmed quantity is only known while the module shows it.
        let picked = if confirmed_state { r.confirmed_quantity } else { l.quantity };
        let order = self.orders.order_for_lit(m, l.job);
        let sku = order.and_then(|o| o.sku_at(m));
        let (order, picker) = (order.map(|o| o.id), order.and_then(|o| o.picker));
        let line_s = self.now - l.since;
        self.kpis.line_time(line_s, short);
        // Without an order source the button presses are the only record of lines picked.
        if self.sources.orders == SourceView::NotConfigured {
            self.kpis.lines(1, picker);
        }
        if short {
            self.alarms.raise(
                AlarmKind::Shortage,
                Place::Module(m),
                format!("picked {picked} of {}", l.quantity),
                self.now,
                self.wall_ms,
            );
        }
        let pick = PickRecord {
            at_s: self.now,
            module: m,
            order,
            picker,
            asked: l.quantity,
            picked,
            line_s: Some(line_s),
            sku,
        };
        self.picks.push_back(pick);
        while self.picks.len() > self.config.max_picks {
            self.picks.pop_front();
        }
    }
}

#[cfg(test)]
mod tests;
