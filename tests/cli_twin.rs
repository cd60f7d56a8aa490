//! The twin as a user runs it: headless against the built-in simulator, from any directory,
//! recording then replaying, and a gateway feeding a viewer through Mosquitto.

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::{picktwin, text, wait_for_port};

#[test]
fn the_twin_runs_headless_against_the_built_in_simulator() {
    let out = picktwin(&["--headless", "--speed", "600", "--status-every", "1", "--for", "3"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let last = stdout.lines().last().unwrap_or_else(|| panic!("no status line: {}", text(&out.stderr)));
    assert!(last.starts_with("modules: "), "{last}");
    assert!(last.contains("ptl-1 ok"), "connected over TCP: {last}");
    assert!(text(&out.stderr).contains("read-only: nothing is written"), "{}", text(&out.stderr));
}

#[test]
fn the_twin_runs_from_any_directory_on_the_embedded_demo_layout() {
    // No layouts/ beside it: the demo site is built into the binary.
    let dir = std::env::temp_dir().join(format!("picktwin-anywhere-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(["--headless", "--speed", "600", "--status-every", "1", "--for", "3"])
        .current_dir(&dir)
        .output()
        .expect("picktwin runs");
    let _ = std::fs::remove_dir(&dir);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let last = stdout.lines().last().unwrap_or_else(|| panic!("no status line: {}", text(&out.stderr)));
    assert!(last.contains("ptl-1 ok"), "the embedded demo's controller answered: {last}");
}

#[test]
fn record_for_a_while_then_replay_dumps_the_floor_at_a_moment() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-record");
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("demo.ptrec");
    let f = file.to_str().unwrap();
    let out =
        picktwin(&["record", "--layout", "layouts/demo.ron", "--out", f, "--speed", "300", "--for", "4"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("recorded 4."), "{stdout}");
    assert!(file.exists());

    // The state 3 s in: one JSON line per module and per picker, some of them lit by then.
    let out = picktwin(&["replay", f, "--at", "+3", "--dump"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 199 + 3, "199 modules and 3 pickers");
    assert_eq!(lines.iter().filter(|l| l.starts_with("{\"kind\":\"module\"")).count(), 199);
    assert!(lines.iter().any(|l| l.contains("\"online\":true")), "polled modules are online");

    // The controller clock works as a time too (the simulator starts at 06:00).
    let out = picktwin(&["replay", f, "--at", "06:05", "--dump"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Wrong layout: refused, both layouts named, exit 1.
    let out = picktwin(&["replay", f, "--layout", "layouts/pharma_dc.ron", "--at", "+1", "--dump"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("\"picktwin demo\"") && stderr.contains("\"Pharma DC North\""), "{stderr}");

    // The floor as it was, rendered (under Xvfb + lavapipe in CI, like tests/render.rs).
    if std::env::var_os("DISPLAY").is_some() {
        let png = dir.join("at3.png");
        let out = picktwin(&[
            "replay",
            f,
            "--at",
            "+3",
            "--screenshot",
            png.to_str().unwrap(),
            "--size",
            "640x360",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(std::fs::metadata(&png).is_ok_and(|m| m.len() > 10_000), "a PNG of the floor");
    }

    // A moment outside the recording: refused with its extent.
    let out = picktwin(&["replay", f, "--at", "+9999", "--dump"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("long"), "{}", text(&out.stderr));
}

#[test]
fn a_gateway_process_feeds_a_headless_viewer_through_mosquitto() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut broker = Command::new("mosquitto")
        .args(["-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("mosquitto is installed");
    wait_for_port(&format!("127.0.0.1:{port}"));
    let url = format!("mqtt://127.0.0.1:{port}/demo");
    let gateway = Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(["gateway", "--layout", "layouts/demo.ron", "--broker", &url, "--speed", "120", "--for", "8"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    // A recorder of the gateway's topics beside the viewer: the viewer's messages go to the
    // recording and to the history store, each on a channel of its own.
    let rec = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("from-gateway.ptrec");
    let history = rec.with_extension("history.sqlite");
    let _ = std::fs::remove_file(&history);
    let recorder = Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(["record", "--layout", "layouts/demo.ron", "--source", &url, "--for", "4", "--out"])
        .arg(&rec)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = picktwin(&[
        "--layout",
        "layouts/demo.ron",
        "--source",
        &url,
        "--headless",
        "--for",
        "4",
        "--status-every",
        "1",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    // The viewer's status line shows the simulated floor it received: three pickers and the link
    // health of the controller, read from the broker.
    let last = stdout.lines().rev().find(|l| l.starts_with("modules:")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(last.contains("ptl-1 ok"), "{last}");
    let rec_out = recorder.wait_with_output().unwrap();
    let rec_text = text(&rec_out.stdout);
    assert!(rec_out.status.success(), "{rec_text}{}", text(&rec_out.stderr));
    let messages: u64 = rec_text
        .split_once(" s: ")
        .and_then(|(_, r)| r.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("{rec_text}"));
    assert!(messages > 199, "the recording holds the floor: {rec_text}");
    assert!(
        rec_text.contains("history: ") && history.exists(),
        "and the history store was written: {rec_text}"
    );
    // Refusing to write is structural: there is no flag for it.
    let out = picktwin(&["--source", &url, "--allow-writes", "--headless", "--for", "1"]);
    assert_eq!(out.status.code(), Some(2), "clap refuses the combination");
    let gw = gateway.wait_with_output().unwrap();
    let gw_out = text(&gw.stdout);
    assert!(gw.status.success(), "{gw_out}{}", text(&gw.stderr));
    assert!(gw_out.contains("broker connected") && gw_out.contains("delta batches"), "{gw_out}");
    let _ = broker.kill();
    let _ = broker.wait();
}
