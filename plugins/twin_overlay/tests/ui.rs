//! UI tests with egui_kittest: the overlay's panels driven through AccessKit like a user would,
//! fed from a model built the way the link feeds it.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use twin_link::{ConnectionState, ControllerHealth, OrderSlot};
use twin_model::Site;
use twin_model::codes::{NO_PICKER, OrderStatus};
use twin_overlay::ops::{Ops, OpsConfig, PickerCounts};
use twin_overlay::ui::{self, Frame, Inspect, UiAction, UiState};

fn demo() -> Site {
    Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")).expect("demo layout")
}

fn slot(id: u32, zone: u16, status: OrderStatus, release: u32) -> OrderSlot {
    OrderSlot {
        order_id: id,
        zone,
        lines_total: 3,
        lines_done: if status == OrderStatus::Done { 3 } else { 0 },
        priority: 0,
        status: status as u16,
        picker: NO_PICKER,
        release_s: release,
        due_s: 0,
        first_job: id * 10,
    }
}

/// A model with three orders on the board at 07:00.
fn model() -> Ops {
    let mut ops = Ops::new(OpsConfig::default());
    ops.advance(7.0 * 3600.0, 0, PickerCounts::default());
    ops.order_slot(0, &slot(1201, 0, OrderStatus::Pending, 25_000));
    ops.order_slot(1, &slot(1302, 0, OrderStatus::Active, 25_100));
    ops.order_slot(2, &slot(1403, 1, OrderStatus::Done, 24_000));
    ops
}

struct State {
    ops: Ops,
    ui: UiState,
    health: Vec<ControllerHealth>,
    actions: Vec<UiAction>,
    wall_ms: u64,
}

fn harness<'a>(
    site: &'a Site,
    panel: fn(&mut egui::Ui, &Frame, &mut UiState, &mut Vec<UiAction>),
) -> Harness<'a, State> {
    let state = State {
        ops: model(),
        ui: UiState::default(),
        health: vec![ControllerHealth { connection: ConnectionState::Connected, ..Default::default() }],
        actions: Vec::new(),
        wall_ms: 0,
    };
    Harness::builder().with_size([900.0, 600.0]).build_ui_state(
        move |ui, s: &mut State| {
            let frame = Frame {
                site,
                ops: &s.ops,
                health: &s.health,
                inspect: Inspect::None,
                source: "test",
                wall_ms: s.wall_ms,
                recording: None,
                fresh: &twin_overlay::ops::Freshness::default(),
                heat: None,
            };
            let mut actions = Vec::new();
            panel(ui, &frame, &mut s.ui, &mut actions);
            s.actions.extend(actions);
        },
        state,
    )
}

#[test]
fn order_table_shows_the_board_rows() {
    let site = demo();
    let h = harness(&site, ui::queue_panel);
    for id in ["1201", "1302", "1403"] {
        h.get_by_label(id);
    }
    h.get_by_label("pending 1");
    h.get_by_label("active 1");
    h.get_by_label("done 1");
    assert!(h.query_by_label("9999").is_none());
}

#[test]
fn filters_and_search_narrow_the_rows() {
    let site = demo();
    let mut h = harness(&site, ui::queue_panel);
    h.get_by_label("done 1").click();
    h.run();
    assert!(h.query_by_label("1403").is_none(), "done orders hidden");
    h.get_by_label("1201");
    h.get_by_role(egui::accesskit::Role::TextInput).click();
    h.run();
    h.get_by_role(egui::accesskit::Role::TextInput).type_text("30");
    h.run();
    assert_eq!(h.state().ui.view.search, "30");
    assert!(h.query_by_label("1201").is_none(), "1201 does not contain 30");
    h.get_by_label("1302");
    assert_eq!(h.state().ui.view.search, "30");
}

#[test]
fn clicking_an_order_selects_it_for_the_scene() {
    let site = demo();
    let mut h = harness(&site, ui::queue_panel);
    h.get_by_label("1302").click();
    h.run();
    assert_eq!(h.state().ui.selected_order, Some(1302));
    assert!(h.state().actions.contains(&UiAction::SelectOrder(Some(1302))));
    h.get_by_label("fly to").click();
    h.run();
    assert!(h.state().actions.contains(&UiAction::FlyToOrder(1302)));
}

#[test]
fn an_alarm_appears_when_a_controller_goes_stale() {
    let site = demo();
    let mut h = harness(&site, ui::alarms_panel);
    h.get_by_label("no alarms");
    let stale =
        ControllerHealth { connection: ConnectionState::Connected, stale: true, ..Default::default() };
    h.state_mut().ops.health(0, &stale);
    h.state_mut().health[0] = stale;
    h.run();
    h.get_by_label("stale");
    h.get_by_label("ptl-1");
    assert!(h.query_by_label("no alarms").is_none());
    h.get_by_label("ack").click();
    h.run();
    let id = h.state().ops.alarms.nth_newest(0).unwrap().id;
    assert!(h.state().actions.contains(&UiAction::Acknowledge(id)));
}

