//! Unit tests of the overlay model: orders, KPIs and alarms fed message by message.

use twin_model::codes::{self, OrderStatus};

use super::*;

fn slot(id: u32, status: OrderStatus, done: u16, total: u16, release: u32, picker: u16) -> OrderSlot {
    OrderSlot {
        order_id: id,
        zone: 0,
        lines_total: total,
        lines_done: done,
        priority: 0,
        status: status as u16,
        picker,
        release_s: release,
        due_s: 0,
        first_job: id * 10,
    }
}

fn reading(state: ModuleState, job: u32) -> ModuleReading {
    ModuleReading { state: state as u16, job, online: true, ..ModuleReading::default() }
}

/// A module lit for `quantity`, then confirmed with `picked` (one press).
fn lit(job: u32, quantity: u16) -> ModuleReading {
    ModuleReading { quantity, ..reading(ModuleState::Lit, job) }
}

fn confirmed(job: u32, quantity: u16, picked: u16) -> ModuleReading {
    let state = if picked < quantity { ModuleState::Shortage } else { ModuleState::Confirmed };
    ModuleReading { quantity, confirmed_quantity: picked, press_count: 1, ..reading(state, job) }
}

const BUSY: PickerCounts = PickerCounts { busy: 1, present: 2 };

/// A half-hour shift of two orders by picker 1 at 06:00 + t.
fn shift() -> Ops {
    let mut ops = Ops::new(OpsConfig::default());
    let t0 = 6.0 * 3600.0;
    ops.advance(t0, 0, BUSY);
    ops.order_slot(0, &slot(1, OrderStatus::Pending, 0, 2, t0 as u32, codes::NO_PICKER));
    ops.order_slot(1, &slot(2, OrderStatus::Pending, 0, 1, t0 as u32, codes::NO_PICKER));
    ops.order_slot(0, &slot(1, OrderStatus::Active, 0, 2, t0 as u32, 1));
    // Both lines of order 1 light at once.
    ops.module(5, &lit(10, 3));
    ops.module(6, &lit(11, 4));
    ops.advance(t0 + 60.0, 0, BUSY);
    ops.module(5, &confirmed(10, 3, 3));
    ops.order_slot(0, &slot(1, OrderStatus::Active, 1, 2, t0 as u32, 1));
    ops.advance(t0 + 120.0, 0, BUSY);
    // The second line short, and its confirmed state missed: lit, then idle after a press.
    ops.module(6, &confirmed(11, 4, 1));
    ops.order_slot(0, &slot(1, OrderStatus::Done, 2, 2, t0 as u32, 1));
    ops.advance(t0 + 1800.0, 0, PickerCounts { busy: 0, present: 2 });
    ops.refresh();
    ops
}

#[test]
fn kpis_have_exact_values() {
    let ops = shift();
    let k = ops.kpis();
    assert_eq!(k.shift_start_s, 6.0 * 3600.0);
    assert_eq!(k.observed_h, 0.5);
    assert_eq!((k.orders_done, k.orders_per_h), (1, 2.0));
    assert_eq!((k.lines, k.lines_per_h), (2, 4.0));
    assert_eq!(k.per_picker, [PickerRate { picker: 1, lines: 2, per_h: 4.0 }]);
    // One of two pickers busy the whole half hour.
    assert_eq!(k.utilisation, Some(0.5));
    // 60 s and 120 s from lighting.
    assert_eq!(k.avg_line_s, Some(90.0));
    assert_eq!((k.short_lines, k.short_rate), (1, 0.5));
    assert_eq!(k.mispick_rate, 0.0);
    // Order 2 is open, 30 min old: on track against 2 h.
    assert_eq!((k.on_track, k.late, k.open_orders), (2, 0, 1));
    let picks: Vec<_> = ops.picks().map(|p| (p.module, p.order, p.picker, p.picked, p.line_s)).collect();
    assert_eq!(picks, [(6, Some(1), Some(1), 1, Some(120.0)), (5, Some(1), Some(1), 3, Some(60.0))]);
    assert_eq!(
        ops.alarms.nth_newest(0).map(|a| (a.kind, a.place)),
        Some((AlarmKind::Shortage, Place::Module(6)))
    );
}

