//! Recording round trip against the real simulator over Modbus TCP and its SQLite WMS (read by
//! the SQL connector): what replays at a moment is exactly what the link and the order source
//! had said by then, lines included; cut files, wrong layouts and foreign versions.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use twin_link::{ConnectionState, ControllerHealth, Link, LinkMessage};
use twin_model::Site;
use twin_record::{RecordError, Recorder, RecorderOptions, Recording, TwinState, part_path};
use twin_sim::{Listen, SimConfig, SimOptions};

fn layout(name: &str) -> Arc<Site> {
    let path = format!("{}/../../layouts/{name}", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")))
}

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("record").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The parts of the state the round trip compares exactly (health is decimated on purpose).
type Floor<'a> = (
    &'a [twin_link::ModuleReading],
    &'a [twin_link::PickerReading],
    &'a [twin_link::OrderSlot],
    &'a [Vec<twin_link::OrderLine>],
);

fn floor(s: &TwinState) -> Floor<'_> {
    (&s.modules, &s.pickers, &s.orders, &s.lines)
}

/// Records `seconds` of the simulated demo site at 600× and returns the file and the live
/// states captured at several moments (time, state after every message up to that time).
fn record_demo(
    name: &str,
    seconds: f64,
    options: RecorderOptions,
) -> (PathBuf, Vec<(u64, TwinState)>, Arc<Site>) {
    let site = layout("demo.ron");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = SimConfig { seed: 5, orders_per_day: 6000.0, ..SimConfig::default() };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let wms = dir(&format!("{name}-wms")).join("wms.sqlite");
    let extras = twin_sim::SimExtras { wms: Some(wms.clone()), ..Default::default() };
    let sim = rt
        .block_on(twin_sim::start_with(
            site.clone(),
            SimOptions { listen: Listen::Base(addr), speed: 600.0, config },
            extras,
        ))
        .unwrap();
    let mut builder = Link::builder(site.clone()).endpoint(0, sim.addresses()[0].to_string());
    let rx = builder.lossless();
    let link = builder.spawn().unwrap();
    let overrides = twin_sources::SourceOverrides {
        wms: Some(twin_model::sources::WmsSql {
            poll_ms: 100,
            ..twin_model::sources::WmsSql::new(format!("sqlite:{}", wms.display()))
        }),
        ..Default::default()
    };
    let sources = twin_sources::start(site.clone(), &overrides, link.publisher(), None).unwrap();

    let path = dir(name).join("shift.ptrec");
    let mut recorder = Recorder::create(site.clone(), &path, options).unwrap();
    let mut live = TwinState::for_site(&site);
    let mut snapshots = Vec::new();
    let start = Instant::now();
    let (mut last_t, mut want) = (0u64, false);
    let mut next_snapshot = 700u64;
    while start.elapsed().as_secs_f64() < seconds {
        let Ok(msg) = rx.recv_timeout(Duration::from_millis(50)) else {
            recorder.tick(start.elapsed().as_millis() as u64).unwrap();
            continue;
        };
        let t = start.elapsed().as_millis() as u64;
        // A snapshot is the state after every message stamped up to its time.
        if want && t > last_t {
            snapshots.push((last_t, live.clone()));
            want = false;
        }
        live.apply(&msg);
        recorder.record(t, msg).unwrap();
        last_t = t;
        if t >= next_snapshot {
            want = true;
            next_snapshot += 700;
        }
    }
    sources.stop();
    link.stop();
    let end = start.elapsed().as_millis() as u64;
    snapshots.push((last_t, live.clone()));
    recorder.finish(end).unwrap();
    rt.block_on(sim.shutdown());
    (path, snapshots, site)
}

