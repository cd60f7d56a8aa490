//! The layout loader: any text either loads or fails with an error (file, line, what to fix).
#![no_main]

use libfuzzer_sys::fuzz_target;
use twin_model::Site;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Site::from_ron(text, "fuzz.ron");
    }
});
