//! Unit tests of read planning against the built-in maps.

use super::*;
use twin_model::register_map::{UNIT_MAP_NAME, builtin_maps};

#[test]
fn default_map_plan_for_2000_modules() {
    let map = RegisterMap::default();
    let p = plan(&map, PlanInput { span: 2000, pickers: 36, board: true });
    assert_eq!(p.header.map(|r| (r.start, r.count)), Some((0, 16)));
    // Bitmaps: 3 × 2000 bits, one read each.
    let bits: Vec<_> = p.bits.iter().map(|r| (r.start, r.count)).collect();
    assert_eq!(bits, vec![(0, 2000), (4096, 2000), (8192, 2000)]);
    // Change counters: 2000 registers, 16 reads.
    assert_eq!(p.changes.len(), 16);
    assert_eq!(p.changes[0].start, 16384);
    // Their summary: 16 group counters, one read.
    assert_eq!(p.change_groups.iter().map(|r| (r.start, r.count)).collect::<Vec<_>>(), vec![(16368, 16)]);
    // Commands: 12-register modules, 120 per read (10 modules), 200 reads; status 134 reads.
    let commands = p.modules.iter().filter(|r| r.block == Block::Commands).count();
    assert_eq!(commands, 200);
    let status = p.modules.iter().filter(|r| r.block == Block::Status).count();
    assert_eq!(status, 2000usize.div_ceil(15));
    assert!(p.modules.iter().all(|r| r.count <= limit(r.table)));
    assert_eq!(p.module_ranges[0], (0, 10));
    assert_eq!(p.module_ranges[200], (0, 15));
    // Pickers: 36 × 8 = 288 registers; the board: 2000 slots × 12, 120 per read.
    assert_eq!(p.pickers.iter().map(|r| u32::from(r.count)).sum::<u32>(), 288);
    assert_eq!(p.board.len(), 200);
}

#[test]
fn changed_modules_share_reads() {
    let map = RegisterMap::default();
    let p = plan(&map, PlanInput { span: 2000, pickers: 0, board: false });
    let mut out = Vec::new();
    p.module_reads(&map, &map.image(), &[3, 5, 12, 500], &mut out);
    let commands: Vec<_> =
        out.iter().filter(|r| r.block == Block::Commands).map(|r| (r.start, r.count)).collect();
    // 3..=12 fit one 120-register read (10 modules from 3); 500 gets its own.
    assert_eq!(commands, vec![(100 + 36, 120), (100 + 6000, 12)]);
    let status: Vec<_> =
        out.iter().filter(|r| r.block == Block::Status).map(|r| (r.start, r.count)).collect();
    assert_eq!(status, vec![(24, 80), (4000, 8)]);
}

#[test]
fn small_controller_plans_small_reads() {
    let p = plan(&RegisterMap::default(), PlanInput { span: 7, pickers: 0, board: false });
    assert!(p.modules.contains(&Read {
        block: Block::Commands,
        table: Table::Holding,
        unit: None,
        start: 100,
        count: 84,
        image: 100
    }));
    assert_eq!(p.modules.len(), 2);
    assert!(p.pickers.is_empty() && p.board.is_empty());
}

#[test]
fn absent_blocks_are_not_planned() {
    let map = RegisterMap { pickers: None, orders: None, changes: None, ..Default::default() };
    let p = plan(&map, PlanInput { span: 10, pickers: 5, board: true });
    assert!(p.pickers.is_empty() && p.board.is_empty() && p.changes.is_empty());
    assert!(p.span(Block::Pickers).is_none());
}

#[test]
fn per_unit_map_reads_each_unit() {
    let map = builtin_maps().into_iter().find(|m| m.name == UNIT_MAP_NAME).unwrap();
    let p = plan(&map, PlanInput { span: 3, pickers: 0, board: false });
    assert_eq!(p.header.map(|r| (r.unit, r.start, r.count)), Some((None, 0, 8)));
    let reads: Vec<_> = p.modules.iter().map(|r| (r.unit, r.table, r.start, r.count, r.image)).collect();
    assert_eq!(
        reads,
        vec![
            (Some(1), Table::Holding, 0, 5, 8),
            (Some(1), Table::Input, 0, 3, 0),
            (Some(2), Table::Holding, 0, 5, 13),
            (Some(2), Table::Input, 0, 3, 3),
            (Some(3), Table::Holding, 0, 5, 18),
            (Some(3), Table::Input, 0, 3, 6),
        ]
    );
    assert_eq!(p.module_ranges[2], (1, 2));
    assert!(p.bits.is_empty() && p.changes.is_empty());
}
