//! The RTLS decoder: any MQTT payload is accepted or refused (counted), never a panic, and
//! every message it accepts names a picker of the layout.
#![no_main]

use libfuzzer_sys::fuzz_target;
use twin_link::{Bounds, LinkMessage};
use twin_model::sources::{RtlsFrame, RtlsMqtt, TagAssignment};
use twin_sources::rtls::Tracker;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let site = common::demo();
    // Two tags of the roster, a rotated and scaled frame: the decoder's whole path.
    let tags = site.layout.pickers.iter().take(2).enumerate();
    let cfg = RtlsMqtt {
        broker: "mqtt://127.0.0.1:1".into(),
        topic: "rtls/#".into(),
        frame: RtlsFrame { rotation_deg: 30.0, scale: 0.001, ..RtlsFrame::default() },
        tags: tags.map(|(i, p)| TagAssignment { tag: format!("T-{i}"), picker: p.id.clone() }).collect(),
        stale_after_s: 1.0,
    };
    let mut tracker = Tracker::new(&site, cfg);
    let mut out: Vec<LinkMessage> = Vec::new();
    let _ = tracker.payload(data, &mut out);
    let bounds = Bounds::for_site(&site);
    assert!(out.iter().all(|m| bounds.check(m).is_ok()));
});
