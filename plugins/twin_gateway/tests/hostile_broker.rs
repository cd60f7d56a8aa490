//! Hostile and broken feeds through a real Mosquitto: garbage published with `mosquitto_pub`
//! on the deltas topic and as a retained keyframe, and a broker outage while the floor keeps
//! changing. Viewers count what they refuse, keep applying what follows, and never rewind.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Broker, Gateway, free_port, layout, light, matches_snapshot, until, viewer};
use twin_gateway::{Sink, Topics, Viewer, ViewerOptions};
use twin_link::LinkMessage;

fn publish(broker: &Broker, topic: &str, payload: &str, retain: bool) {
    let port = broker.port.to_string();
    let mut args = vec!["-h", "127.0.0.1", "-p", &port, "-q", "1", "-t", topic, "-m", payload];
    if retain {
        args.push("-r");
    }
    let out = Command::new("mosquitto_pub")
        .args(&args)
        .output()
        .expect("mosquitto_pub is installed (.ci/run installs mosquitto-clients)");
    assert!(out.status.success(), "mosquitto_pub: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn garbage_on_the_deltas_topic_and_a_retained_garbage_keyframe_delay_but_never_block() {
    let site = layout("demo.ron");
    let broker = Broker::start_on(free_port());
    let gateway = Gateway::start(&site, broker.url(), 0.0);
    let topics = Topics::new("test");
    let first = viewer(&site, &broker);
    assert!(until(Duration::from_secs(10), || first.stats().keyframes > 0), "{:?}", first.stats());

    // The issue's scenario: 8 bytes of garbage on the deltas topic.
    publish(&broker, &topics.deltas, "garbage1", false);
    assert!(until(Duration::from_secs(5), || first.stats().bad_payloads == 1), "{:?}", first.stats());
    let bad = first.stats().last_bad.unwrap();
    assert!(bad.starts_with("bad payload from picktwin/test/v3/deltas:"), "{bad}");
    // ... and the good messages after it still apply.
    light(gateway.sim(), 5, 11, 1);
    let module = site.module_at(0, 5).unwrap() as usize;
    assert!(
        until(Duration::from_secs(5), || first.state().modules[module].quantity == 11),
        "{:?}",
        first.stats()
    );
    assert!(
        until(Duration::from_secs(5), || first.stats().refused.is_none()),
        "a good payload clears the refusal"
    );
    assert!(first.stats().last_good_ms.is_some());

    // A retained garbage keyframe: a viewer joining now gets it first, refuses it, and starts
    // from the gateway's next keyframe (every 2 s here).
    publish(&broker, &topics.keyframe, "garbage-keyframe", true);
    let late = viewer(&site, &broker);
    assert!(until(Duration::from_secs(5), || late.stats().bad_payloads >= 1), "{:?}", late.stats());
    assert!(until(Duration::from_secs(8), || late.stats().keyframes > 0), "{:?}", late.stats());
    light(gateway.sim(), 9, 12, 1);
    for v in [&first, &late] {
        assert!(until(Duration::from_secs(6), || matches_snapshot(&site, v, &gateway)), "{:?}", v.stats());
    }
    assert_eq!(first.stats().bad_payloads, 2, "the first viewer saw the retained garbage too");
}

#[test]
fn a_broker_outage_while_the_floor_changes_never_rewinds_a_viewer() {
    let site = layout("demo.ron");
    let port = free_port();
    let mut broker = Broker::start_on(port);
    let gateway = Arc::new(Gateway::start(&site, broker.url(), 0.0));
    let (tx, rx) = crossbeam_channel::unbounded();
    let options =
        ViewerOptions { broker: broker.url(), site: "test".into(), ca_pem: None, client_auth: None };
    let v = Viewer::spawn(site.clone(), options, Some(Sink::Channels(vec![tx]))).unwrap();
    assert!(until(Duration::from_secs(10), || v.stats().keyframes > 0));
    let module = site.module_at(0, 7).unwrap();

    // One module counts up every 10 ms, before, during and after the outage.
    let counting = Arc::new(AtomicBool::new(true));
    let (g, run) = (gateway.clone(), counting.clone());
    let writer = std::thread::spawn(move || {
        let mut q = 1u16;
        while run.load(Ordering::Relaxed) {
            light(g.sim(), 7, q, q);
            q += 1;
            std::thread::sleep(Duration::from_millis(10));
        }
        q - 1
    });
    std::thread::sleep(Duration::from_millis(800));
    drop(broker);
    std::thread::sleep(Duration::from_millis(1500));
    broker = Broker::start_on(port);
    assert!(until(Duration::from_secs(15), || gateway.stats().reconnects >= 1), "{:?}", gateway.stats());
    std::thread::sleep(Duration::from_millis(800));
    counting.store(false, Ordering::Relaxed);
    let last = writer.join().unwrap();
    assert!(
        until(Duration::from_secs(10), || v.state().modules[module as usize].quantity == last),
        "the viewer reaches the last value {last}"
    );

    // Every value of the writer's the viewer applied for that module, in order (the idle module
    // before it reads blank, 0xFFFF): never lower than the one before.
    let seen: Vec<u16> = rx
        .try_iter()
        .filter_map(|m| match m {
            LinkMessage::Module { module: m, reading }
                if m == module && (1..=last).contains(&reading.quantity) =>
            {
                Some(reading.quantity)
            }
            _ => None,
        })
        .collect();
    assert!(seen.len() > 5, "{} values", seen.len());
    let rewinds: Vec<(u16, u16)> = seen.windows(2).filter(|w| w[1] < w[0]).map(|w| (w[0], w[1])).collect();
    assert!(rewinds.is_empty(), "the viewer went back: {rewinds:?}");
    drop(broker);
}
