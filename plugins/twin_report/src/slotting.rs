//! Where the walking goes, and what re-slotting would save: an ABC velocity analysis of the
//! modules (picks per module) against their walking distance from the pack stations, swaps that
//! move fast movers into near positions, and the walking saved, estimated by replaying the
//! range's orders with the swapped slots through the simulator's routing (`twin_sim::Engine`:
//! aisle centrelines, no rack crossed).
//!
//! Assumptions (docs/reports.md repeats them): an order is walked as one tour from the pack
//! station nearest its first line, to its lines in the order they completed, and back; a swap
//! exchanges the articles of two modules of the same zone and moves every one of their lines;
//! demand is what the range recorded (no forecast); picking, packing and travel speed are
//! unchanged. The estimate is walking distance, not time.

use std::collections::HashMap;
use std::sync::Arc;

use twin_model::{ModuleIndex, Site};
use twin_sim::{Engine, SimConfig};

use crate::collect::LineFact;

/// A module's velocity class: A (the fastest modules making 80 % of the picks), B (the next
/// 15 %), C (the rest, and modules never picked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Fast movers.
    A,
    /// Medium.
    B,
    /// Slow or unpicked.
    C,
}

/// One module in the analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// Module.
    pub module: ModuleIndex,
    /// Lines picked there in the range.
    pub picks: u32,
    /// Velocity class.
    pub class: Class,
    /// Round trip from its nearest pack station, metres.
    pub distance_m: f32,
}

/// A suggested swap: the articles at `fast` (a fast mover, far) and at `near` (the position its
/// velocity rank deserves) change places.
#[derive(Debug, Clone, PartialEq)]
pub struct Swap {
    /// Where the fast mover's articles are (after the swaps before this one).
    pub fast: ModuleIndex,
    /// The nearer position they move to.
    pub near: ModuleIndex,
    /// Walking saved over the range by this swap and the ones before it, metres.
    pub saved_m: f64,
}

/// The analysis of a range.
#[derive(Debug, Clone, PartialEq)]
pub struct Slotting {
    /// Every module, fastest first.
    pub slots: Vec<Slot>,
    /// Suggested swaps, in the order they are to be made (fastest movers first).
    pub swaps: Vec<Swap>,
    /// Walking over the range's orders as slotted, metres.
    pub walked_m: f64,
    /// The same orders with every suggested swap made.
    pub after_m: f64,
    /// Orders replayed.
    pub orders: usize,
}

/// Routes through the simulator's walking paths.
pub struct Router {
    engine: Engine,
    pack: Vec<[f32; 2]>,
}

impl Router {
    /// The simulator's routing for `site`.
    pub fn new(site: &Site) -> Self {
        let site = Arc::new(site.clone());
        let engine = Engine::new(site.clone(), twin_sim::controllers_for(&site), SimConfig::default());
        let pack = engine.pack_points();
        Self { engine, pack }
    }

    /// The pack station nearest a module (straight-line), or the floor's origin without one.
    fn station_for(&self, site: &Site, m: ModuleIndex) -> [f32; 2] {
        let Some(p) = site.modules.get(m as usize).map(|m| m.position) else { return [0.0, 0.0] };
        let d = |s: &[f32; 2]| (s[0] - p[0]).powi(2) + (s[1] - p[1]).powi(2);
        self.pack.iter().copied().min_by(|a, b| d(a).total_cmp(&d(b))).unwrap_or([0.0, 0.0])
    }

    /// Metres of one order's tour over `modules`.
    pub fn tour_m(&self, site: &Site, modules: &[ModuleIndex]) -> f32 {
        let Some(&first) = modules.first() else { return 0.0 };
        self.engine.tour_m(self.station_for(site, first), modules)
    }

    /// A module's round trip from its nearest pack station.
    pub fn trip_m(&self, site: &Site, m: ModuleIndex) -> f32 {
        self.tour_m(site, &[m])
    }
}

/// Orders as the modules of their lines, in completion order (lines completed at the same
/// clock by line id: a recording and the history store give the same tours).
pub fn tours(lines: &[LineFact], site: &Site) -> Vec<Vec<ModuleIndex>> {
    let mut known: Vec<&LineFact> =
        lines.iter().filter(|l| (l.module as usize) < site.modules.len()).collect();
    known.sort_by(|a, b| {
        a.done_s.total_cmp(&b.done_s).then(a.order.cmp(&b.order)).then(a.line_id.cmp(&b.line_id))
    });
    let mut by_order: HashMap<u32, Vec<ModuleIndex>> = HashMap::new();
    let mut order_of_first = Vec::new();
    for l in known {
        by_order
            .entry(l.order)
            .or_insert_with(|| {
                order_of_first.push(l.order);
                Vec::new()
            })
            .push(l.module);
    }
    order_of_first.into_iter().filter_map(|o| by_order.remove(&o)).collect()
}

