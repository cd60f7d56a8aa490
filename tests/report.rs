//! `picktwin report` against the simulator's own record: a `picktwin sim` (which writes every
//! order and line it generates to its SQLite WMS) recorded by `picktwin record` through Modbus
//! and the WMS connector, then reported; the report's counts must equal what the simulator's
//! database says it did, read by Python's sqlite3 (not our SQL code). Bad ranges exit 3 with
//! what was recorded.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Reaper, picktwin, text};

fn summary(dir: &std::path::Path) -> std::collections::HashMap<String, String> {
    let csv = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    csv.lines().skip(1).filter_map(|l| l.split_once(',')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

#[test]
fn a_recorded_shift_reports_exactly_what_the_simulator_did() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-truth");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let layout = concat!(env!("CARGO_MANIFEST_DIR"), "/layouts/demo.ron");
    let bin = env!("CARGO_BIN_EXE_picktwin");
    // 60×: a simulated minute per second, so the WMS connector's 1 s poll sees every line.
    let mut sim = Command::new(bin)
        .args([
            "sim",
            "--layout",
            layout,
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "60",
            "--orders-per-day",
            "4000",
        ])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = BufReader::new(sim.stdout.take().unwrap()).lines().next().unwrap().unwrap();
    let addr = line.split_once(" listening on ").unwrap().1.split(' ').next().unwrap().to_owned();
    let sim = Reaper(sim);
    let out = dir.join("shift.ptrec");
    let recorder = Command::new(bin)
        .args(["record", "--layout", layout, "--controller", &format!("ptl-1={addr}"), "--out"])
        .arg(&out)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Twenty simulated minutes, then the simulator stops (its database is final) and the
    // recorder reads that last state before it stops too.
    std::thread::sleep(Duration::from_secs(20));
    let _ = Command::new("kill").args(["-INT", &sim.0.id().to_string()]).status();
    drop(sim);
    std::thread::sleep(Duration::from_secs(3));
    let _ = Command::new("kill").args(["-INT", &recorder.id().to_string()]).status();
    let rec = recorder.wait_with_output().unwrap();
    assert!(rec.status.success(), "{}{}", text(&rec.stdout), text(&rec.stderr));

    let rep = dir.join("rep");
    let o = picktwin(&["report", out.to_str().unwrap(), "--shift", "06:00", "--out", rep.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    let s = summary(&rep);
    // The simulator's own record, by an SQL engine we did not drive.
    let truth = Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             l=c.execute(\"select count(*), sum(status='short'), coalesce(sum(qty_confirmed),0) from wms_line where status in ('done','short')\").fetchone(); \
             o=c.execute(\"select count(*) from wms_order where status='done'\").fetchone(); \
             print(l[0], l[1] or 0, l[2], o[0])",
        )
        .arg(dir.join("wms.sqlite"))
        .output()
        .unwrap();
    let truth = text(&truth.stdout);
    let t: Vec<&str> = truth.split_whitespace().collect();
    assert_eq!(t.len(), 4, "{truth}");
    let got = [&s["lines"], &s["short_lines"], &s["units"], &s["orders"]].map(|v| v.as_str());
    println!("report (lines, short, units, orders) {got:?}, the simulator's WMS {t:?}");
    assert_eq!(got.to_vec(), t, "report (lines, short, units, orders) vs the simulator's WMS");
    assert!(t[0].parse::<u32>().unwrap() > 20, "a busy enough floor: {truth}");
    let html = std::fs::read_to_string(rep.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Lines per hour by zone"), "plots in the page");
    assert!(html.contains("Where the walking goes"), "the re-slotting section");
    let pickers = std::fs::read_to_string(rep.join("pickers.csv")).unwrap();
    assert!(pickers.starts_with("picker,lines,units,lines_per_h,walked_m,m_per_line"), "{pickers}");
    let slots = std::fs::read_to_string(rep.join("slotting.csv")).unwrap();
    let picked: u32 = slots.lines().skip(1).filter_map(|l| l.split(',').nth(2)?.parse::<u32>().ok()).sum();
    assert_eq!(picked, t[0].parse::<u32>().unwrap(), "the velocity table counts every line once");
    let lines = std::fs::read_to_string(rep.join("lines.csv")).unwrap();
    assert_eq!(lines.lines().count() as u32 - 1, t[0].parse::<u32>().unwrap(), "one row per line");

    // The history store the recorder wrote beside the recording says the same.
    let store = format!("sqlite:{}", dir.join("shift.history.sqlite").display());
    assert!(text(&rec.stdout).contains("history: "), "{}", text(&rec.stdout));
    let rep_h = dir.join("rep-history");
    let o = picktwin(&["report", "--history", &store, "--layout", layout, "--out", rep_h.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    let h = summary(&rep_h);
    let got = [&h["lines"], &h["short_lines"], &h["units"], &h["orders"]].map(|v| v.as_str());
    assert_eq!(got.to_vec(), t, "the history store (lines, short, units, orders) vs the simulator's WMS");

    // A range with nothing recorded: exit 3, saying what the recording covers.
    let o =
        picktwin(&["report", out.to_str().unwrap(), "--from", "20:00", "--to", "21:00", "--out", "/tmp/x"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("nothing recorded between 20:00 and 21:00 (the recordings cover "),
        "{}",
        text(&o.stderr)
    );
    let o = picktwin(&["report", out.to_str().unwrap(), "--from", "25:00", "--to", "21:00"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let o = picktwin(&["report", "/nonexistent.ptrec"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("/nonexistent.ptrec"), "{}", text(&o.stderr));
}