#[test]
fn a_line_confirmed_between_polls_still_counts_from_its_press() {
    let mut ops = Ops::new(OpsConfig::default());
    ops.advance(0.0, 0, PickerCounts::default());
    ops.module(1, &lit(7, 2));
    ops.advance(30.0, 0, PickerCounts::default());
    // Seen idle with the press counter moved: confirmed and acknowledged between polls.
    ops.module(1, &ModuleReading { press_count: 1, ..reading(ModuleState::Idle, 7) });
    // Lit and switched off without a press: no pick.
    ops.module(2, &lit(8, 2));
    ops.module(2, &reading(ModuleState::Idle, 8));
    let picks: Vec<_> = ops.picks().map(|p| (p.module, p.picked, p.line_s)).collect();
    assert_eq!(picks, [(1, 2, Some(30.0))]);
}

#[test]
fn late_orders_and_series() {
    let mut ops = shift();
    // 2 h 30 after release, order 2 is still open: late.
    ops.advance(6.0 * 3600.0 + 9000.0, 0, BUSY);
    ops.refresh();
    assert_eq!((ops.kpis().on_track, ops.kpis().late), (1, 1));
    let s = ops.series();
    assert_eq!(s[0].t, 6.0 * 3600.0);
    assert_eq!(s[1].t, 6.0 * 3600.0 + 60.0);
    // The point at 06:30: one order in the last half hour → 2 per hour.
    let p = s.iter().find(|p| p.t == 6.0 * 3600.0 + 1800.0).unwrap();
    assert_eq!((p.orders_per_h, p.lines_per_h, p.open_orders, p.late), (2.0, 4.0, 1, 0));
    assert_eq!(s.last().unwrap().late, 1);
}

#[test]
fn a_new_shift_resets_the_counts() {
    let mut ops = shift();
    ops.advance(14.0 * 3600.0 + 60.0, 0, BUSY);
    ops.refresh();
    let k = ops.kpis();
    assert_eq!((k.shift_start_s, k.orders_done, k.lines), (14.0 * 3600.0, 0, 0));
    assert!(k.per_picker.is_empty());
    assert_eq!(ops.series().len(), 1);
}

#[test]
fn order_modules_are_its_lit_lines() {
    let mut ops = Ops::new(OpsConfig::default());
    ops.advance(100.0, 0, PickerCounts::default());
    ops.order_slot(0, &slot(3, OrderStatus::Active, 0, 2, 0, 0));
    ops.module(9, &reading(ModuleState::Lit, 31));
    ops.module(4, &reading(ModuleState::Lit, 30));
    ops.module(7, &reading(ModuleState::Lit, 32)); // another order's job
    assert_eq!(ops.order_modules(3), [4, 9]);
    assert!(ops.order_modules(99).is_empty());
}

#[test]
fn stuck_lights_raise_and_clear() {
    let mut ops = Ops::new(OpsConfig { stuck_light_s: 600.0, ..OpsConfig::default() });
    ops.advance(0.0, 0, PickerCounts::default());
    ops.module(2, &reading(ModuleState::Lit, 1));
    ops.advance(600.0, 0, PickerCounts::default());
    assert!(ops.alarms.is_empty(), "exactly at the limit is not stuck");
    ops.advance(601.0, 0, PickerCounts::default());
    let a = ops.alarms.nth_newest(0).unwrap();
    assert_eq!(
        (a.kind, a.place, a.detail.as_str()),
        (AlarmKind::StuckLight, Place::Module(2), "lit for 10 min")
    );
    ops.advance(700.0, 0, PickerCounts::default());
    assert_eq!(ops.alarms.len(), 1);
    ops.module(2, &reading(ModuleState::Idle, 0));
    assert_eq!(ops.alarms.open_count(), 0);
}

