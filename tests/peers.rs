//! `picktwin snapshot` against PTL controllers the project did not write (pymodbus,
//! tests/peers/ptl_controller.py): missing optional blocks degrade with a warning and exit 0, a
//! wrong map version is refused with exit 2 and both values, and the per-unit gateway map reads.

use std::process::{Command, Output};

mod common;
use common::text;

#[path = "peers/peer.rs"]
mod peer;
use peer::Peer;

fn snapshot(layout: &str, controller: &str, peer: &Peer) -> Output {
    Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(["snapshot", "--layout", layout, "--controller", &format!("{controller}={}", peer.endpoint())])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("picktwin runs")
}

#[test]
fn snapshot_of_a_controller_without_optional_blocks_warns_and_succeeds() {
    let peer = Peer::start(&[]);
    let out = snapshot("layouts/demo.ron", "ptl-1", &peer);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status.code());
    for block in ["`changes`", "`pickers`"] {
        assert!(stderr.contains(&format!("warning: ptl-1: block {block} is missing")), "{block}: {stderr}");
    }
    // The demo's orders come from the WMS database: the order board is not its source and is
    // never read (a missing board is no warning there).
    assert!(!stderr.contains("`orders`") && !stderr.contains("address 30000"), "{stderr}");
    assert!(stderr.contains("exception 02 to function 04 at address 20000"), "{stderr}");
    let lit = stdout.lines().filter(|l| l.contains(r#""state":"lit""#)).count();
    assert_eq!(lit, 2, "{stdout}");
    assert!(stdout.contains(
        r#""id":4,"location":"A1-0122","display":"A1-0122","controller":"ptl-1","address":3,"state":"lit""#
    ));
}

#[test]
fn snapshot_refuses_a_wrong_map_version_naming_both_values() {
    let peer = Peer::start(&["--map-version", "7"]);
    let out = snapshot("layouts/demo.ron", "ptl-1", &peer);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("reports map_version 7 and module_count 199"), "{stderr}");
    assert!(
        stderr.contains("layouts/demo.ron") && stderr.contains("\"picktwin-v1\" version 1 with 199 modules")
    );
    assert!(out.stdout.is_empty(), "no data printed from a refused controller");
}

#[test]
fn snapshot_reads_per_unit_gateways() {
    let (one, two) = (Peer::start(&["--per-unit"]), Peer::start(&["--per-unit"]));
    let out = Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(["snapshot", "--layout", "layouts/unit_gateway.ron"])
        .args(["--controller", &format!("gw-1={}", one.endpoint())])
        .args(["--controller", &format!("gw-2={}", two.endpoint())])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("picktwin runs");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "no block is missing: {stderr}");
    let find =
        |needle: &str| stdout.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle}"));
    // Device codes translated: mode 16 = pick, state 1 = lit, colour 2 = green; location number.
    assert_eq!(
        find(r#""id":5,"#),
        r#"{"kind":"module","id":5,"location":"5","display":"0005","controller":"gw-1","address":4,"state":"lit","mode":"pick","colour":"green","blink":"steady","blink_period_ms":0,"quantity":6,"confirmed_quantity":0,"job":0,"confirm_latch":false,"shortage_latch":false,"online":true,"fault":0,"stale":false}"#
    );
    // State 4 = shortage (the state is the latch), colour 4 = blue, blink 1.
    assert!(
        find(r#""id":218,"#).contains(r#""state":"shortage","mode":"pick","colour":"blue","blink":"blink""#)
    );
    assert!(find(r#""id":218,"#).contains(r#""shortage_latch":true"#));
    // No picker block on this map: modules only.
    assert_eq!(stdout.lines().count(), 400);
}

#[test]
fn the_twin_runs_the_per_unit_map_end_to_end_on_the_simulator() {
    let out = Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(["--layout", "layouts/unit_gateway.ron", "--headless", "--speed", "600"])
        .args(["--status-every", "1", "--for", "4"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("picktwin runs");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    let last = stdout.lines().last().unwrap_or_else(|| panic!("no status line: {stderr}"));
    assert!(last.contains("gw-1 ok age") && last.contains("gw-2 ok age"), "{last}");
    // No picker or order block on these devices: the layout's sources say where they come
    // from, and the line says how those are doing.
    assert!(last.contains("[inferred ok") && last.contains("[WMS database ok, data age"), "{last}");
    assert!(!stderr.contains("WARN"), "{stderr}");
}