#[test]
fn health_table_shows_state_per_controller() {
    let site = demo();
    let mut h = harness(&site, |ui, f, _, _| ui::health_panel(ui, f));
    h.get_by_label("online");
    h.state_mut().health[0].connection = ConnectionState::Disconnected;
    h.run();
    h.get_by_label("offline");
}

#[test]
fn kpi_panel_shows_the_figures() {
    let site = demo();
    let h = harness(&site, |ui, f, _, _| ui::kpi_panel(ui, f));
    // One order done since 07:00 and no time observed: rates are 0, counts are exact.
    h.get_by_label("0.0  (0 done)");
    h.get_by_label("open orders");
}

#[test]
fn the_whole_overlay_draws_and_the_record_button_asks_to_record() {
    let site = demo();
    let control = twin_overlay::RecordingControl { available: true, ..Default::default() };
    let state = State {
        ops: model(),
        ui: UiState::default(),
        health: vec![ControllerHealth { connection: ConnectionState::Connected, ..Default::default() }],
        actions: Vec::new(),
        wall_ms: 0,
    };
    let mut h = Harness::builder().with_size([1600.0, 900.0]).build_ui_state(
        |ui, s: &mut State| {
            let frame = Frame {
                site: &site,
                ops: &s.ops,
                health: &s.health,
                inspect: Inspect::None,
                source: "simulator",
                wall_ms: 0,
                recording: Some(&control),
                fresh: &twin_overlay::ops::Freshness::default(),
                heat: None,
            };
            let actions = ui::draw(ui, &frame, &mut s.ui);
            s.actions.extend(actions);
        },
        state,
    );
    // Every panel is there: queue rows, KPIs, controllers, alarms.
    h.get_by_label("1302");
    h.get_by_label("Shift KPIs");
    h.get_by_label("ptl-1");
    h.get_by_label("acknowledge all");
    h.get_by_label("record").click();
    h.run();
    assert!(h.state().actions.contains(&UiAction::ToggleRecording));
}

#[test]
fn without_an_order_source_the_queue_says_so_and_a_stale_one_says_stale() {
    let site = demo();
    let mut h = harness(&site, ui::queue_panel);
    let mut config = OpsConfig::default();
    config.sources.orders = twin_model::sources::OrderSource::None;
    h.state_mut().ops = Ops::new(config);
    h.run();
    assert!(h.query_by_label_contains("no order source configured").is_some());
    // A WMS source whose last good poll is long past: the queue's heading says STALE, not ok.
    let mut config = OpsConfig::default();
    config.sources.orders =
        twin_model::sources::OrderSource::WmsSql(Box::new(twin_model::sources::WmsSql::new("sqlite:x")));
    let mut ops = Ops::new(config);
    let health = twin_link::SourceHealth {
        state: twin_link::SourceState::Ok,
        last_good_ms: 1,
        stale_after_ms: 3000,
        ..Default::default()
    };
    ops.source(twin_link::SourceKind::Orders, &health);
    h.state_mut().ops = ops;
    h.state_mut().wall_ms = 2_000;
    h.run();
    assert!(h.query_by_label_contains("WMS database ok, data age 2.0 s").is_some());
    h.state_mut().wall_ms = 10_000;
    h.run();
    assert!(h.query_by_label_contains("WMS database STALE, data age 10.0 s").is_some());
}

#[test]
fn stale_data_puts_a_banner_on_the_wall_and_its_age_in_the_top_bar() {
    let site = demo();
    let mut ops = model();
    ops.advance(14.0 * 3600.0 + 3.0 * 60.0 + 27.0, 0, PickerCounts::default());
    let health = vec![ControllerHealth {
        connection: ConnectionState::Connected,
        last_good_poll_ms: 100_000,
        ..Default::default()
    }];
    for (kiosk, wall_ms) in [(true, 142_000), (false, 142_000), (false, 100_400)] {
        let fresh =
            twin_overlay::ops::freshness(&site, &health, wall_ms, None, twin_overlay::ops::Judge::Age);
        let mut ui_state = UiState::new(kiosk);
        let mut h = Harness::builder().with_size([1920.0, 1080.0]).build_ui(|ui| {
            let frame = Frame {
                site: &site,
                ops: &ops,
                health: &health,
                inspect: Inspect::None,
                source: "Modbus TCP",
                wall_ms,
                recording: None,
                fresh: &fresh,
                heat: None,
            };
            ui::draw(ui, &frame, &mut ui_state);
        });
        h.run();
        let banner =
            h.query_by_label_contains("DATA STALE — last update 14:03:27 (42 s ago): ptl-1").is_some();
        assert_eq!(banner, wall_ms == 142_000, "kiosk {kiosk} at {wall_ms}");
        if wall_ms == 100_400 {
            assert!(h.query_by_label_contains("data age 0.4 s").is_some());
        }
    }
}
