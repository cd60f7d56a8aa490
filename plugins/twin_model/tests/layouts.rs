//! The shipped layouts: each validates, has the size it promises, and survives a RON round trip.

use std::path::PathBuf;

use twin_model::layout::{Facing, ZoneKind};
use twin_model::{ModuleId, Site, parse_layout};

fn layout(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../layouts").join(name)
}

fn load(name: &str) -> Site {
    Site::load(layout(name)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_shipped_layout_validates_without_warnings() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../layouts");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ron") {
            let site = Site::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(site.warnings.is_empty(), "{}: {:?}", path.display(), site.warnings);
            count += 1;
        }
    }
    assert!(count >= 3, "expected demo, pharma_dc and stress; found {count}");
}

#[test]
fn demo_is_small_with_one_controller() {
    let site = load("demo.ron");
    assert_eq!(site.modules.len(), 199);
    assert_eq!(site.layout.controllers.len(), 1);
    assert_eq!(site.layout.pickers.len(), 3);
    // Rule: ids follow on, addresses follow on; the absent slot keeps its number.
    let (_, first) = site.module_by_id(ModuleId(1)).unwrap();
    assert_eq!(
        (first.bay, first.level, first.slot, first.address, &*first.location),
        (1, 1, 1, 0, "A1-0111")
    );
    assert!(site.module_by_id(ModuleId(50)).is_none(), "bay 5 level 5 slot 2 of A1 is absent");
    let (_, m) = site.module_by_id(ModuleId(51)).unwrap();
    assert_eq!((&*m.location, m.address), ("A2-0111", 50));
    let (_, ret) = site.module_by_id(ModuleId(151)).unwrap();
    assert_eq!(&*ret.location, "RET-01");
    // Geometry: A1 faces north from y 6.0 with depth 0.6: its face is at y 6.6.
    assert_eq!(first.facing, Facing::North);
    assert_eq!(first.position, [3.0 + 0.3, 6.6, 0.3]);
    assert_eq!(site.module_at(0, 50), site.module_by_id(ModuleId(51)).map(|(i, _)| i));
    assert_eq!(site.module_at(0, 49), None);
}

#[test]
fn pharma_dc_is_a_realistic_site() {
    let site = load("pharma_dc.ron");
    assert!((10_000..=16_000).contains(&site.modules.len()), "{}", site.modules.len());
    assert_eq!(site.layout.controllers.len(), 8);
    assert!((30..=40).contains(&site.layout.pickers.len()));
    let kinds: Vec<ZoneKind> = site.layout.zones.iter().map(|z| z.kind).collect();
    for kind in [ZoneKind::ColdChain, ZoneKind::FastMover, ZoneKind::Packing] {
        assert!(kinds.contains(&kind), "{kind:?} missing");
    }
    assert!(site.layout.stations.len() >= 4);
    for (c, plan) in site.controllers.iter().enumerate() {
        let max = site.controller_map(c).unwrap().max_modules as usize;
        assert!(plan.modules.len() <= max);
        // Sorted by address, every address resolves back.
        for &m in &plan.modules {
            assert_eq!(site.module_at(c, site.modules[m as usize].address), Some(m));
        }
    }
}

#[test]
fn stress_has_over_100k_modules() {
    let site = load("stress.ron");
    assert!(site.modules.len() >= 100_000, "{}", site.modules.len());
}

#[test]
fn round_trip_preserves_every_layout() {
    for name in ["demo.ron", "pharma_dc.ron"] {
        let original = load(name);
        let text = original.layout.to_ron().unwrap();
        let reparsed = parse_layout(&text, "roundtrip.ron").unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(reparsed, original.layout, "{name}");
        let again = Site::from_ron(&text, "roundtrip.ron").unwrap();
        assert_eq!(again.modules, original.modules, "{name}");
    }
}

#[test]
fn the_demo_site_knows_its_rack_top_and_which_zone_holds_a_point() {
    let site = load("demo.ron");
    let tallest = site.layout.racks.iter().map(|r| r.height()).fold(0.0f32, f32::max);
    assert_eq!(site.rack_top(), tallest);
    assert!(tallest >= 2.0, "{tallest}");
    let name = |p: Option<usize>| p.map(|i| site.layout.zones[i].name.as_str());
    assert_eq!(name(site.zone_at(12.0, 10.0)), Some("PICK"));
    assert_eq!(name(site.zone_at(12.0, 2.0)), Some("PACK"));
    // On the shared edge, the first zone listed.
    assert_eq!(name(site.zone_at(12.0, 4.0)), Some("PICK"));
    assert_eq!(site.zone_at(50.0, 50.0), None);
}
