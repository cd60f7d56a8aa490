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

/// Rows of a report CSV after its header, split at commas.
fn rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let csv = std::fs::read_to_string(path).unwrap();
    csv.lines().skip(1).map(|l| l.split(',').map(str::to_owned).collect()).collect()
}

/// Nearest-rank percentile (the report's definition, docs/reports.md).
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// Lines per zone and per picker equal the simulator's exactly; order cycle times per
/// priority (release to the last line's confirmation) equal its own times within the
/// tolerance the order source's polling allows: the twin sees an order done at the WMS poll
/// after it finished (1 s real = 60 simulated s at 60×; one more poll's worth for a poll that
/// slips on a loaded machine), with the controller clock's whole seconds on either side.
fn truth_by_zone_picker_and_cycle(wms: &std::path::Path, rep: &std::path::Path, layout: &str) {
    let truth = Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             q=\"select {k}, count(*) from wms_line l join wms_order o using (order_id) \
             where l.status in ('done','short') group by {k}\"; \
             [print('zone', *r, sep='\\t') for r in c.execute(q.format(k='o.zone'))]; \
             [print('picker', *r, sep='\\t') for r in c.execute(q.format(k='o.picker'))]; \
             [print('cycle', *r, sep='\\t') for r in c.execute('select priority, released_ms, done_ms from sim_order_truth')]",
        )
        .arg(wms)
        .output()
        .unwrap();
    assert!(truth.status.success(), "{}", text(&truth.stderr));
    let site = twin_model::Site::load(layout).unwrap();
    let name_of = |id: &str| site.layout.pickers.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap();
    let (mut zones, mut pickers, mut cycles) = (Vec::new(), Vec::new(), [vec![], vec![], vec![]]);
    for l in text(&truth.stdout).lines() {
        let f: Vec<&str> = l.split('\t').collect();
        match f[0] {
            "zone" => zones.push((f[1].to_owned(), f[2].to_owned())),
            "picker" => pickers.push((name_of(f[1]), f[2].to_owned())),
            _ => {
                let ms = |i: usize| f[i].parse::<f64>().unwrap() / 1000.0;
                cycles[f[1].parse::<usize>().unwrap().min(2)].push(ms(3) - ms(2));
            }
        }
    }
    let busy = |path: &str| -> Vec<(String, String)> {
        let mut v: Vec<_> = rows(&rep.join(path))
            .into_iter()
            .filter(|r| r[1] != "0")
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect();
        v.sort();
        v
    };
    zones.sort();
    pickers.sort();
    println!("lines per zone {zones:?}, per picker {pickers:?}");
    assert_eq!(busy("zones.csv"), zones, "lines per zone vs the simulator");
    assert_eq!(busy("pickers.csv"), pickers, "lines per picker vs the simulator");
    let report = rows(&rep.join("cycles.csv"));
    for (p, mut times) in cycles.into_iter().enumerate() {
        let r = &report[p];
        assert_eq!(r[1], times.len().to_string(), "{} orders done vs the simulator", r[0]);
        if times.is_empty() {
            continue;
        }
        times.sort_by(f64::total_cmp);
        for (q, got) in [(0.5, &r[2]), (0.9, &r[3])] {
            let (truth, got) = (nearest_rank(&times, q), got.parse::<f64>().unwrap());
            println!("{} cycle p{:.0}: report {got} s, simulator {truth:.1} s", r[0], q * 100.0);
            assert!(
                (-3.0..=120.0).contains(&(got - truth)),
                "{} cycle p{:.0}: report {got} s vs the simulator's {truth:.1} s",
                r[0],
                q * 100.0
            );
        }
    }
}

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
    truth_by_zone_picker_and_cycle(&dir.join("wms.sqlite"), &rep, layout);
    let html = std::fs::read_to_string(rep.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Lines per hour by zone"), "plots in the page");
    assert!(html.contains("Where the walking goes"), "the re-slotting section");
    assert!(html.contains("--heat 06:00-"), "the page says how to see its picks on the floor");
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
