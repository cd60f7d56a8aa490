//! The simulated floor: a WCS releasing orders and lighting modules through the register map,
//! and pickers walking the aisles, picking and pressing confirm.
//!
//! Time advances in fixed 100 ms steps of simulated time, and all randomness comes from one
//! seeded generator, so a seed gives the same event sequence at any `--speed` (speed only
//! changes how many steps run per real second). The WCS talks to the controllers only through
//! [`ControllerSim`]'s register reads and writes, as a host on the wire would.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, MutexGuard, PoisonError};

use twin_model::codes::{self, Blink, Mode, ModuleState, OrderStatus, PickerState};
use twin_model::layout::{StationKind, ZoneKind};
use twin_model::{ModuleIndex, Site};

use crate::controller::{ControllerSim, MAX_WRITE_REGISTERS};
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

/// What the simulation does, all of it reproducible from `seed`.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Orders released per day (06:00–22:00). 30,000 a month over ~25 working days ≈ 1,200.
    pub orders_per_day: f64,
    /// Clock at the start, milliseconds since midnight of day 0.
    pub start_ms: u64,
    /// Share of orders for the cold-chain zone.
    pub cold_share: f64,
    /// Share of orders for the secure (controlled drugs) zone.
    pub secure_share: f64,
    /// Share of express orders (priority 1).
    pub express_share: f64,
    /// Share of emergency orders (priority 2, e.g. hospitals).
    pub emergency_share: f64,
    /// Chance a line is picked short.
    pub shortage_rate: f64,
    /// Chance a picker first presses a wrong module.
    pub mispick_rate: f64,
    /// Walking speed in m/s.
    pub walk_speed: f32,
    /// Time to pick one line, seconds (uniform).
    pub pick_s: (f64, f64),
    /// Time to hand over or pack an order at a station, seconds (uniform).
    pub pack_s: (f64, f64),
    /// How long a done order stays on the order board, seconds.
    pub board_keep_s: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            orders_per_day: 1200.0,
            start_ms: 6 * 3_600_000,
            cold_share: 0.15,
            secure_share: 0.03,
            express_share: 0.10,
            emergency_share: 0.01,
            shortage_rate: 0.01,
            mispick_rate: 0.005,
            walk_speed: 1.2,
            pick_s: (4.0, 10.0),
            pack_s: (20.0, 60.0),
            board_keep_s: 900,
        }
    }
}

/// Something that happened on the simulated floor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimEvent {
    /// The WCS released an order.
    OrderReleased {
        /// Order id.
        order: u32,
        /// Zone index.
        zone: u16,
        /// Number of lines.
        lines: u16,
        /// 0 normal, 1 express, 2 emergency.
        priority: u16,
    },
    /// A picker took an order.
    OrderAssigned {
        /// Order id.
        order: u32,
        /// Picker index.
        picker: u16,
    },
    /// The WCS lit a module for a line.
    LineLit {
        /// Order id.
        order: u32,
        /// Module id.
        module: u32,
        /// Quantity shown.
        quantity: u16,
    },
    /// The WCS saw a line confirmed (confirm or shortage latch) and acknowledged it.
    LineDone {
        /// Order id.
        order: u32,
        /// Module id.
        module: u32,
        /// Quantity asked.
        asked: u16,
        /// Quantity confirmed (less than asked: short pick).
        picked: u16,
    },
    /// A picker pressed a module that was not lit for them.
    MisPick {
        /// Picker index.
        picker: u16,
        /// Module id pressed.
        module: u32,
    },
    /// All lines of an order are done.
    OrderPicked {
        /// Order id.
        order: u32,
    },
    /// A picker changed between working, break and off shift.
    PickerShift {
        /// Picker index.
        picker: u16,
        /// New state (Idle when back at work).
        state: PickerState,
    },
}

