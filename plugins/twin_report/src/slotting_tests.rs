//! Re-slotting on the demo site with a deliberately bad slotting: the fast movers at the far
//! end. The suggested swaps must recover most of the walking an ideal slotting would save.

use super::*;

fn demo() -> Site {
    Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")).unwrap()
}

/// Orders of three lines: 80 % of lines on `fast`, the rest spread over every module.
fn orders(site: &Site, fast: &[ModuleIndex], n: u32) -> Vec<LineFact> {
    let mut x = 12345u64;
    let mut next = |k: usize| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((x >> 33) as usize) % k
    };
    let mut lines = Vec::new();
    for order in 1..=n {
        for line in 0..3 {
            let module =
                if next(10) < 8 { fast[next(fast.len())] } else { next(site.modules.len()) as ModuleIndex };
            lines.push(LineFact {
                order,
                line_id: order * 10 + line,
                module,
                zone: None,
                picker: None,
                asked: 1,
                confirmed: 1,
                short: false,
                done_s: f64::from(order),
                lit_s: None,
                done_ms: 0,
            });
        }
    }
    lines
}

/// The walking with every zone's articles in velocity order (the k-th fastest in the k-th
/// nearest position): the best any slotting can do for these orders.
fn ideal(site: &Site, router: &Router, a: &Slotting, lines: &[LineFact]) -> f64 {
    let mut by_zone: HashMap<Option<usize>, (Vec<&Slot>, Vec<&Slot>)> = HashMap::new();
    for s in &a.slots {
        let p = site.modules[s.module as usize].position;
        let e = by_zone.entry(site.zone_at(p[0], p[1])).or_default();
        e.0.push(s);
        e.1.push(s);
    }
    let mut moved = HashMap::new();
    for (fast, mut near) in by_zone.into_values() {
        near.sort_by(|x, y| x.distance_m.total_cmp(&y.distance_m));
        for (f, n) in fast.iter().zip(near) {
            moved.insert(f.module, n.module);
        }
    }
    tours(lines, site).iter().map(|t| moved_tour_m(router, site, t, &moved)).sum()
}

#[test]
fn swaps_recover_most_of_a_bad_slottings_extra_walking() {
    let site = demo();
    let router = Router::new(&site);
    // The 10 modules farthest from the pack stations take 80 % of the lines.
    let mut far: Vec<ModuleIndex> = (0..site.modules.len() as ModuleIndex).collect();
    far.sort_by(|a, b| router.trip_m(&site, *b).total_cmp(&router.trip_m(&site, *a)));
    far.truncate(10);
    let lines = orders(&site, &far, 200);
    let a = analyse(&site, &lines, &router, 20);
    assert_eq!(a.orders, 200);
    assert!(
        a.slots.iter().take(10).all(|s| far.contains(&s.module) && s.class == Class::A),
        "the far ten are A"
    );
    let best = ideal(&site, &router, &a, &lines);
    let (extra, recovered) = (a.walked_m - best, a.walked_m - a.after_m);
    println!(
        "walked {:.0} m, with {} swaps {:.0} m, ideal {:.0} m: {:.0} % of the extra walking recovered",
        a.walked_m,
        a.swaps.len(),
        a.after_m,
        best,
        100.0 * recovered / extra
    );
    assert!(extra > 0.25 * a.walked_m, "the bad slotting costs walking: {extra:.0} of {:.0} m", a.walked_m);
    assert!(recovered >= 0.6 * extra, "swaps recover most of it: {recovered:.0} of {extra:.0} m");
    assert!(far.contains(&a.swaps[0].fast), "the fastest mover first: {:?}", a.swaps[0]);
    let last = a.swaps.last().unwrap().saved_m;
    assert!(
        (last - recovered).abs() < 1e-6 * a.walked_m,
        "the last swap's saving is the total: {last} vs {recovered}"
    );
    assert!(a.swaps.iter().all(|s| s.saved_m <= last), "the suggestion ends at its best saving");
}

#[test]
fn a_good_slotting_needs_few_swaps_and_classes_follow_the_picks() {
    let site = demo();
    let router = Router::new(&site);
    let mut near: Vec<ModuleIndex> = (0..site.modules.len() as ModuleIndex).collect();
    near.sort_by(|a, b| router.trip_m(&site, *a).total_cmp(&router.trip_m(&site, *b)));
    near.truncate(10);
    let lines = orders(&site, &near, 200);
    let a = analyse(&site, &lines, &router, 20);
    let saved = a.walked_m - a.after_m;
    assert!(saved < 0.05 * a.walked_m, "already good: {saved:.0} of {:.0} m", a.walked_m);
    // Classes: cumulative share of picks before a module < 80 % → A, < 95 % → B.
    let total: u32 = a.slots.iter().map(|s| s.picks).sum();
    let mut run = 0;
    for s in &a.slots {
        let share = f64::from(run) / f64::from(total);
        let want = if s.picks == 0 {
            Class::C
        } else if share < 0.8 {
            Class::A
        } else if share < 0.95 {
            Class::B
        } else {
            Class::C
        };
        assert_eq!(s.class, want, "{s:?}");
        run += s.picks;
    }
}