#[test]
fn replayed_state_equals_the_live_state_at_every_captured_moment() {
    let options = RecorderOptions { keyframe_every_s: 1.5, sync: false, ..RecorderOptions::default() };
    let (path, snapshots, site) = record_demo("round_trip", 6.0, options);
    let rec = Recording::open(path.to_str().unwrap(), Some(("layouts/demo.ron", &site)), |_| {}).unwrap();
    assert!(rec.truncated_tail.is_none());
    assert!(rec.keyframe_count() >= 4, "{} keyframes", rec.keyframe_count());
    assert!(snapshots.len() >= 6, "{} snapshots", snapshots.len());
    let lit = snapshots.last().unwrap().1.modules.iter().filter(|m| m.state == 1).count();
    let orders = snapshots.last().unwrap().1.orders.iter().filter(|o| o.order_id != 0).count();
    assert!(orders > 0, "the simulated shift published orders");
    let lines: usize = snapshots.last().unwrap().1.lines.iter().map(Vec::len).sum();
    assert!(lines > 0, "and their lines");
    for (t, live) in &snapshots {
        let (replayed, _) = rec.state_at(*t).unwrap();
        assert!(floor(&replayed) == floor(live), "state at {t} ms differs from the live state");
    }
    // Seeking backwards and forwards gives the same answers.
    for (t, live) in snapshots.iter().rev() {
        assert!(floor(&rec.state_at(*t).unwrap().0) == floor(live));
    }
    // Playing forward from one snapshot reaches the next exactly.
    let (mut state, mut cursor) = rec.state_at(snapshots[1].0).unwrap();
    rec.advance(&mut cursor, snapshots[4].0, |_, m| state.apply(m)).unwrap();
    assert!(floor(&state) == floor(&snapshots[4].1));
    eprintln!("{} snapshots, {orders} orders and {lit} lit modules at the end", snapshots.len());
}

#[test]
fn a_file_cut_mid_frame_opens_with_everything_before_the_cut() {
    let options = RecorderOptions { keyframe_every_s: 30.0, sync: false, ..RecorderOptions::default() };
    let (path, snapshots, _) = record_demo("truncated", 3.0, options);
    let whole = std::fs::read(&path).unwrap();
    let p = path.to_str().unwrap();
    let rec = Recording::open(p, None, |_| {}).unwrap();
    let end = rec.duration_ms;
    // Cut 5 bytes off: the last frame is partial.
    std::fs::write(&path, &whole[..whole.len() - 5]).unwrap();
    let cut = Recording::open(p, None, |_| {}).unwrap();
    let (at, len) = cut.truncated_tail.expect("the partial frame is reported");
    assert!(at < whole.len() - 5 && len > 0);
    assert!(cut.duration_ms <= end);
    // Everything up to the cut replays as it was live.
    let (t, live) = snapshots.iter().rev().find(|(t, _)| *t <= cut.duration_ms).unwrap();
    assert!(floor(&cut.state_at(*t).unwrap().0) == floor(live));
    // Cut inside the header: a clear error, no panic.
    std::fs::write(&path, &whole[..20]).unwrap();
    let e = Recording::open(p, None, |_| {}).err().expect("refused");
    assert!(e.to_string().contains("header"), "{e}");
}

#[test]
fn wrong_layout_and_foreign_version_are_refused_clearly() {
    let site = layout("demo.ron");
    let d = dir("refuse");
    let path = d.join("r.ptrec");
    let r =
        Recorder::create(site.clone(), &path, RecorderOptions { sync: false, ..RecorderOptions::default() })
            .unwrap();
    r.finish(0).unwrap();
    let p = path.to_str().unwrap();
    let pharma = layout("pharma_dc.ron");
    let e = Recording::open(p, Some(("layouts/pharma_dc.ron", &pharma)), |_| {}).err().expect("refused");
    assert!(matches!(e, RecordError::LayoutMismatch(_)));
    let text = e.to_string();
    assert!(
        text.contains("picktwin demo")
            && text.contains("Pharma DC North")
            && text.contains("without --layout"),
        "{text}"
    );
    // The same layout, reformatted, is the same identity.
    assert_eq!(twin_record::layout_id(&site), twin_record::layout_id(&layout("demo.ron")));

    let mut bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let at = text.find(&format!("version: {}", twin_record::FORMAT_VERSION)).unwrap();
    bytes[at + "version: ".len()] = b'7';
    std::fs::write(&path, &bytes).unwrap();
    let e = Recording::open(p, None, |_| {}).err().expect("refused");
    assert!(
        matches!(e, RecordError::Version { found: 7, supported: twin_record::FORMAT_VERSION, .. }),
        "{e}"
    );
}