/// An event with its simulated time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedEvent {
    /// Milliseconds since midnight of day 0.
    pub at_ms: u64,
    /// What happened.
    pub event: SimEvent,
}

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
                let pos = station.map_or([1.0, 1.0], |s| {
                    let a = layout.stations[s].area;
                    [a.x + a.width / 2.0, a.y + a.depth / 2.0]
                });
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
        let board_len = site.controller_map(0).map_or(0, |m| usize::from(m.orders.max));
        let published = site.controller_map(0).map_or(0, |m| usize::from(m.pickers.max));
        if layout.pickers.len() > published {
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
    }

    /// Steps until the clock reaches `at_ms`.
    pub fn advance_to(&mut self, at_ms: u64) {
        while self.now_ms + STEP_MS <= at_ms {
            self.step();
        }
    }

    fn choose_zone(&mut self) -> Option<u16> {
        let layout = &self.site.layout;
        let has = |z: usize, zones: &[ZonePick]| !zones[z].fast.is_empty();
        let of_kind = |kind: ZoneKind| {
            layout
                .zones
                .iter()
                .enumerate()
                .filter(|&(z, zone)| zone.kind == kind && has(z, &self.zones))
                .map(|(z, _)| z)
                .next()
        };
        let roll = self.rng.unit();
        if roll < self.config.cold_share
            && let Some(z) = of_kind(ZoneKind::ColdChain)
        {
            return Some(z as u16);
        }
        if roll < self.config.cold_share + self.config.secure_share
            && let Some(z) = of_kind(ZoneKind::Secure)
        {
            return Some(z as u16);
        }
        let candidates: Vec<(usize, f64)> = layout
            .zones
            .iter()
            .enumerate()
            .filter(|&(z, zone)| {
                has(z, &self.zones) && !matches!(zone.kind, ZoneKind::ColdChain | ZoneKind::Secure)
            })
            .map(|(z, _)| (z, self.zones[z].weight))
            .collect();
        let total: f64 = candidates.iter().map(|c| c.1).sum();
        let mut x = self.rng.unit() * total;
        for (z, w) in &candidates {
            if x < *w {
                return Some(*z as u16);
            }
            x -= w;
        }
        candidates.last().map(|c| c.0 as u16).or_else(|| of_kind(ZoneKind::ColdChain).map(|z| z as u16))
    }

    fn release_order(&mut self) {
        let Some(zone) = self.choose_zone() else { return };
        // 1–12 lines, most orders short: P(n) ∝ 0.72^(n-1).
        let mut lines_n = 1;
        while lines_n < 12 && self.rng.chance(0.72) {
            lines_n += 1;
        }
        let priority = {
            let r = self.rng.unit();
            if r < self.config.emergency_share {
                2
            } else if r < self.config.emergency_share + self.config.express_share {
                1
            } else {
                0
            }
        };
        let mut lines: Vec<Line> = Vec::with_capacity(lines_n);
        for _ in 0..lines_n {
            for _attempt in 0..10 {
                let zp = &self.zones[usize::from(zone)];
                let from_fast = self.rng.chance(0.8) || zp.slow.is_empty();
                let list = if from_fast { &zp.fast } else { &zp.slow };
                let module = list[self.rng.below(list.len())];
                if lines.iter().all(|l| l.module != module) {
                    let mut quantity = 1;
                    while quantity < 12 && self.rng.chance(0.45) {
                        quantity += 1;
                    }
                    lines.push(Line { module, quantity, job: self.next_job, state: LineState::Waiting });
                    self.next_job = self.next_job.wrapping_add(1);
                    break;
                }
            }
        }
        // Walk order: aisle by aisle, along each aisle.
        let key = |l: &Line, s: &Self| {
            let m = &s.site.modules[l.module as usize];
            let a = s.module_aisle[l.module as usize];
            let along = if s.aisles.get(a as usize).is_none_or(|g| g.along_x) {
                m.position[0]
            } else {
                m.position[1]
            };
            (a, (along * 100.0) as i64)
        };
        lines.sort_by_key(|l| key(l, self));
        let id = self.next_order;
        self.next_order = self.next_order.wrapping_add(1);
        let slot = self.board.iter().position(Option::is_none);
        if let Some(s) = slot {
            self.board[s] = Some(id);
        } else if !self.board_full_warned {
            self.board_full_warned = true;
            tracing::warn!("order board full: new orders are simulated but not published");
        }
        let n = lines.len() as u16;
        self.orders.insert(
            id,
            Order {
                id,
                zone,
                priority,
                released_ms: self.now_ms,
                lines,
                picker: None,
                status: OrderStatus::Pending,
                slot,
            },
        );
        self.pending[usize::from(zone)].push(id);
        self.publish_order(id);
        self.emit(SimEvent::OrderReleased { order: id, zone, lines: n, priority });
    }

    fn update_shifts(&mut self) {
        let day_s = (self.now_ms % DAY_MS) / 1000;
        for i in 0..self.pickers.len() {
            let p = &self.pickers[i];
            let on_shift = (p.shift.0..p.shift.1).contains(&day_s);
            let on_break =
                p.breaks.iter().find(|(start, min)| (*start..start + min * 60).contains(&day_s)).copied();
            let next = match p.task {
                Task::Absent if on_shift && on_break.is_none() => Some(Task::Idle),
                Task::Idle if !on_shift => Some(Task::Absent),
                Task::Idle => on_break.map(|(start, min)| Task::Break {
                    until_ms: self.now_ms + (start + min * 60 - day_s) * 1000,
                }),
                Task::Break { until_ms } if self.now_ms >= until_ms => Some(Task::Idle),
                _ => None,
            };
            if let Some(task) = next {
                self.pickers[i].task = task;
                let state = match task {
                    Task::Absent => PickerState::Absent,
                    Task::Break { .. } => PickerState::Break,
                    _ => PickerState::Idle,
                };
                self.emit(SimEvent::PickerShift { picker: i as u16, state });
            }
        }
    }

    fn assign_orders(&mut self) {
        for i in 0..self.pickers.len() {
            if self.pickers[i].task != Task::Idle {
                continue;
            }
            let Some(zone) = self.pickers[i].zone else { continue };
            let queue = &self.pending[usize::from(zone)];
            // Highest priority first, then oldest.
            let best = queue
                .iter()
                .enumerate()
                .max_by_key(|&(k, id)| (self.orders.get(id).map_or(0, |o| o.priority), std::cmp::Reverse(k)))
                .map(|(k, &id)| (k, id));
            let Some((k, id)) = best else { continue };
            self.pending[usize::from(zone)].remove(k);
            if let Some(o) = self.orders.get_mut(&id) {
                o.picker = Some(i);
                o.status = OrderStatus::Active;
            }
            self.pickers[i].task = Task::Decide { order: id };
            self.emit(SimEvent::OrderAssigned { order: id, picker: i as u16 });
            self.light_lines(id);
            self.publish_order(id);
        }
        // Lines waiting for a module another order holds.
        let waiting: Vec<u32> = self
            .orders
            .values()
            .filter(|o| {
                o.status == OrderStatus::Active && o.lines.iter().any(|l| l.state == LineState::Waiting)
            })
            .map(|o| o.id)
            .collect();
        let mut waiting = waiting;
        waiting.sort_unstable();
        for id in waiting {
            self.light_lines(id);
        }
    }

    /// Lights every waiting line of an order whose module is free.
    fn light_lines(&mut self, id: u32) {
        let Some(order) = self.orders.get(&id) else { return };
        let colour = order.picker.map_or(0, |p| (p % codes::COLOURS.len()) as u16);
        let todo: Vec<(usize, ModuleIndex, u16, u32)> = order
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.state == LineState::Waiting && !self.lit_by.contains_key(&l.module))
            .map(|(k, l)| (k, l.module, l.quantity, l.job))
            .collect();
        for (k, module, quantity, job) in todo {
            self.command(module, Mode::Pick, quantity, colour, job);
            self.lit_by.insert(module, (id, k));
            if let Some(o) = self.orders.get_mut(&id) {
                o.lines[k].state = LineState::Lit;
            }
            let module_id = self.site.modules[module as usize].id.0;
            self.emit(SimEvent::LineLit { order: id, module: module_id, quantity });
        }
    }

    /// Writes a module's whole command block with a new sequence number, as a host does.
    fn command(&mut self, module: ModuleIndex, mode: Mode, quantity: u16, colour: u16, job: u32) {
        let m = &self.site.modules[module as usize];
        let Some(map) = self.site.controller_map(usize::from(m.controller)) else { return };
        let b = &map.module_commands;
        let mut block = vec![0u16; usize::from(b.stride)];
        let seq = &mut self.sequence[module as usize];
        *seq = seq.wrapping_add(1);
        block[usize::from(b.mode)] = mode as u16;
        block[usize::from(b.quantity)] = if mode == Mode::Off { codes::QUANTITY_BLANK } else { quantity };
        let loc = usize::from(b.location);
        codes::text_to_registers(&m.location, &mut block[loc..loc + usize::from(b.location_len)]);
        block[usize::from(b.colour)] = colour;
        block[usize::from(b.blink)] = Blink::Steady as u16;
        block[usize::from(b.blink_period_ms)] = 0;
        let [hi, lo] = codes::u32_to_registers(job);
        block[usize::from(b.job_id)] = hi;
        block[usize::from(b.job_id) + 1] = lo;
        block[usize::from(b.sequence)] = *seq;
        let start = map.command_register(m.address, 0);
        let controller = &self.controllers[usize::from(m.controller)];
        if let Err(e) = lock(controller).write_registers(start as u16, &block, MAX_WRITE_REGISTERS) {
            tracing::error!(module = m.id.0, ?e, "simulated WCS could not write a module command");
        }
    }

    /// Path from the picker's position to `to` (in aisle `to_aisle`, or free floor): along
    /// aisle centrelines to an aisle end, then across the floor on the shortest of a few
    /// straight or L-shaped connections that cross no rack.
    fn route(
        &self,
        from: [f32; 2],
        from_aisle: Option<usize>,
        to: [f32; 2],
        to_aisle: Option<usize>,
    ) -> Vec<[f32; 2]> {
        if from_aisle.is_some() && from_aisle == to_aisle {
            return vec![to];
        }
        // Exits: the aisle's ends, or the point itself on free floor.
        let exits = |p: [f32; 2], aisle: Option<usize>| -> Vec<[f32; 2]> {
            aisle.and_then(|a| self.aisles.get(a)).map_or(vec![p], |g| g.ends.to_vec())
        };
        let mut best: Option<(bool, f32, Vec<[f32; 2]>)> = None;
        for ea in exits(from, from_aisle) {
            for eb in exits(to, to_aisle) {
                for corner in [None, Some([eb[0], ea[1]]), Some([ea[0], eb[1]])] {
                    let mut path = Vec::with_capacity(5);
                    for p in [Some(ea), corner, Some(eb), Some(to)].into_iter().flatten() {
                        if path.last() != Some(&p) {
                            path.push(p);
                        }
                    }
                    let mut clear = true;
                    let mut length = 0.0;
                    let mut at = from;
                    for &p in &path {
                        length += (p[0] - at[0]).abs() + (p[1] - at[1]).abs();
                        clear &= self.obstacles.iter().all(|r| !segment_crosses(at, p, r));
                        at = p;
                    }
                    let better = match &best {
                        None => true,
                        Some((c, l, _)) => (clear, -length) > (*c, -*l),
                    };
                    if better {
                        best = Some((clear, length, path));
                    }
                }
            }
        }
        best.map_or_else(|| vec![to], |(_, _, path)| path)
    }

    /// Where a picker stands to pick from a module: on its aisle's centreline, opposite it.
    fn stand_point(&self, module: ModuleIndex) -> ([f32; 2], Option<usize>) {
        let m = &self.site.modules[module as usize];
        let a = self.module_aisle[module as usize] as usize;
        match self.aisles.get(a) {
            Some(g) if g.along_x => ([m.position[0], g.centre], Some(a)),
            Some(g) => ([g.centre, m.position[1]], Some(a)),
            None => ([m.position[0], m.position[1]], None),
        }
    }

    fn station_point(&self, picker: usize) -> [f32; 2] {
        let p = &self.pickers[picker];
        p.station.map_or(p.pos, |s| {
            let a = self.site.layout.stations[s].area;
            [a.x + a.width / 2.0, a.y + a.depth / 2.0]
        })
    }

    fn walk_to(&mut self, picker: usize, to: [f32; 2], to_aisle: Option<usize>) {
        let p = &self.pickers[picker];
        let path = self.route(p.pos, p.aisle, to, to_aisle);
        let p = &mut self.pickers[picker];
        p.path = path.into();
        p.aisle = to_aisle;
    }

    fn move_pickers(&mut self) {
        let step_m = self.config.walk_speed * STEP_MS as f32 / 1000.0;
        for i in 0..self.pickers.len() {
            // Walk along the path.
            let mut left = step_m;
            while left > 0.0 {
                let p = &mut self.pickers[i];
                let Some(&target) = p.path.front() else { break };
                let (dx, dy) = (target[0] - p.pos[0], target[1] - p.pos[1]);
                let dist = (dx * dx + dy * dy).sqrt();
                if dist > 1e-4 {
                    p.heading = dy.atan2(dx);
                }
                if dist <= left {
                    p.pos = target;
                    p.path.pop_front();
                    left -= dist;
                } else {
                    p.pos = [p.pos[0] + dx / dist * left, p.pos[1] + dy / dist * left];
                    left = 0.0;
                }
            }
            if !self.pickers[i].path.is_empty() {
                continue;
            }
            match self.pickers[i].task {
                Task::ToLine { order, line } => {
                    let (lo, hi) = self.config.pick_s;
                    let until_ms = self.now_ms + (self.rng.range(lo, hi) * 1000.0) as u64;
                    self.pickers[i].task = Task::Picking { order, line, until_ms };
                }
                Task::Picking { order, line, until_ms } if self.now_ms >= until_ms => {
                    self.press(i, order, line);
                    self.pickers[i].task = Task::Decide { order };
                }
                Task::Decide { order } => self.decide(i, order),
                Task::ToStation { order } => {
                    let (lo, hi) = self.config.pack_s;
                    let until_ms = self.now_ms + (self.rng.range(lo, hi) * 1000.0) as u64;
                    self.pickers[i].task = Task::Packing { until_ms };
                    if let Some(o) = self.orders.get_mut(&order) {
                        o.picker = None;
                    }
                    self.publish_order(order);
                }
                Task::Packing { until_ms } if self.now_ms >= until_ms => self.pickers[i].task = Task::Idle,
                _ => {}
            }
        }
    }

    /// Next move for a picker holding `order`: the next lit line, the station, or wait.
    fn decide(&mut self, picker: usize, id: u32) {
        let Some(order) = self.orders.get(&id) else {
            self.pickers[picker].task = Task::Idle;
            return;
        };
        if order.lines.iter().all(|l| l.state == LineState::Done) {
            let to = self.station_point(picker);
            self.walk_to(picker, to, None);
            self.pickers[picker].task = Task::ToStation { order: id };
            return;
        }
        let next = order.lines.iter().position(|l| l.state == LineState::Lit);
        if let Some(k) = next {
            let module = order.lines[k].module;
            let (to, aisle) = self.stand_point(module);
            self.walk_to(picker, to, aisle);
            self.pickers[picker].task = Task::ToLine { order: id, line: k };
        }
        // Otherwise every remaining line waits for a module another order holds: stay.
    }

    /// The picker takes the goods and presses confirm (sometimes short, sometimes after
    /// pressing a wrong module first).
    fn press(&mut self, picker: usize, id: u32, k: usize) {
        let Some(line) = self.orders.get(&id).and_then(|o| o.lines.get(k)).cloned() else { return };
        let m = &self.site.modules[line.module as usize];
        let controller = usize::from(m.controller);
        if self.rng.chance(self.config.mispick_rate) {
            // A neighbour on the same controller, if there is one.
            let plan = &self.site.controllers[controller];
            if let Some(pos) = plan.modules.iter().position(|&x| x == line.module) {
                let other = if pos + 1 < plan.modules.len() {
                    plan.modules[pos + 1]
                } else if pos > 0 {
                    plan.modules[pos - 1]
                } else {
                    line.module
                };
                if other != line.module && !self.lit_by.contains_key(&other) {
                    let om = &self.site.modules[other as usize];
                    lock(&self.controllers[controller]).press(om.address, line.quantity);
                    let module = om.id.0;
                    self.emit(SimEvent::MisPick { picker: picker as u16, module });
                }
            }
        }
        let picked = if self.rng.chance(self.config.shortage_rate) && line.quantity > 0 {
            self.rng.below(usize::from(line.quantity)) as u16
        } else {
            line.quantity
        };
        let address = self.site.modules[line.module as usize].address;
        lock(&self.controllers[controller]).press(address, picked);
    }

    /// The host side: sees latched modules, acknowledges them and turns them off.
    fn process_latches(&mut self) {
        let mut lit: Vec<(ModuleIndex, u32, usize)> =
            self.lit_by.iter().map(|(&m, &(o, k))| (m, o, k)).collect();
        lit.sort_unstable();
        for (module, id, k) in lit {
            let m = &self.site.modules[module as usize];
            let (address, controller) = (m.address, usize::from(m.controller));
            let Some(map) = self.site.controller_map(controller) else { continue };
            let ack = map.bits.acknowledge + address;
            let done = {
                let mut c = lock(&self.controllers[controller]);
                if !c.latched(address) {
                    continue;
                }
                let state = c.module_state(address);
                let cq = map.status_register(address, map.module_status.confirmed_quantity);
                let picked = c
                    .read_registers(twin_model::register_map::Table::Input, cq as u16, 1)
                    .map_or(0, |r| r[0]);
                let _ = c.write_coils(ack, &[true]);
                (state, picked)
            };
            self.command(module, Mode::Off, 0, 0, 0);
            self.lit_by.remove(&module);
            let Some(order) = self.orders.get_mut(&id) else { continue };
            let asked = order.lines[k].quantity;
            order.lines[k].state = LineState::Done;
            let picked = if done.0 == Some(ModuleState::Shortage) { done.1 } else { asked };
            let all_done = order.lines.iter().all(|l| l.state == LineState::Done);
            if all_done {
                order.status = OrderStatus::Done;
            }
            let module_id = self.site.modules[module as usize].id.0;
            self.emit(SimEvent::LineDone { order: id, module: module_id, asked, picked });
            if all_done {
                self.emit(SimEvent::OrderPicked { order: id });
                self.board_free_at.push_back((self.now_ms + self.config.board_keep_s * 1000, id));
            }
            self.publish_order(id);
        }
    }

    fn cleanup_board(&mut self) {
        while let Some(&(at, id)) = self.board_free_at.front() {
            if at > self.now_ms {
                break;
            }
            self.board_free_at.pop_front();
            if let Some(order) = self.orders.remove(&id)
                && let Some(slot) = order.slot
            {
                self.board[slot] = None;
                self.write_board_slot(slot, None);
            }
        }
    }

    fn publish_order(&mut self, id: u32) {
        let Some(order) = self.orders.get(&id) else { return };
        let Some(slot) = order.slot else { return };
        let order = order.clone();
        self.write_board_slot(slot, Some(&order));
    }

    fn write_board_slot(&self, slot: usize, order: Option<&Order>) {
        let Some(map) = self.site.controller_map(0) else { return };
        let o = &map.orders;
        let mut block = vec![0u16; usize::from(o.stride)];
        if let Some(order) = order {
            let [hi, lo] = codes::u32_to_registers(order.id);
            block[usize::from(o.order_id)] = hi;
            block[usize::from(o.order_id) + 1] = lo;
            block[usize::from(o.zone)] = order.zone;
            block[usize::from(o.lines_total)] = order.lines.len() as u16;
            block[usize::from(o.lines_done)] =
                order.lines.iter().filter(|l| l.state == LineState::Done).count() as u16;
            block[usize::from(o.priority)] = order.priority;
            block[usize::from(o.status)] = order.status as u16;
            block[usize::from(o.picker)] = order.picker.map_or(codes::NO_PICKER, |p| p as u16);
            let [hi, lo] = codes::u32_to_registers((order.released_ms / 1000) as u32);
            block[usize::from(o.release_time_s)] = hi;
            block[usize::from(o.release_time_s) + 1] = lo;
            // Lines get consecutive job ids when the order is made (then sorted in walk order).
            let [hi, lo] = codes::u32_to_registers(order.lines.iter().map(|l| l.job).min().unwrap_or(0));
            block[usize::from(o.first_job)] = hi;
            block[usize::from(o.first_job) + 1] = lo;
        }
        let start = usize::from(o.base) + slot * usize::from(o.stride);
        lock(&self.controllers[0]).poke_holding(start, &block);
    }

    fn publish_pickers(&mut self) {
        let Some(map) = self.site.controller_map(0) else { return };
        let b = map.pickers.clone();
        let mut c = lock(&self.controllers[0]);
        for (i, p) in self.pickers.iter().enumerate().take(usize::from(b.max)) {
            let mut block = vec![0u16; usize::from(b.stride)];
            block[usize::from(b.x_cm)] = (p.pos[0] * 100.0).clamp(0.0, 65535.0) as u16;
            block[usize::from(b.y_cm)] = (p.pos[1] * 100.0).clamp(0.0, 65535.0) as u16;
            block[usize::from(b.heading_cdeg)] =
                (p.heading.to_degrees().rem_euclid(360.0) * 100.0) as u16 % 36000;
            let state = match p.task {
                Task::Idle => PickerState::Idle,
                Task::Absent => PickerState::Absent,
                Task::Break { .. } => PickerState::Break,
                Task::ToLine { .. } | Task::ToStation { .. } => PickerState::Walking,
                Task::Picking { .. } | Task::Decide { .. } => PickerState::Picking,
                Task::Packing { .. } => PickerState::Packing,
            };
            block[usize::from(b.state)] = state as u16;
            let order = match p.task {
                Task::ToLine { order, .. }
                | Task::Picking { order, .. }
                | Task::Decide { order }
                | Task::ToStation { order } => order,
                _ => 0,
            };
            let [hi, lo] = codes::u32_to_registers(order);
            block[usize::from(b.order_id)] = hi;
            block[usize::from(b.order_id) + 1] = lo;
            c.poke_input(usize::from(b.base) + i * usize::from(b.stride), &block);
        }
    }
}

