//! The viewer's intake (decode, version and layout checks, ordering, bounds): any sequence of
//! payloads leaves a mirror that fits the layout, and never panics. The input is split into
//! payloads at each `0xFF 0xFE` pair so the fuzzer can build sequences (keyframe, deltas...).
#![no_main]

use libfuzzer_sys::fuzz_target;
use twin_gateway::viewer::Intake;
use twin_record::TwinState;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let site = common::demo();
    let mut intake = Intake::new(&site);
    let mut mirror = TwinState::for_site(&site);
    let mut rest = data;
    loop {
        let cut = rest.windows(2).position(|w| w == [0xFF, 0xFE]);
        let (payload, next) = match cut {
            Some(i) => (&rest[..i], Some(&rest[i + 2..])),
            None => (rest, None),
        };
        let _ = intake.take(payload, &mut mirror, |_| {});
        assert!(mirror.check(intake.bounds()).is_ok(), "the mirror outgrew the layout");
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
});
