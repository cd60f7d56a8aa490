//! The hot path in the ECS: deltas land on the right entities, only changed entities report
//! `Changed`, the per-frame budget holds, and facts become messages.

use std::sync::Arc;

use bevy_app::{App, TaskPoolPlugin};
use bevy_ecs::message::Messages;
use bevy_ecs::prelude::*;
use twin_link::channel::Shipped;
use twin_link::{
    ButtonConfirmed, LightModule, LinkBudget, LinkEvent, LinkMessage, LinkPlugin, LinkReceiver, LinkSite,
    ModuleEntities, ModuleReading, OrderBoard, OrderSlot, ViewSender, view_channel,
};
use twin_model::Site;

/// Sends messages as the poller does: batched, then shipped.
fn send(tx: &mut ViewSender, msgs: impl IntoIterator<Item = LinkMessage>) {
    for m in msgs {
        assert_eq!(tx.push(m), Shipped::Sent);
    }
    assert_eq!(tx.ship(), Shipped::Sent);
}

fn app(site: &str) -> (App, ViewSender, Arc<Site>) {
    let path = format!("{}/../../layouts/{site}", env!("CARGO_MANIFEST_DIR"));
    let site = Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")));
    let (tx, rx) = view_channel(64);
    let mut app = App::new();
    app.add_plugins((TaskPoolPlugin::default(), LinkPlugin))
        .insert_resource(LinkSite(site.clone()))
        .insert_resource(LinkReceiver(rx));
    app.update(); // Startup: spawn entities.
    (app, tx, site)
}

#[derive(Resource, Default)]
struct ChangedCount(Vec<u32>);

fn count_changed(q: Query<&LightModule, Changed<LightModule>>, mut out: ResMut<ChangedCount>) {
    out.0 = q.iter().map(|m| m.index).collect();
}

#[test]
fn a_burst_of_100k_deltas_marks_only_the_changed_modules() {
    let (mut app, mut tx, site) = app("stress.ron");
    app.init_resource::<ChangedCount>().add_systems(bevy_app::Update, count_changed);
    assert_eq!(app.world().resource::<ModuleEntities>().0.len(), site.modules.len());
    app.update(); // every module is "changed" once after spawning
    // 100,000 deltas: 1,000 modules change (100 deltas each, the last one wins); every other
    // delta repeats the module's current state.
    let n = site.modules.len() as u32;
    let mut expected = Vec::new();
    let mut burst = Vec::new();
    for round in 0..100u16 {
        for k in 0..1000u32 {
            let module = k * 97 % n;
            let reading = ModuleReading { quantity: round + 1, mode: 1, ..ModuleReading::default() };
            burst.push(LinkMessage::Module { module, reading });
            if round == 0 {
                expected.push(module);
            }
        }
    }
    send(&mut tx, burst);
    app.update();
    let mut changed = app.world().resource::<ChangedCount>().0.clone();
    changed.sort_unstable();
    expected.sort_unstable();
    assert_eq!(changed, expected);
    let e = app.world().resource::<ModuleEntities>().0[expected[0] as usize];
    assert_eq!(app.world().get::<LightModule>(e).unwrap().reading.quantity, 100, "latest wins");
    // Repeating the same states changes nothing.
    send(
        &mut tx,
        expected.iter().map(|&module| LinkMessage::Module {
            module,
            reading: ModuleReading { quantity: 100, mode: 1, ..Default::default() },
        }),
    );
    app.update();
    assert!(app.world().resource::<ChangedCount>().0.is_empty());
}

#[test]
fn the_budget_spreads_a_backlog_over_frames() {
    let (mut app, mut tx, _) = app("demo.ron");
    app.insert_resource(LinkBudget(50));
    send(
        &mut tx,
        (0..120u16).map(|q| LinkMessage::Module {
            module: 0,
            reading: ModuleReading { quantity: q, ..Default::default() },
        }),
    );
    app.update();
    assert_eq!(app.world().resource::<LinkReceiver>().0.backlog(), 70);
    app.update();
    app.update();
    assert_eq!(app.world().resource::<LinkReceiver>().0.backlog(), 0);
    let e = app.world().resource::<ModuleEntities>().0[0];
    assert_eq!(app.world().get::<LightModule>(e).unwrap().reading.quantity, 119, "the last state wins");
}

#[test]
fn orders_and_events_arrive() {
    let (mut app, mut tx, _) = app("demo.ron");
    let order = OrderSlot { order_id: 77, lines_total: 3, status: 1, ..Default::default() };
    send(
        &mut tx,
        [
            LinkMessage::Order { slot: 5, order },
            LinkMessage::Event(LinkEvent::Confirmed { module: 9, quantity: 2 }),
        ],
    );
    app.update();
    assert_eq!(app.world().resource::<OrderBoard>().slots[5], order);
    let confirmed: Vec<_> =
        app.world().resource::<Messages<ButtonConfirmed>>().iter_current_update_messages().cloned().collect();
    assert_eq!(confirmed.len(), 1);
    assert_eq!((confirmed[0].module, confirmed[0].quantity), (9, 2));
}
