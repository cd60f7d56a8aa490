//! The recording reader: opening any bytes either fails with an error or gives a recording
//! whose every state fits its layout; seeking and playing never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use twin_link::Bounds;
use twin_record::Recording;

fuzz_target!(|data: &[u8]| {
    let Ok(rec) = Recording::from_bytes("fuzz.ptrec", data.to_vec(), None, |_| {}) else { return };
    let bounds = Bounds::for_site(&rec.site);
    for t in [0, rec.duration_ms / 2, rec.duration_ms] {
        if let Ok((state, mut cursor)) = rec.state_at(t) {
            assert!(state.check(&bounds).is_ok());
            let _ = rec.advance(&mut cursor, rec.duration_ms, |_, m| assert!(bounds.check(m).is_ok()));
        }
    }
});
