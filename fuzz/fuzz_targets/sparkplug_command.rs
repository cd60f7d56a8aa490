//! The Sparkplug edge node's commands (NCMD/DCMD payloads from anyone who can publish on the
//! broker): any bytes are a rebirth or a refusal with a reason, never a panic; a rebirth's
//! births still encode. The first byte picks the topic (node or device command).
#![no_main]

use libfuzzer_sys::fuzz_target;
use twin_gateway::sparkplug::session::Command;
use twin_gateway::sparkplug::{Edge, SparkplugTopics, View};
use twin_ops::{Ops, OpsConfig};
use twin_record::TwinState;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, payload)) = data.split_first() else { return };
    let site = common::demo();
    let topics = SparkplugTopics::new(&"plant/edge".parse().unwrap(), "demo");
    let topic = if pick & 1 == 0 { topics.node("NCMD") } else { topics.device("DCMD", "ptl-1") };
    let mut edge = Edge::new(&site, topics, 1_000);
    match edge.command(&topic, payload) {
        Command::Rebirth => {
            let state = TwinState::for_site(&site);
            let ops = Ops::new(OpsConfig::for_site(&site));
            let births = edge.births(&View { site: &site, state: &state, ops: &ops, now_ms: 1 });
            assert!(!births.is_empty(), "a rebirth sends at least the NBIRTH");
        }
        Command::Refused(why) => assert!(!why.is_empty()),
    }
});
