//! End to end through a real Mosquitto on loopback: simulator → link → gateway → broker →
//! viewers, compared module by module with a direct `snapshot` of the simulator; a broker
//! restart mid-shift; a viewer with the wrong layout refusing.

mod common;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Broker, Gateway, free_port, layout, light, matches_snapshot, until, viewer};
use twin_gateway::{BrokerUrl, Connection, GatewayOptions, GatewayStats, Viewer, ViewerOptions};
use twin_model::codes;

#[test]
fn two_viewers_agree_with_a_direct_snapshot_and_late_joiners_start_from_the_keyframe() {
    let site = layout("demo.ron");
    let broker = Broker::start_on(free_port());
    let gateway = Gateway::start(&site, broker.url(), 0.0);
    let first = viewer(&site, &broker);
    assert!(
        until(Duration::from_secs(10), || gateway.stats().connected && first.stats().keyframes > 0),
        "{:?}",
        first.stats()
    );
    for (k, address) in [3u16, 17, 42, 101].into_iter().enumerate() {
        light(gateway.sim(), address, 10 + k as u16, 1);
    }
    // A late joiner, after the lights: complete from the retained keyframe within one period.
    std::thread::sleep(Duration::from_millis(600));
    let late = viewer(&site, &broker);
    assert!(until(Duration::from_secs(6), || late.stats().keyframes > 0));
    for v in [&first, &late] {
        assert!(
            until(Duration::from_secs(6), || matches_snapshot(&site, v, &gateway)),
            "viewer differs from the simulator"
        );
        let lit = v.state().modules.iter().filter(|m| m.mode == codes::Mode::Pick as u16).count();
        assert_eq!(lit, 4);
        assert!(v.stats().refused.is_none());
    }
    assert_eq!(first.stats().gateway_online, Some(true));
    assert!(first.stats().batches > 0 && first.stats().lag_ms.is_some());
}

#[test]
fn a_broker_restart_mid_shift_recovers_viewers_in_order() {
    let site = layout("demo.ron");
    let port = free_port();
    let mut broker = Broker::start_on(port);
    let gateway = Gateway::start(&site, broker.url(), 4000.0);
    let v = viewer(&site, &broker);
    assert!(until(Duration::from_secs(10), || v.stats().keyframes > 0));
    drop(broker);
    assert!(until(Duration::from_secs(5), || !gateway.stats().connected), "the gateway noticed");
    // The link keeps polling while the broker is down: changes are coalesced, not lost.
    light(gateway.sim(), 7, 77, 5);
    std::thread::sleep(Duration::from_secs(2));
    broker = Broker::start_on(port);
    assert!(
        until(Duration::from_secs(15), || gateway.stats().connected && gateway.stats().reconnects >= 1),
        "{:?}",
        gateway.stats()
    );
    assert!(until(Duration::from_secs(15), || v.stats().connected
        && v.state().modules[site.module_at(0, 7).unwrap() as usize].quantity == 77));
    let s = gateway.stats();
    assert!(s.coalesced > 0, "{s:?}");
    // With the floor moving, the viewer converges on the simulator again.
    assert!(until(Duration::from_secs(10), || matches_snapshot(&site, &v, &gateway)));
    drop(broker);
}

#[test]
fn a_viewer_with_another_layout_refuses_with_a_clear_message() {
    let site = layout("demo.ron");
    let broker = Broker::start_on(free_port());
    let _gateway = Gateway::start(&site, broker.url(), 0.0);
    let wrong = viewer(&layout("pharma_dc.ron"), &broker);
    assert!(until(Duration::from_secs(10), || wrong.stats().refused.is_some()));
    let text = wrong.stats().refused.unwrap();
    assert!(text.contains("layout id") && text.contains("open the viewer with the layout"), "{text}");
    assert!(wrong.state().modules.iter().all(|m| m.mode == 0), "nothing applied");
}

#[path = "../../../tests/support/certs.rs"]
mod certs;
use certs::sh;

