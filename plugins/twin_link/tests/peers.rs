//! The link against a PTL controller the project did not write: a pymodbus server
//! (tests/peers/ptl_controller.py) without the simulator's optional blocks, with a frozen
//! heartbeat, with a wrong map version, and as a per-unit gateway of another map shape.

use std::sync::Arc;
use std::time::{Duration, Instant};

use twin_link::{Block, ConnectionState, LinkEvent, LinkOptions};
use twin_model::Site;
use twin_model::codes::{Colour, ModuleState};

mod common;
use common::{Twin, layout, twin};

#[path = "../../../tests/peers/peer.rs"]
mod peer;
use peer::Peer;

fn fast(site: &Arc<Site>, endpoint: String) -> Twin {
    let options = LinkOptions {
        timeout: Duration::from_millis(500),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(500),
        ..LinkOptions::default()
    };
    twin(site, endpoint, options)
}

const LIT: u16 = ModuleState::Lit as u16;

#[test]
fn a_controller_without_the_optional_blocks_shows_its_lit_modules() {
    // The demo with its orders and pickers from the controller's blocks (the default sources),
    // so that all three optional blocks are asked for.
    let mut l = layout("demo.ron").layout.clone();
    l.sources = twin_model::sources::Sources::default();
    let site = std::sync::Arc::new(twin_model::Site::from_layout(l).unwrap());
    let peer = Peer::start(&[]);
    let mut t = fast(&site, peer.endpoint());
    let lit = |t: &mut Twin| t.module_at(&site, 3).state == LIT && t.module_at(&site, 120).state == LIT;
    assert!(t.until(Duration::from_secs(5), lit), "lit modules never arrived");
    let m = t.module_at(&site, 3);
    assert_eq!(
        (m.quantity, m.colour, m.location.as_str(), m.job),
        (7, Colour::Blue as u16, "A1-0122", 65538)
    );
    assert!(t.module_at(&site, 10).shortage_latch);
    assert!(t.module_at(&site, 3).online, "online bitmap read");
    // Each missing block is named with its address and exception, once.
    for (block, address) in [(Block::Changes, 16384), (Block::Pickers, 20000), (Block::Orders, 30000)] {
        assert!(
            t.until(Duration::from_secs(2), |t| t.saw(|e| matches!(e,
            LinkEvent::BlockMissing { block: b, code: 2, address: a, .. } if *b == block && *a == address))),
            "no alarm for {block:?}: {:?}",
            t.seen
        );
        assert!(t.health().is_missing(block));
    }
    // Degraded, not blind: fresh, connected, not stale, modules not stale, over several seconds.
    assert!(t.until(Duration::from_secs(2), |t| t.health().polls > 5));
    std::thread::sleep(Duration::from_millis(600));
    assert!(t.until(Duration::from_secs(1), |t| t.health().is_fresh()), "{:?}", t.health());
    assert!(!t.module_at(&site, 3).stale);
    assert!(!t.saw(|e| matches!(
        e,
        LinkEvent::Disconnected { .. } | LinkEvent::Stale { .. } | LinkEvent::Frozen { .. }
    )));
    t.link.stop();
}

#[test]
fn a_frozen_heartbeat_is_frozen_within_five_seconds() {
    let site = layout("demo.ron");
    let peer = Peer::start(&["--frozen"]);
    let mut t = fast(&site, peer.endpoint());
    let started = Instant::now();
    assert!(t.until(Duration::from_secs(5), |t| t.health().frozen), "not frozen in 5 s: {:?}", t.health());
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(2900), "frozen after {took:?}, before frozen_after_ms");
    assert!(t.saw(|e| matches!(e, LinkEvent::Frozen { controller: 0, .. })));
    assert!(t.until(Duration::from_secs(1), |t| t.module_at(&site, 3).stale), "modules not greyed");
    // And they stay greyed over the next cycles: the frozen controller still answers, its
    // readings must not un-grey the modules.
    let ungreyed = |t: &mut Twin| !t.module_at(&site, 3).stale || !t.module_at(&site, 120).stale;
    assert!(!t.until(Duration::from_millis(800), ungreyed), "frozen modules un-greyed by the next poll");
    assert!(!t.health().is_fresh());
    t.link.stop();
}

#[test]
fn a_wrong_map_version_is_refused_with_both_values() {
    let site = layout("demo.ron");
    let peer = Peer::start(&["--map-version", "2"]);
    let mut t = fast(&site, peer.endpoint());
    let refused = |t: &mut Twin| t.saw(|e| matches!(e, LinkEvent::Refused { .. }));
    assert!(t.until(Duration::from_secs(5), refused));
    let reason = t
        .seen
        .iter()
        .find_map(|e| match e {
            LinkEvent::Refused { reason, .. } => Some(reason.to_string()),
            _ => None,
        })
        .unwrap();
    for needle in ["demo.ron", "\"ptl-1\"", "map_version 2", "\"picktwin-v1\" version 1", "199 modules"] {
        assert!(reason.contains(needle), "{needle:?} not in {reason:?}");
    }
    assert!(t.until(Duration::from_secs(1), |t| t.health().connection == ConnectionState::Refused));
    // Its data is never applied.
    std::thread::sleep(Duration::from_millis(500));
    t.until(Duration::from_millis(100), |_| false);
    assert_ne!(t.module_at(&site, 3).state, LIT);
    assert_eq!(t.health().polls, 0);
    t.link.stop();
}

#[test]
fn a_per_unit_gateway_of_another_map_shape_shows_its_devices() {
    let site = layout("unit_gateway.ron");
    let peer = Peer::start(&["--per-unit"]);
    let mut t = fast(&site, peer.endpoint());
    let ok = |t: &mut Twin| t.module_at(&site, 4).state == LIT && t.module_at(&site, 17).shortage_latch;
    assert!(t.until(Duration::from_secs(10), ok), "{:?}", t.module_at(&site, 4));
    let m = t.module_at(&site, 4);
    assert_eq!((m.quantity, m.colour, m.location.as_str()), (6, Colour::Green as u16, "0005"));
    let m = t.module_at(&site, 17);
    assert_eq!(
        (m.state, m.confirmed_quantity, m.colour),
        (ModuleState::Shortage as u16, 1, Colour::Blue as u16)
    );
    assert_eq!(t.module_at(&site, 0).location.as_str(), "0001");
    assert!(t.until(Duration::from_secs(3), |t| t.health().is_fresh()), "{:?}", t.health());
    t.link.stop();
}
