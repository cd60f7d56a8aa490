//! Picker sources end to end: RTLS JSON published with `mosquitto_pub` (a client we did not
//! write) through a real Mosquitto reaches the ECS in the plan frame (rotation, scale and
//! offset applied), garbage is refused and counted without stopping the feed; without an
//! RTLS, the inferred picker moves to the module whose line they confirmed.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use twin_link::{LinkMessage, SourceKind};
use twin_model::Site;
use twin_model::codes::{Mode, PickerState};
use twin_model::layout::Point2;
use twin_model::sources::{PickerSource, RtlsFrame, RtlsMqtt, TagAssignment, WmsSql};
use twin_overlay::ops::{AlarmKind, Place};
use twin_sim::Command as SimCommand;
use twin_sources::{SQLITE_REFERENCE_SCHEMA, SourceOverrides};

mod common;
use common::{Broker, Twin, layout, temp_dir};

fn publish(port: u16, topic: &str, payload: &str) {
    let ok = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", topic, "-m", payload])
        .status()
        .expect("mosquitto_pub is installed (.ci/run installs mosquitto-clients)");
    assert!(ok.success());
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

#[test]
fn rtls_positions_arrive_in_the_plan_frame_and_garbage_is_refused() {
    let broker = Broker::start();
    let mut layout_ = layout("demo.ron").layout;
    let picker = layout_.pickers[1].id.clone();
    layout_.sources.pickers = PickerSource::RtlsMqtt(Box::new(RtlsMqtt {
        broker: format!("mqtt://127.0.0.1:{}", broker.port),
        topic: "rtls/+/location".into(),
        // The RTLS measures millimetres, its x axis along the plan's y, origin at (10, 2) m.
        frame: RtlsFrame { origin: Point2 { x: 10.0, y: 2.0 }, rotation_deg: 90.0, scale: 0.001 },
        tags: vec![TagAssignment { tag: "T-0042".into(), picker: picker.clone() }],
        stale_after_s: 1.0,
    }));
    let site = Arc::new(Site::from_layout(layout_).unwrap());
    let mut twin = Twin::start(&site, &["127.0.0.1:1".into()], &SourceOverrides::default());
    assert!(twin.until(Duration::from_secs(10), |t| t.seen.iter().any(|m| matches!(m,
        LinkMessage::Source { source: SourceKind::Pickers, health } if health.state == twin_link::SourceState::Ok))));
    // Subscribed just after the connection is acknowledged; give the SUBSCRIBE a moment.
    std::thread::sleep(Duration::from_millis(300));
    publish(broker.port, "rtls/a/location", "{not json");
    publish(broker.port, "rtls/a/location", r#"{"tag":"T-9999","x":1,"y":1,"ts":1}"#);
    let ts = now_ms();
    publish(
        broker.port,
        "rtls/a/location",
        &format!(r#"{{"tag":"T-0042","x":2000,"y":1000,"z":1500,"ts":{ts},"accuracy":150}}"#),
    );
    // (2, 1) m rotated 90° is (-1, 2); plus the origin: (9, 4) m on the plan.
    assert!(
        twin.until(Duration::from_secs(5), |t| {
            let p = t.picker(1);
            (p.x_cm, p.y_cm) == (900, 400)
        }),
        "ECS picker: {:?}",
        twin.picker(1)
    );
    let p = twin.picker(1);
    assert!(!p.inferred && !p.stale);
    // A move east-north-east: walking, heading along the move.
    publish(
        broker.port,
        "rtls/a/location",
        &format!(r#"[{{"tag":"T-0042","x":2000,"y":0,"ts":{}}}]"#, ts + 500),
    );
    assert!(twin.until(Duration::from_secs(5), |t| t.picker(1).x_cm == 1000));
    let p = twin.picker(1);
    assert_eq!((p.y_cm, p.state, p.heading_cdeg), (400, PickerState::Walking as u16, 0));
    // The refusals are counted and alarmed in one summary, and the feed went on.
    assert!(twin.until(Duration::from_secs(5), |t| {
        t.ops
            .alarms
            .newest_first()
            .any(|a| a.kind == AlarmKind::SourceRejected && a.place == Place::Source(SourceKind::Pickers))
    }));
    // No update for a second: stale.
    assert!(twin.until(Duration::from_secs(5), |t| t.picker(1).stale), "a silent tag shows stale");
}

#[test]
fn inferred_pickers_move_to_the_module_they_confirmed() {
    let dir = temp_dir("infer");
    let path = dir.join("wms.sqlite");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(SQLITE_REFERENCE_SCHEMA).unwrap();
    let mut layout_ = layout("demo.ron").layout;
    layout_.sources.pickers = PickerSource::Inferred { idle_after_s: 600 };
    let site = Arc::new(Site::from_layout(layout_).unwrap());
    let (rt, sim, endpoints) = common::still_sim(&site, twin_sim::SimExtras::default());
    let wms = WmsSql { poll_ms: 100, ..WmsSql::new(format!("sqlite:{}", path.display())) };
    let mut twin = Twin::start(&site, &endpoints, &SourceOverrides { wms: Some(wms), ..Default::default() });
    let m = &site.modules[12];
    let picker = &site.layout.pickers[2].id;
    db.execute(
        "INSERT INTO wms_order VALUES (9, 0, 'PICK', '2026-12-01T08:00:00+00:00', NULL, 'picking', ?1, 1)",
        [picker],
    )
    .unwrap();
    db.execute("INSERT INTO wms_line VALUES (90, 9, ?1, 'PZN-9', 2, NULL, 'lit', 2)", [&*m.location])
        .unwrap();
    assert!(twin.until(Duration::from_secs(5), |t| t.ops.orders.get(9).is_some_and(|o| o.modules == [12])));
    // The module lights, then the picker presses it.
    {
        let mut c = sim.controllers()[0].lock().unwrap();
        let cmd = SimCommand {
            mode: Mode::Pick,
            quantity: 2,
            location: &m.location,
            colour: 2,
            job: 0,
            sequence: 1,
        };
        c.command(m.address, cmd).unwrap();
    }
    assert!(twin.until(Duration::from_secs(5), |t| t.ops.lit_since(12).is_some()));
    sim.controllers()[0].lock().unwrap().press(m.address, 2);
    // In front of the module (0.6 m along its facing), marked inferred.
    let n = m.facing.normal();
    let want = (
        ((m.position[0] + n[0] * 0.6) * 100.0).round() as u16,
        ((m.position[1] + n[1] * 0.6) * 100.0).round() as u16,
    );
    assert!(
        twin.until(Duration::from_secs(5), |t| (t.picker(2).x_cm, t.picker(2).y_cm) == want),
        "{:?} vs {want:?}",
        twin.picker(2)
    );
    let p = twin.picker(2);
    assert!(p.inferred, "drawn as inferred");
    assert_eq!((p.state, p.order), (PickerState::Picking as u16, 9));
    drop(twin);
    rt.block_on(sim.shutdown());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_simulator_plays_the_rtls_and_the_twin_places_its_pickers_where_they_are() {
    let broker = Broker::start();
    let mut layout_ = layout("demo.ron").layout;
    let tags = layout_
        .pickers
        .iter()
        .map(|p| TagAssignment { tag: format!("tag-{}", p.id), picker: p.id.clone() })
        .collect();
    layout_.sources.pickers = PickerSource::RtlsMqtt(Box::new(RtlsMqtt {
        broker: format!("mqtt://127.0.0.1:{}", broker.port),
        topic: "site/rtls/#".into(),
        frame: RtlsFrame { origin: Point2 { x: 3.0, y: -1.5 }, rotation_deg: -30.0, scale: 0.01 },
        tags,
        stale_after_s: 10.0,
    }));
    let site = Arc::new(Site::from_layout(layout_).unwrap());
    let extras = twin_sim::SimExtras { rtls: Some(("127.0.0.1".into(), broker.port)), ..Default::default() };
    let (rt, sim, endpoints) = common::still_sim(&site, extras);
    let mut twin = Twin::start(&site, &endpoints, &SourceOverrides::default());
    let truth = sim.picker_positions();
    let close = |t: &Twin| {
        (0..truth.len()).all(|i| {
            let p = t.picker(i);
            (f32::from(p.x_cm) / 100.0 - truth[i][0]).abs() <= 0.011
                && (f32::from(p.y_cm) / 100.0 - truth[i][1]).abs() <= 0.011
        })
    };
    let ok = twin.until(Duration::from_secs(10), |t| close(t));
    let ecs: Vec<_> = (0..truth.len()).map(|i| twin.picker(i)).collect();
    assert!(ok, "ECS {ecs:?} vs simulator {truth:?}");
    drop(twin);
    rt.block_on(sim.shutdown());
}
