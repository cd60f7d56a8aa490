//! The overlay's model fed through the ECS the way the live link feeds it: MinimalPlugins, the
//! link plugin and the overlay plugin, messages pushed into the view channel.

use std::sync::Arc;

use bevy::prelude::*;
use twin_link::{
    ConnectionState, ControllerHealth, LinkEvent, LinkMessage, LinkPlugin, LinkReceiver, LinkSite,
    ModuleReading, OrderSlot, view_channel,
};
use twin_model::Site;
use twin_model::codes::{ModuleState, OrderStatus};
use twin_overlay::ops::{AlarmKind, Place};
use twin_overlay::{OpsModel, OverlayPlugin};

fn demo() -> Arc<Site> {
    let path = format!("{}/../../layouts/demo.ron", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")))
}

/// MinimalPlugins, the link and the overlay on the demo site, fed through the view channel.
fn app(site: &Arc<Site>) -> (twin_link::ViewSender, App) {
    let (tx, rx) = view_channel(8);
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, LinkPlugin, OverlayPlugin::default()))
        .insert_resource(LinkSite(site.clone()))
        .insert_resource(LinkReceiver(rx));
    app.update();
    (tx, app)
}

#[test]
fn link_messages_become_orders_picks_kpis_and_alarms() {
    let site = demo();
    let (mut tx, mut app) = app(&site);

    let t0 = 7 * 3600;
    let health = |clock_s: u32, stale: bool| ControllerHealth {
        connection: ConnectionState::Connected,
        polls: 1,
        clock_s,
        clock_speed: 60,
        stale,
        ..ControllerHealth::default()
    };
    let order = |status: OrderStatus, done: u16| OrderSlot {
        order_id: 42,
        zone: 0,
        lines_total: 1,
        lines_done: done,
        priority: 1,
        status: status as u16,
        picker: 2,
        release_s: t0,
        due_s: 0,
        first_job: 900,
    };
    let lit = ModuleReading {
        state: ModuleState::Lit as u16,
        job: 900,
        quantity: 4,
        online: true,
        ..Default::default()
    };
    tx.push(LinkMessage::Health { controller: 0, health: Box::new(health(t0, false)) });
    tx.push(LinkMessage::Order { slot: 0, order: order(OrderStatus::Active, 0) });
    tx.push(LinkMessage::Module { module: 17, reading: lit });
    tx.ship();
    app.update();
    {
        let ops = &app.world().resource::<OpsModel>().0;
        assert_eq!(ops.now(), f64::from(t0), "the controller clock drives the overlay");
        assert_eq!(ops.orders.get(42).map(|o| o.status), Some(OrderStatus::Active));
        assert_eq!(ops.order_modules(42), [17]);
        assert!(ops.alarms.is_empty());
    }

    // 90 s later the picker confirms 3 of 4 and the order is done; then the controller goes stale.
    let short =
        ModuleReading { state: ModuleState::Shortage as u16, confirmed_quantity: 3, press_count: 1, ..lit };
    tx.push(LinkMessage::Health { controller: 0, health: Box::new(health(t0 + 90, false)) });
    tx.push(LinkMessage::Module { module: 17, reading: short });
    tx.push(LinkMessage::Event(LinkEvent::Shortage { module: 17, asked: 4, picked: 3 }));
    tx.push(LinkMessage::Order { slot: 0, order: order(OrderStatus::Done, 1) });
    tx.ship();
    app.update();
    tx.push(LinkMessage::Health { controller: 0, health: Box::new(health(t0 + 120, true)) });
    tx.ship();
    app.update();

    let ops = &app.world().resource::<OpsModel>().0;
    let pick = ops.picks().next().copied().expect("one pick");
    assert_eq!(
        (pick.module, pick.order, pick.picker, pick.asked, pick.picked),
        (17, Some(42), Some(2), 4, 3)
    );
    assert_eq!(pick.line_s, Some(90.0));
    let k = ops.kpis();
    assert_eq!((k.orders_done, k.lines, k.short_lines), (1, 1, 1));
    assert_eq!(k.avg_line_s, Some(90.0));
    let kinds: Vec<_> = ops.alarms.newest_first().map(|a| (a.kind, a.place)).collect();
    assert_eq!(
        kinds,
        [(AlarmKind::ControllerStale, Place::Controller(0)), (AlarmKind::Shortage, Place::Module(17))]
    );
}

#[test]
fn the_heatmap_colours_what_was_picked_and_clears_when_switched_off() {
    use twin_overlay::OverlayUi;
    use twin_overlay::ops::HeatWindow;
    use twin_scene::ModuleHeat;

    let site = demo();
    let (mut tx, mut app) = app(&site);
    let health = |clock_s: u32| ControllerHealth {
        connection: ConnectionState::Connected,
        polls: 1,
        clock_s,
        ..ControllerHealth::default()
    };
    // Module 5 picked twice, module 9 once, within the 06:00 shift.
    let mut t = 7 * 3600;
    for m in [5u32, 9, 5] {
        let lit = ModuleReading {
            state: ModuleState::Lit as u16,
            job: t,
            quantity: 1,
            online: true,
            ..Default::default()
        };
        let done = ModuleReading {
            state: ModuleState::Confirmed as u16,
            confirmed_quantity: 1,
            press_count: 1,
            ..lit
        };
        for (dt, reading) in [(0, lit), (30, done)] {
            tx.push(LinkMessage::Health { controller: 0, health: Box::new(health(t + dt)) });
            tx.push(LinkMessage::Module { module: m, reading });
            tx.ship();
            app.update();
        }
        t += 60;
    }
    assert_eq!(app.world().resource::<ModuleHeat>(), &ModuleHeat::default(), "off by default");
    app.world_mut().resource_mut::<OverlayUi>().state.heat = Some(HeatWindow::Shift);
    app.update();
    let heat = app.world().resource::<ModuleHeat>().clone();
    assert!(heat.on);
    assert_eq!((heat.levels[5], heat.levels[9], heat.levels[0]), (255, 128, 0));
    assert_eq!(heat.levels.len(), site.modules.len());
    let counts = app.world().resource::<twin_overlay::heat::HeatCounts>();
    assert_eq!(counts.0.module_line(5).as_deref(), Some("2 picks this shift"));
    app.world_mut().resource_mut::<OverlayUi>().state.heat = None;
    app.update();
    assert_eq!(app.world().resource::<ModuleHeat>(), &ModuleHeat::default(), "switched off");
}
