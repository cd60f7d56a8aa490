//! The simulated floor: a WCS releasing orders and lighting modules through the register map,
//! and pickers walking the aisles, picking and pressing confirm.
//!
//! Time advances in fixed 100 ms steps of simulated time, and all randomness comes from one
//! seeded generator, so a seed gives the same event sequence at any `--speed` (speed only
//! changes how many steps run per real second). The WCS talks to the controllers only through
//! [`ControllerSim`]'s register reads and writes, as a host on the wire would.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, MutexGuard, PoisonError};

use twin_model::codes::{self, Mode, ModuleState, OrderStatus, PickerState};
use twin_model::layout::{StationKind, ZoneKind};
use twin_model::{ModuleIndex, Site};

use crate::controller::{Command, ControllerSim};
use crate::rng::Rng;
use crate::server::SharedController;

/// Simulated time per step.
pub const STEP_MS: u64 = 100;
const DAY_MS: u64 = 86_400_000;
/// Relative order release rate per hour from 06:00 to 22:00: a morning peak, a dip at shift
/// change, an afternoon peak.
const HOURLY_WEIGHTS: [f64; 16] =
    [0.6, 0.9, 1.2, 1.3, 1.3, 1.1, 0.9, 0.9, 1.1, 1.2, 1.2, 1.0, 0.9, 0.8, 0.7, 0.5];
const FIRST_HOUR: u64 = 6;

mod config;
mod pickers;
mod publish;
mod routing;
mod wcs;
mod wms;

pub use config::{SimConfig, SimEvent, TimedEvent};
pub use wms::{WmsWriter, civil_date};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineState {
    Waiting,
    Lit,
    Done,
}

#[derive(Debug, Clone)]
struct Line {
    module: ModuleIndex,
    quantity: u16,
    job: u32,
    state: LineState,
    /// Quantity the picker confirmed (once done).
    confirmed: u16,
}