#[test]
fn mispicks_count_each_press() {
    let mut ops = Ops::new(OpsConfig::default());
    ops.advance(0.0, 0, PickerCounts::default());
    let mut r = reading(ModuleState::Idle, 0);
    ops.module(3, &r);
    r.fault = fault::UNEXPECTED_PRESS;
    r.press_count = 1;
    ops.module(3, &r);
    r.press_count = 2;
    ops.module(3, &r);
    ops.order_slot(0, &slot(4, OrderStatus::Active, 0, 1, 0, 0));
    ops.order_slot(0, &slot(4, OrderStatus::Done, 1, 1, 0, 0));
    ops.refresh();
    assert_eq!((ops.kpis().mispicks, ops.kpis().mispick_rate), (2, 2.0));
    assert_eq!(ops.alarms.len(), 1);
    assert_eq!(ops.alarms.nth_newest(0).unwrap().repeats, 1);
}

#[test]
fn a_fault_standing_before_the_twin_watched_is_no_mispick_of_its_shift() {
    let mut ops = Ops::new(OpsConfig::default());
    ops.advance(0.0, 0, PickerCounts::default());
    let mut r = reading(ModuleState::Idle, 0);
    r.fault = fault::UNEXPECTED_PRESS;
    r.press_count = 4;
    ops.module(3, &r);
    ops.refresh();
    assert_eq!(ops.kpis().mispicks, 0);
    let a = ops.alarms.nth_newest(0).expect("shown as an alarm");
    assert_eq!(a.detail, "button pressed while not lit (before the twin was watching)");
    // The next press while watched counts.
    r.press_count = 5;
    ops.module(3, &r);
    ops.refresh();
    assert_eq!(ops.kpis().mispicks, 1);
}

#[test]
fn controller_conditions() {
    let mut ops = Ops::new(OpsConfig::default());
    let mut h = ControllerHealth { connection: ConnectionState::Connected, ..ControllerHealth::default() };
    ops.health(1, &h);
    assert!(ops.alarms.is_empty());
    h.stale = true;
    ops.health(1, &h);
    h.status = 0b11;
    ops.health(1, &h);
    ops.disconnected(1, "connection refused");
    h.connection = ConnectionState::Disconnected;
    ops.health(1, &h);
    let kinds: Vec<_> = ops.alarms.newest_first().map(|a| (a.kind, a.is_open())).collect();
    assert_eq!(
        kinds,
        [
            (AlarmKind::ControllerOffline, true),
            (AlarmKind::HostWatchdog, true),
            (AlarmKind::ControllerStale, true)
        ]
    );
    assert_eq!(ops.alarms.nth_newest(0).unwrap().detail, "connection refused");
    h = ControllerHealth { connection: ConnectionState::Connected, ..ControllerHealth::default() };
    ops.health(1, &h);
    assert_eq!(ops.alarms.open_count(), 0);
    ops.exception(1, 3, 2, 30000);
    assert_eq!(ops.alarms.nth_newest(0).unwrap().detail, "FC03 at 30000: exception 02");
}

#[test]
fn modules_only_counts_lines_from_presses_and_says_there_is_no_order_source() {
    let mut config = OpsConfig::default();
    config.sources.orders = twin_model::sources::OrderSource::None;
    let mut ops = Ops::new(config);
    ops.advance(21_600.0, 0, BUSY);
    assert_eq!(ops.sources.orders, SourceView::NotConfigured);
    assert_eq!(ops.sources.orders.describe(twin_link::SourceKind::Orders, 0), "orders: no source configured");
    ops.module(4, &lit(0, 2));
    ops.advance(21_630.0, 0, BUSY);
    ops.module(4, &confirmed(0, 2, 2));
    ops.refresh();
    assert_eq!((ops.kpis().lines, ops.kpis().orders_done), (1, 0));
}

