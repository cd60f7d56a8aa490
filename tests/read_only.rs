//! Read-only at the wire: a proxy between picktwin and the simulator decodes every Modbus TCP
//! request and records its function code. The twin in a window (link, scene, overlay drawn
//! every frame), the headless twin and the recorder run through it for a simulated hour (the
//! simulator at 600×); any write code (05, 06, 15, 16, 23) fails the test.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::{Reaper, free_port, text, wait_for_port};

#[path = "support/wire_watch.rs"]
mod wire_watch;
use wire_watch::{Codes, proxy};

#[test]
fn a_simulated_hour_of_the_twin_the_window_and_the_recorder_sends_no_write() {
    // Everything runs in a scratch directory: the simulator writes the demo's SQLite WMS
    // (`wms.sqlite`) where it runs, and the twins read their orders from there.
    let dir = std::env::temp_dir().join(format!("picktwin-read-only-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let layout = concat!(env!("CARGO_MANIFEST_DIR"), "/layouts/demo.ron");
    let sim_addr = format!("127.0.0.1:{}", free_port());
    let _sim = Reaper(
        Command::new(env!("CARGO_BIN_EXE_picktwin"))
            .args(["sim", "--layout", layout, "--listen", &sim_addr, "--speed", "600"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(&sim_addr);
    let codes: Codes = Arc::default();
    let via = proxy(sim_addr, codes.clone());
    let controller = format!("ptl-1={via}");
    let recording = dir.join("hour.ptrec");
    let shot = dir.join("floor.png");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_picktwin"))
            .args(args)
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Six wall seconds at 600× are an hour of the site; the three run at once.
    let rec = recording.to_str().unwrap();
    let recorder =
        run(&["record", "--layout", layout, "--controller", &controller, "--out", rec, "--for", "7"]);
    let headless = run(&["--layout", layout, "--controller", &controller, "--headless", "--for", "7"]);
    // The windowed twin needs a display (the test command provides Xvfb).
    let windowed = std::env::var_os("DISPLAY").is_some().then(|| {
        let png = shot.to_str().unwrap();
        run(&["--layout", layout, "--controller", &controller, "--screenshot", png, "--after", "7"])
    });
    for child in [Some(recorder), Some(headless), windowed].into_iter().flatten() {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    }
    std::thread::sleep(Duration::from_millis(200));
    let codes = codes.lock().unwrap().clone();
    eprintln!("function codes on the wire: {codes:?}");
    let reads: u64 = [1u8, 2, 3, 4].iter().filter_map(|c| codes.get(c)).sum();
    assert!(reads > 50, "the twin polled through the proxy: {codes:?}");
    let writes: Vec<_> =
        [5u8, 6, 15, 16, 22, 23].iter().filter_map(|c| codes.get(c).map(|n| (c, n))).collect();
    assert!(writes.is_empty(), "write function codes on the wire: {writes:?} (all: {codes:?})");
    assert!(codes.keys().all(|c| [1, 2, 3, 4].contains(c)), "only read codes: {codes:?}");
    assert!(std::fs::metadata(&recording).map(|m| m.len()).unwrap_or(0) > 0, "the recorder recorded");
    let _ = std::fs::remove_dir_all(&dir);
}
