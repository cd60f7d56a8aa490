//! Where pickers walk: along aisle centrelines and across the floor on paths that cross no rack.

use super::*;

impl Engine {
    /// Path from the picker's position to `to` (in aisle `to_aisle`, or free floor): along
    /// aisle centrelines to an aisle end, then across the floor on the shortest of a few
    /// straight or L-shaped connections that cross no rack.
    pub(super) fn route(
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
    pub(super) fn stand_point(&self, module: ModuleIndex) -> ([f32; 2], Option<usize>) {
        let m = &self.site.modules[module as usize];
        let a = self.module_aisle[module as usize] as usize;
        match self.aisles.get(a) {
            Some(g) if g.along_x => ([m.position[0], g.centre], Some(a)),
            Some(g) => ([g.centre, m.position[1]], Some(a)),
            None => ([m.position[0], m.position[1]], None),
        }
    }

    /// Metres walked along the simulator's paths from `from` (free floor) to each module's
    /// stand point in turn and back to `from`: what a picker walks for an order whose lines are
    /// at `modules`, starting and ending at a station.
    pub fn tour_m(&self, from: [f32; 2], modules: &[ModuleIndex]) -> f32 {
        let (mut at, mut aisle, mut total) = (from, None, 0.0);
        let mut walk =
            |to: [f32; 2], to_aisle: Option<usize>, at: &mut [f32; 2], aisle: &mut Option<usize>| {
                for p in self.route(*at, *aisle, to, to_aisle) {
                    total += (p[0] - at[0]).abs() + (p[1] - at[1]).abs();
                    *at = p;
                }
                *aisle = to_aisle;
            };
        for &m in modules.iter().filter(|&&m| (m as usize) < self.site.modules.len()) {
            let (to, to_aisle) = self.stand_point(m);
            walk(to, to_aisle, &mut at, &mut aisle);
        }
        walk(from, None, &mut at, &mut aisle);
        total
    }

    /// The centres of the layout's packing stations (where orders start and end).
    pub fn pack_points(&self) -> Vec<[f32; 2]> {
        use twin_model::layout::StationKind;
        let stations = &self.site.layout.stations;
        let pack: Vec<[f32; 2]> =
            stations.iter().filter(|s| s.kind == StationKind::Pack).map(|s| s.area.centre()).collect();
        if pack.is_empty() { stations.iter().map(|s| s.area.centre()).collect() } else { pack }
    }

    pub(super) fn station_point(&self, picker: usize) -> [f32; 2] {
        let p = &self.pickers[picker];
        p.station.map_or(p.pos, |s| self.site.layout.stations[s].area.centre())
    }

    pub(super) fn walk_to(&mut self, picker: usize, to: [f32; 2], to_aisle: Option<usize>) {
        let p = &self.pickers[picker];
        let path = self.route(p.pos, p.aisle, to, to_aisle);
        let p = &mut self.pickers[picker];
        p.path = path.into();
        p.aisle = to_aisle;
    }
}

/// Whether the segment `a`–`b` passes through the inside of `r` (touching its edge is fine).
pub(super) fn segment_crosses(a: [f32; 2], b: [f32; 2], r: &twin_model::layout::Rect) -> bool {
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
}
