//! Waiting for a condition in a test: polled every 50 ms up to a limit (included with `#[path]`
//! by the binary's and the gateway's tests).

use std::time::{Duration, Instant};

/// Whether `cond` became true within `limit` (checked once more at the end).
pub fn until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}