#[test]
fn a_new_shift_starts_a_new_file_with_a_keyframe() {
    let site = layout("demo.ron");
    let path = dir("rotate").join("night.ptrec");
    let options = RecorderOptions { sync: false, ..RecorderOptions::default() };
    let mut r = Recorder::create(site.clone(), &path, options).unwrap();
    let health = |clock_s| ControllerHealth {
        connection: ConnectionState::Connected,
        polls: 1,
        clock_s,
        ..Default::default()
    };
    r.record(10, LinkMessage::Health { controller: 0, health: Box::new(health(14 * 3600 - 1)) }).unwrap();
    let order = twin_link::OrderSlot { order_id: 9, status: 1, ..Default::default() };
    r.record(20, LinkMessage::Order { slot: 0, order }).unwrap();
    r.record(1030, LinkMessage::Health { controller: 0, health: Box::new(health(14 * 3600)) }).unwrap();
    let summary = r.finish(2000).unwrap();
    assert_eq!(summary.files, [path.clone(), part_path(&path, 2)]);
    let second = Recording::open(summary.files[1].to_str().unwrap(), None, |_| {}).unwrap();
    assert_eq!(second.header.part, 2);
    // The new file stands alone: its first keyframe already holds the order.
    assert_eq!(second.state_at(1030).unwrap().0.orders[0].order_id, 9);
}

#[test]
fn without_a_controller_clock_files_rotate_by_size_and_by_time() {
    let site = layout("demo.ron");
    let path = dir("rotate-size").join("gw.ptrec");
    // A controller without a clock (clock_s 0): no shift calendar to follow.
    let health = ControllerHealth { connection: ConnectionState::Connected, polls: 1, ..Default::default() };
    let module = |q: u16| LinkMessage::Module {
        module: u32::from(q % 64),
        reading: twin_link::ModuleReading { quantity: q, ..Default::default() },
    };
    let options = RecorderOptions { sync: false, max_file_bytes: 4096, ..RecorderOptions::default() };
    let mut r = Recorder::create(site.clone(), &path, options).unwrap();
    r.record(0, LinkMessage::Health { controller: 0, health: Box::new(health) }).unwrap();
    for k in 1..=2000u16 {
        r.record(u64::from(k) * 20, module(k)).unwrap();
    }
    let summary = r.finish(40_100).unwrap();
    assert!(summary.files.len() >= 3, "{:?}", summary.files);
    for f in &summary.files {
        let len = std::fs::metadata(f).unwrap().len();
        // A file ends after the frame that crossed the limit (one second of messages here).
        assert!(len < 4096 + 8192, "{}: {len} bytes", f.display());
        Recording::open(f.to_str().unwrap(), None, |_| {}).unwrap();
    }
    let path = dir("rotate-time").join("gw.ptrec");
    let options = RecorderOptions { sync: false, max_file_s: 10.0, ..RecorderOptions::default() };
    let mut r = Recorder::create(site.clone(), &path, options).unwrap();
    r.record(0, LinkMessage::Health { controller: 0, health: Box::new(health) }).unwrap();
    for k in 1..=250u16 {
        r.record(u64::from(k) * 100, module(k)).unwrap();
    }
    assert_eq!(r.finish(25_100).unwrap().files.len(), 3, "a new file every 10 s of recording");
}

#[test]
fn a_recording_switched_on_mid_stream_starts_with_the_state_so_far() {
    let site = layout("demo.ron");
    let path = dir("switch").join("gui.ptrec");
    let (tx, rx) = crossbeam_channel::unbounded();
    let switch = twin_record::RecorderSwitch::spawn(
        site.clone(),
        rx,
        RecorderOptions { sync: false, ..Default::default() },
    )
    .unwrap();
    let lit = twin_link::ModuleReading { state: 1, quantity: 3, ..Default::default() };
    tx.send(LinkMessage::Module { module: 4, reading: lit }).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    switch.start(path.clone());
    let deadline = Instant::now() + Duration::from_secs(5);
    while switch.status().recording.is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(switch.status().recording.as_deref(), Some(path.as_path()));
    let order = twin_link::OrderSlot { order_id: 12, status: 1, ..Default::default() };
    tx.send(LinkMessage::Order { slot: 3, order }).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    switch.stop();
    drop(switch);
    let rec = Recording::open(path.to_str().unwrap(), None, |_| {}).unwrap();
    let (start, _) = rec.state_at(0).unwrap();
    assert_eq!(start.modules[4], lit, "the module lit before recording began is in the first keyframe");
    assert_eq!(rec.state_at(rec.duration_ms).unwrap().0.orders[3].order_id, 12);
}