#[test]
fn wms_lines_tie_modules_to_their_order_and_picker() {
    let mut config = OpsConfig::default();
    config.sources.orders =
        twin_model::sources::OrderSource::WmsSql(Box::new(twin_model::sources::WmsSql::new("sqlite:x")));
    let mut ops = Ops::new(config);
    assert_eq!(ops.sources.orders, SourceView::Waiting);
    ops.advance(21_600.0, 0, BUSY);
    let s = OrderSlot { first_job: 0, ..slot(7, OrderStatus::Active, 0, 2, 21_500, 1) };
    ops.order_slot(3, &s);
    let line = |module| twin_link::OrderLine {
        order_id: 7,
        module,
        sku: twin_link::LocationText::from_text(&format!("PZN-{module}")),
        ..Default::default()
    };
    ops.order_line(3, 0, &line(12));
    ops.order_line(3, 1, &line(30));
    // A line for another order in the same slot is not this order's.
    ops.order_line(3, 1, &twin_link::OrderLine { order_id: 8, module: 99, ..Default::default() });
    assert_eq!(ops.orders.get(7).unwrap().modules, vec![12, 30]);
    ops.module(30, &lit(0, 5));
    assert_eq!(ops.order_modules(7), [30]);
    ops.advance(21_640.0, 0, BUSY);
    ops.module(30, &confirmed(0, 5, 5));
    let pick = *ops.picks().next().unwrap();
    assert_eq!((pick.order, pick.picker, pick.module, pick.line_s), (Some(7), Some(1), 30, Some(40.0)));
    assert_eq!(pick.sku.map(|s| s.as_str().to_owned()).as_deref(), Some("PZN-30"), "the line's article");
}

#[test]
fn source_alarms_follow_down_up_and_stale() {
    use twin_link::{LinkEvent, SourceHealth, SourceKind, SourceState, SourceType};
    let mut ops = Ops::new(OpsConfig::default());
    ops.advance(21_600.0, 10_000, BUSY);
    let open = |ops: &Ops, kind: AlarmKind| ops.alarms.newest_first().any(|a| a.kind == kind && a.is_open());
    ops.source_event(&LinkEvent::SourceDown {
        source: SourceKind::Orders,
        reason: "postgres: refused".into(),
    });
    assert!(open(&ops, AlarmKind::SourceDown));
    ops.source_event(&LinkEvent::SourceUp { source: SourceKind::Orders });
    assert!(!open(&ops, AlarmKind::SourceDown));
    let h = SourceHealth {
        kind: SourceType::WmsSql,
        state: SourceState::Ok,
        last_good_ms: 9_000,
        stale_after_ms: 3_000,
        ..Default::default()
    };
    ops.source(SourceKind::Orders, &h);
    assert!(!open(&ops, AlarmKind::SourceStale));
    assert_eq!(
        ops.sources.orders.describe(SourceKind::Orders, 10_000),
        "orders: WMS database ok, data age 1.0 s"
    );
    // Five seconds without a good poll: stale, and the view never says ok.
    ops.advance(21_605.0, 14_000, BUSY);
    assert!(open(&ops, AlarmKind::SourceStale));
    assert_eq!(
        ops.sources.orders.describe(SourceKind::Orders, 14_000),
        "orders: WMS database STALE, data age 5.0 s"
    );
    ops.source(SourceKind::Orders, &SourceHealth { last_good_ms: 14_000, ..h });
    assert!(!open(&ops, AlarmKind::SourceStale));
}

#[test]
fn a_cancelled_order_is_neither_done_nor_open() {
    let mut ops = Ops::new(OpsConfig::default());
    ops.advance(21_600.0, 0, BUSY);
    ops.order_slot(0, &slot(5, OrderStatus::Active, 1, 3, 21_000, 0));
    ops.order_slot(0, &slot(5, OrderStatus::Cancelled, 1, 3, 21_000, 0));
    ops.refresh();
    let k = ops.kpis();
    assert_eq!((k.orders_done, k.open_orders), (0, 0));
    assert_eq!(ops.orders.get(5).unwrap().status, OrderStatus::Cancelled);
}