/// Metres of `tour` with its modules mapped by `moved` (an article's new module).
fn moved_tour_m(
    router: &Router,
    site: &Site,
    tour: &[ModuleIndex],
    moved: &HashMap<ModuleIndex, ModuleIndex>,
) -> f64 {
    let mapped: Vec<ModuleIndex> = tour.iter().map(|m| *moved.get(m).unwrap_or(m)).collect();
    f64::from(router.tour_m(site, &mapped))
}

/// Completed lines per module, each line once (lines at unknown locations skipped).
fn picks_by_module(lines: &[LineFact]) -> HashMap<ModuleIndex, u32> {
    let mut m = HashMap::new();
    for l in lines.iter().filter(|l| l.module != twin_link::NO_MODULE) {
        *m.entry(l.module).or_insert(0) += 1;
    }
    m
}

/// The analysis of `lines`, with at most `max_swaps` swaps suggested.
pub fn analyse(site: &Site, lines: &[LineFact], router: &Router, max_swaps: usize) -> Slotting {
    let picks = picks_by_module(lines);
    let total: u32 = picks.values().sum();
    let mut slots: Vec<Slot> = (0..site.modules.len() as ModuleIndex)
        .map(|m| Slot {
            module: m,
            picks: picks.get(&m).copied().unwrap_or(0),
            class: Class::C,
            distance_m: router.trip_m(site, m),
        })
        .collect();
    slots.sort_by(|a, b| b.picks.cmp(&a.picks).then(a.distance_m.total_cmp(&b.distance_m)));
    let mut running = 0u32;
    for s in &mut slots {
        let before = f64::from(running) / f64::from(total.max(1));
        s.class = if s.picks == 0 {
            Class::C
        } else if before < 0.80 {
            Class::A
        } else if before < 0.95 {
            Class::B
        } else {
            Class::C
        };
        running += s.picks;
    }
    let tours = tours(lines, site);
    // Per zone, the k-th fastest module's articles belong in the k-th nearest position. Walk
    // the movers fastest first and swap each into its place with whatever is there (a
    // selection sort towards that ideal slotting): one swap alone can lengthen tours whose
    // other lines stay far, so the swaps are judged together, and the suggestion is the prefix
    // of them that saves the most.
    let mut lengths: Vec<f64> = tours.iter().map(|t| f64::from(router.tour_m(site, t))).collect();
    let walked_m: f64 = lengths.iter().sum();
    let mut through: HashMap<ModuleIndex, Vec<usize>> = HashMap::new();
    for (i, t) in tours.iter().enumerate() {
        for &m in t {
            let v = through.entry(m).or_default();
            if v.last() != Some(&i) {
                v.push(i);
            }
        }
    }
    let zone_of = |m: ModuleIndex| {
        let p = site.modules[m as usize].position;
        site.zone_at(p[0], p[1])
    };
    let mut zones: HashMap<Option<usize>, Vec<&Slot>> = HashMap::new();
    for s in &slots {
        zones.entry(zone_of(s.module)).or_default().push(s);
    }
    // Where each article (named by the module it was recorded at) is now, and the reverse.
    let mut at: HashMap<ModuleIndex, ModuleIndex> = HashMap::new();
    let mut holder: HashMap<ModuleIndex, ModuleIndex> = HashMap::new();
    let mut swaps = Vec::new();
    let mut order: Vec<&Option<usize>> = zones.keys().collect();
    order.sort();
    'zones: for z in order {
        let zone = &zones[z];
        let mut near: Vec<&Slot> = zone.to_vec();
        near.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
        for (k, fast) in zone.iter().enumerate().filter(|(_, s)| s.picks > 0) {
            if swaps.len() >= max_swaps {
                break 'zones;
            }
            let a = fast.module;
            let from = *at.get(&a).unwrap_or(&a);
            let to = near[k].module;
            if from == to {
                continue;
            }
            let b = *holder.get(&to).unwrap_or(&to);
            at.insert(a, to);
            at.insert(b, from);
            let mut affected: Vec<usize> =
                through.get(&a).into_iter().chain(through.get(&b)).flatten().copied().collect();
            affected.sort_unstable();
            affected.dedup();
            for i in affected {
                lengths[i] = moved_tour_m(router, site, &tours[i], &at);
            }
            holder.insert(to, a);
            holder.insert(from, b);
            swaps.push(Swap { fast: from, near: to, saved_m: walked_m - lengths.iter().sum::<f64>() });
        }
    }
    // The prefix that saves the most (none, if every prefix walks more).
    let best = swaps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.saved_m > 0.0)
        .max_by(|a, b| a.1.saved_m.total_cmp(&b.1.saved_m));
    let keep = best.map_or(0, |(i, _)| i + 1);
    let after_m = walked_m - best.map_or(0.0, |(_, s)| s.saved_m);
    swaps.truncate(keep);
    Slotting { slots, swaps, walked_m, after_m, orders: tours.len() }
}

#[cfg(test)]
#[path = "slotting_tests.rs"]
mod tests;