#[derive(Debug, Clone)]
struct Order {
    id: u32,
    zone: u16,
    priority: u16,
    released_ms: u64,
    lines: Vec<Line>,
    picker: Option<usize>,
    status: OrderStatus,
    slot: Option<usize>,
    /// When its last line was confirmed (ground truth for the report's cycle times).
    done_ms: Option<u64>,
    /// Who took it: the WMS keeps it after the hand-over at packing clears `picker`.
    picked_by: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Task {
    Idle,
    Absent,
    Break { until_ms: u64 },
    ToLine { order: u32, line: usize },
    Picking { order: u32, line: usize, until_ms: u64 },
    Decide { order: u32 },
    ToStation { order: u32 },
    Packing { until_ms: u64 },
}

#[derive(Debug, Clone)]
struct Picker {
    zone: Option<u16>,
    station: Option<usize>,
    pos: [f32; 2],
    heading: f32,
    aisle: Option<usize>,
    path: VecDeque<[f32; 2]>,
    task: Task,
    /// Seconds of day: shift start, shift end; breaks as (start, minutes).
    shift: (u64, u64),
    breaks: [(u64, u64); 3],
}

#[derive(Debug, Clone)]
struct AisleGeo {
    along_x: bool,
    /// Centreline coordinate (y for along-x aisles, x for along-y).
    centre: f32,
    /// End points: west/south first, east/north second.
    ends: [[f32; 2]; 2],
}

#[derive(Debug, Clone, Default)]
struct ZonePick {
    /// Popular locations (≈20 % of modules, ≈80 % of picks), then the rest.
    fast: Vec<ModuleIndex>,
    slow: Vec<ModuleIndex>,
    weight: f64,
}

/// The whole simulated floor.
pub struct Engine {
    site: Arc<Site>,
    controllers: Vec<SharedController>,
    config: SimConfig,
    rng: Rng,
    now_ms: u64,
    next_arrival_ms: u64,
    next_order: u32,
    next_job: u32,
    orders: HashMap<u32, Order>,
    /// Pending order ids per zone, in release order.
    pending: Vec<Vec<u32>>,
    lit_by: HashMap<ModuleIndex, (u32, usize)>,
    sequence: Vec<u16>,
    pickers: Vec<Picker>,
    aisles: Vec<AisleGeo>,
    /// Rack footprints: walking paths must not cross them.
    obstacles: Vec<twin_model::layout::Rect>,
    module_aisle: Vec<u32>,
    zones: Vec<ZonePick>,
    board: Vec<Option<u32>>,
    board_free_at: VecDeque<(u64, u32)>,
    events: Vec<TimedEvent>,
    board_full_warned: bool,
    /// Orders the WMS held back because the backlog was full (`SimConfig::max_backlog`).
    held_back: u64,
    /// The simulated WMS database, when the layout's orders come from one.
    wms: Option<WmsWriter>,
    /// Orders changed this step, for the WMS.
    wms_dirty: std::collections::BTreeSet<u32>,
}

fn lock(c: &SharedController) -> MutexGuard<'_, ControllerSim> {
    c.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Engine {
    /// A simulation of `site` driving `controllers` (one per layout controller, in order).
    pub fn new(site: Arc<Site>, controllers: Vec<SharedController>, config: SimConfig) -> Self {
        let mut rng = Rng::new(config.seed);
        let layout = &site.layout;
        let aisles: Vec<AisleGeo> = layout
            .aisles
            .iter()
            .map(|a| {
                let r = a.area;
                let along_x = r.width >= r.depth;
                if along_x {
                    let cy = r.y + r.depth / 2.0;
                    AisleGeo { along_x, centre: cy, ends: [[r.x + 0.3, cy], [r.max_x() - 0.3, cy]] }
                } else {
                    let cx = r.x + r.width / 2.0;
                    AisleGeo { along_x, centre: cx, ends: [[cx, r.y + 0.3], [cx, r.max_y() - 0.3]] }
                }
            })
            .collect();
        let aisle_index: HashMap<&str, u32> =
            layout.aisles.iter().enumerate().map(|(i, a)| (a.name.as_str(), i as u32)).collect();
        let rack_aisle: Vec<u32> =
            layout.racks.iter().map(|r| aisle_index.get(r.aisle.as_str()).copied().unwrap_or(0)).collect();
        let module_aisle: Vec<u32> = site.modules.iter().map(|m| rack_aisle[m.rack as usize]).collect();

        // Locations per zone, shuffled once so "popular" is spread over the zone's racks.
        let mut zones = vec![ZonePick::default(); layout.zones.len()];
        for (i, m) in site.modules.iter().enumerate() {
            let z = usize::from(site.rack_zone[m.rack as usize]);
            zones[z].slow.push(i as ModuleIndex);
        }
        for (z, zp) in zones.iter_mut().enumerate() {
            let all = &mut zp.slow;
            for i in (1..all.len()).rev() {
                let j = rng.below(i + 1);
                all.swap(i, j);
            }
            let fast = all.len().div_ceil(5);
            zp.fast = all.drain(..fast).collect();
            let boost = if layout.zones[z].kind == ZoneKind::FastMover { 3.0 } else { 1.0 };
            zp.weight = (zp.fast.len() + zp.slow.len()) as f64 * boost;
        }

        let pack: Vec<usize> = layout
            .stations
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == StationKind::Pack)
            .map(|(i, _)| i)
            .collect();
        let pickers = layout
            .pickers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let zone = site.zone_index(&p.home_zone).map(|z| z as u16);
                let station = (!pack.is_empty()).then(|| pack[i % pack.len()]);
                let pos = station.map_or([1.0, 1.0], |s| layout.stations[s].area.centre());
                // Early and late shifts alternate; breaks staggered by a few minutes.
                let start = if i % 2 == 0 { 6 * 3600 } else { 14 * 3600 };
                let stagger = (i as u64 % 6) * 300;
                Picker {
                    zone,
                    station,
                    pos,
                    heading: 0.0,
                    aisle: None,
                    path: VecDeque::new(),
                    task: Task::Absent,
                    shift: (start, start + 8 * 3600),
                    breaks: [
                        (start + 2 * 3600 + stagger, 15),
                        (start + 4 * 3600 + stagger, 30),
                        (start + 6 * 3600 + stagger, 15),
                    ],
                }
            })
            .collect();
        let obstacles = layout.racks.iter().map(|r| r.footprint()).collect();
        let board_len =
            site.controller_map(0).and_then(|m| m.orders.as_ref()).map_or(0, |o| usize::from(o.max));
        let published =
            site.controller_map(0).and_then(|m| m.pickers.as_ref()).map_or(0, |p| usize::from(p.max));
        if published == 0 {
            // A map without a picker block (real controllers have none): nothing to publish.
            tracing::info!(
                "the first controller's map has no picker block: pickers are simulated, not published"
            );
        } else if layout.pickers.len() > published {
            tracing::warn!(
                "{} pickers on the roster, but the first controller's map publishes {published}: \
                 the rest are simulated without a picker block",
                layout.pickers.len()
            );
        }
        let mut engine = Self {
            sequence: vec![0; site.modules.len()],
            pending: vec![Vec::new(); layout.zones.len()],
            site,
            controllers,
            rng,
            now_ms: config.start_ms,
            next_arrival_ms: 0,
            next_order: 1,
            next_job: 1,
            orders: HashMap::new(),
            lit_by: HashMap::new(),
            pickers,
            aisles,
            obstacles,
            module_aisle,
            zones,
            board: vec![None; board_len],
            board_free_at: VecDeque::new(),
            events: Vec::new(),
            board_full_warned: false,
            held_back: 0,
            wms: None,
            wms_dirty: std::collections::BTreeSet::new(),
            config,
        };
        engine.next_arrival_ms = engine.draw_arrival(engine.now_ms);
        engine.publish_pickers();
        engine
    }

    /// Simulated time, milliseconds since midnight of day 0.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Orders the WMS held back so far because the backlog was full (`SimConfig::max_backlog`).
    pub fn held_back(&self) -> u64 {
        self.held_back
    }

    /// Takes the events recorded since the last call.
    pub fn drain_events(&mut self) -> Vec<TimedEvent> {
        std::mem::take(&mut self.events)
    }

    /// Positions of every picker (plan metres), for tests and the embedded view.
    pub fn picker_positions(&self) -> Vec<[f32; 2]> {
        self.pickers.iter().map(|p| p.pos).collect()
    }

    /// Orders released and not yet removed from the board.
    pub fn open_orders(&self) -> usize {
        self.orders.len()
    }

    fn emit(&mut self, event: SimEvent) {
        self.events.push(TimedEvent { at_ms: self.now_ms, event });
    }

    /// Release rate (orders per ms) at a time of day.
    fn rate_at(&self, at_ms: u64) -> f64 {
        let hour = (at_ms % DAY_MS) / 3_600_000;
        let Some(&w) = hour.checked_sub(FIRST_HOUR).and_then(|h| HOURLY_WEIGHTS.get(h as usize)) else {
            return 0.0;
        };
        let total: f64 = HOURLY_WEIGHTS.iter().sum();
        self.config.orders_per_day * w / total / 3_600_000.0
    }

    /// Next arrival after `from` by thinning a Poisson process at the peak rate.
    fn draw_arrival(&mut self, from: u64) -> u64 {
        let peak = HOURLY_WEIGHTS.iter().copied().fold(0.0, f64::max);
        let total: f64 = HOURLY_WEIGHTS.iter().sum();
        let max_rate = self.config.orders_per_day * peak / total / 3_600_000.0;
        if max_rate <= 0.0 {
            return u64::MAX;
        }
        let mut t = from as f64;
        for _ in 0..100_000 {
            t += self.rng.exponential(1.0 / max_rate);
            let at = t as u64;
            if self.rng.unit() * max_rate < self.rate_at(at) {
                return at;
            }
        }
        u64::MAX
    }

    /// Advances one step of simulated time.
    pub fn step(&mut self) {
        self.now_ms += STEP_MS;
        while self.next_arrival_ms <= self.now_ms {
            self.release_order();
            self.next_arrival_ms = self.draw_arrival(self.next_arrival_ms);
        }
        self.update_shifts();
        self.assign_orders();
        self.move_pickers();
        self.process_latches();
        self.cleanup_board();
        self.publish_pickers();
        self.flush_wms();
    }

    /// Writes this step's order changes into the WMS database (one transaction).
    fn flush_wms(&mut self) {
        if self.wms_dirty.is_empty() {
            return;
        }
        let Some(wms) = self.wms.as_mut() else {
            self.wms_dirty.clear();
            return;
        };
        let dirty = std::mem::take(&mut self.wms_dirty);
        let orders: Vec<&Order> = dirty.iter().filter_map(|id| self.orders.get(id)).collect();
        if let Err(e) = wms.write(&self.site, &orders) {
            tracing::error!("simulated WMS: {e}");
        }
    }

    /// Writes orders into the SQLite WMS database at `path` from now on (the reference
    /// schema, docs/sources.md), as a site's WMS fills its tables.
    pub fn write_wms(&mut self, path: &std::path::Path, anchor_day: i64) -> Result<(), String> {
        self.wms = Some(WmsWriter::create(path, anchor_day, &self.site)?);
        Ok(())
    }

    /// Modules lit now.
    pub fn lit_modules(&self) -> usize {
        self.lit_by.len()
    }

    /// Steps until the clock reaches `at_ms`.
    pub fn advance_to(&mut self, at_ms: u64) {
        while self.now_ms + STEP_MS <= at_ms {
            self.step();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_rate_follows_the_day_profile() {
        let site =
            Arc::new(Site::from_ron(include_str!("../../../../layouts/demo.ron"), "demo.ron").unwrap());
        let controllers = crate::controllers_for(&site);
        let engine = Engine::new(site, controllers, SimConfig::default());
        assert_eq!(engine.rate_at(3 * 3_600_000), 0.0, "night");
        let per_day: f64 = (0..24).map(|h| engine.rate_at(h * 3_600_000 + 1) * 3_600_000.0).sum();
        assert!((per_day - 1200.0).abs() < 1e-6, "{per_day}");
    }
}