/// Whether the segment `a`–`b` passes through the inside of `r` (touching its edge is fine).
fn segment_crosses(a: [f32; 2], b: [f32; 2], r: &twin_model::layout::Rect) -> bool {
    const EDGE: f32 = 0.02;
    let (min, max) = ([r.x + EDGE, r.y + EDGE], [r.max_x() - EDGE, r.max_y() - EDGE]);
    // Liang–Barsky: clip the segment's parameter range against each slab.
    let (mut t0, mut t1) = (0.0f32, 1.0f32);
    for axis in 0..2 {
        let d = b[axis] - a[axis];
        if d.abs() < 1e-9 {
            if a[axis] <= min[axis] || a[axis] >= max[axis] {
                return false;
            }
        } else {
            let (mut lo, mut hi) = ((min[axis] - a[axis]) / d, (max[axis] - a[axis]) / d);
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            t0 = t0.max(lo);
            t1 = t1.min(hi);
            if t0 >= t1 {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_racks() {
        let r = twin_model::layout::Rect { x: 4.0, y: 14.0, width: 12.0, depth: 0.6 };
        assert!(segment_crosses([14.2, 5.5], [14.2, 43.0], &r), "vertical through");
        assert!(!segment_crosses([1.8, 5.5], [1.8, 43.0], &r), "beside");
        assert!(!segment_crosses([2.0, 14.6], [20.0, 14.6], &r), "along the face");
        assert!(segment_crosses([0.0, 14.3], [30.0, 14.3], &r), "horizontal through");
        assert!(!segment_crosses([5.0, 10.0], [6.0, 12.0], &r), "short of it");
    }

    #[test]
    fn release_rate_follows_the_day_profile() {
        let site = Arc::new(Site::from_ron(include_str!("../../../layouts/demo.ron"), "demo.ron").unwrap());
        let controllers = crate::controllers_for(&site);
        let engine = Engine::new(site, controllers, SimConfig::default());
        assert_eq!(engine.rate_at(3 * 3_600_000), 0.0, "night");
        let per_day: f64 = (0..24).map(|h| engine.rate_at(h * 3_600_000 + 1) * 3_600_000.0).sum();
        assert!((per_day - 1200.0).abs() < 1e-6, "{per_day}");
    }
}