#[test]
fn tls_and_a_password_reach_the_broker() {
    // A CA, a server certificate for 127.0.0.1 signed by it, a password file: a production-like
    // Mosquitto listener on loopback.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mqtt-tls");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let p = |n: &str| dir.join(n).to_str().unwrap().to_owned();
    certs::loopback_certs(&dir);
    sh(Command::new("mosquitto_passwd").args(["-b", "-c", &p("passwd"), "gw", "s3cret"]));
    let port = free_port();
    // Started as root, Mosquitto would switch to its own user, who cannot read these files.
    let me = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let conf = format!(
        "user {}\nlistener {port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\nallow_anonymous false\npassword_file {}\n",
        me.trim(),
        p("ca.pem"),
        p("server.crt"),
        p("server.key"),
        p("passwd")
    );
    std::fs::write(dir.join("mosquitto.conf"), conf).unwrap();
    let child = Command::new("mosquitto")
        .args(["-c", &p("mosquitto.conf")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned (killed on drop) before waiting, so a broker that fails to listen is still reaped.
    let broker = Broker { child, port };
    common::mosquitto::wait_for(port);
    let site = layout("demo.ron");
    let url: BrokerUrl = format!("mqtts://gw:s3cret@127.0.0.1:{port}/test").parse().unwrap();
    let ca = std::fs::read(dir.join("ca.pem")).unwrap();

    let gateway_stats = Arc::new(Mutex::new(GatewayStats::default()));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let stop = Arc::new(AtomicBool::new(false));
    let connection =
        Connection { broker: url.clone(), site: "test".into(), ca_pem: Some(ca.clone()), client_auth: None };
    let options = GatewayOptions::new(connection);
    let task =
        rt.spawn(twin_gateway::gateway::run(site.clone(), rx, options, gateway_stats.clone(), stop.clone()));
    let order = twin_link::OrderSlot { order_id: 4242, status: 1, ..Default::default() };
    assert!(
        until(Duration::from_secs(10), || gateway_stats.lock().unwrap().connected),
        "{:?}",
        gateway_stats.lock().unwrap()
    );
    tx.send(twin_link::LinkMessage::Order {
        slot: 1,
        order: twin_link::OrderSlot { lines_total: 1, ..order },
    })
    .unwrap();
    // A WMS order's line and the order source's health travel to viewers too (wire version 3).
    let line =
        twin_link::OrderLine { order_id: 4242, line_id: 7, module: 3, quantity: 2, ..Default::default() };
    tx.send(twin_link::LinkMessage::Line { slot: 1, index: 0, line }).unwrap();
    let health = twin_link::SourceHealth { polls: 9, ..Default::default() };
    tx.send(twin_link::LinkMessage::Source { source: twin_link::SourceKind::Orders, health }).unwrap();

    let v = Viewer::spawn(
        site.clone(),
        ViewerOptions { broker: url.clone(), site: "test".into(), ca_pem: Some(ca), client_auth: None },
        None,
    )
    .unwrap();
    assert!(until(Duration::from_secs(10), || v.state().orders[1].order_id == 4242), "{:?}", v.stats());
    assert!(
        until(Duration::from_secs(5), || v.state().lines.get(1).is_some_and(|l| l == &[line])),
        "{:?}",
        v.stats()
    );
    assert_eq!(v.state().order_source.map(|h| h.polls), Some(9));

    // A wrong password is refused by the broker: the viewer reports it and stays unconnected.
    let bad: BrokerUrl = format!("mqtts://gw:wrong@127.0.0.1:{port}/test").parse().unwrap();
    let ca = std::fs::read(dir.join("ca.pem")).unwrap();
    let refused = Viewer::spawn(
        site,
        ViewerOptions { broker: bad, site: "test".into(), ca_pem: Some(ca), client_auth: None },
        None,
    )
    .unwrap();
    assert!(until(Duration::from_secs(10), || refused.stats().last_error.is_some()));
    assert!(!refused.stats().connected);
    stop.store(true, Ordering::Relaxed);
    drop(tx);
    let _ = rt.block_on(task);
    drop(broker);
}
