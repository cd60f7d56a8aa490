//! Recording figures, each against a baseline from the same run:
//!
//! 1. An 8-hour shift of pharma_dc.ron at real-time density (36 pickers moving, reported every
//!    200 ms poll; lines lighting and confirming; the order board; health), synthesised and
//!    recorded: file size, open time, and seek time p50/p99 over random moments, against
//!    rebuilding the same moments from the start of the file without keyframes.
//! 2. The real simulator recorded through the real link for `--sim-seconds` (default 70, so a keyframe falls in it) at 1×
//!    and at 60×: bytes per simulated hour, extrapolated to 8 hours.
//!
//! `cargo bench --workspace --profile dev --bench seek [-- --sim-seconds N --check]`;
//! `--check` fails when seek p99 ≥ 50 ms or the 8-hour file exceeds 50 MB; `--sim-seconds 0`
//! skips part 2 (CI).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use twin_link::{
    ConnectionState, ControllerHealth, Link, LinkMessage, ModuleReading, OrderSlot, PickerReading,
};
use twin_model::Site;
use twin_model::codes::{ModuleState, OrderStatus, PickerState};
use twin_record::{Recorder, RecorderOptions, Recording};
use twin_sim::{Listen, SimConfig, SimOptions};

const HOURS: u64 = 8;

/// xorshift: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn site() -> Arc<Site> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/pharma_dc.ron");
    Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")))
}

fn out(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("record-bench");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// Writes an 8-hour shift at real-time density; returns the path and raw message bytes.
fn synthesise(site: &Arc<Site>) -> (PathBuf, u64) {
    let path = out("shift-8h.ptrec");
    let options = RecorderOptions { sync: false, ..RecorderOptions::default() };
    let mut rec = Recorder::create(site.clone(), &path, options).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let pickers = site.layout.pickers.len();
    let modules = site.modules.len() as u64;
    let mut pos: Vec<(i32, i32)> = (0..pickers).map(|i| (500 + 300 * i as i32, 1000)).collect();
    let mut raw = 0u64;
    fn put(rec: &mut Recorder, raw: &mut u64, t: u64, m: LinkMessage) {
        *raw += postcard::to_stdvec(&m).map_or(0, |v| v.len() as u64);
        rec.record(t, m).unwrap();
    }
    let mut lit: Vec<(u64, u32, u32)> = Vec::new();
    let mut job = 1u32;
    let mut order = 1u32;
    for tick in 0..HOURS * 3600 * 5 {
        let t = tick * 200;
        let clock = 6 * 3600 + (t / 1000) as u32;
        // Half the pickers walk at any time: their position changes every poll.
        for (p, xy) in pos.iter_mut().enumerate() {
            if (p as u64 + t / 60_000).is_multiple_of(2) {
                xy.0 += rng.below(30) as i32 - 12;
                xy.1 += rng.below(30) as i32 - 12;
                let reading = PickerReading {
                    x_cm: xy.0.clamp(0, 60_000) as u16,
                    y_cm: xy.1.clamp(0, 60_000) as u16,
                    heading_cdeg: rng.below(36_000) as u16,
                    state: PickerState::Walking as u16,
                    order: order.saturating_sub(p as u32),
                    ..Default::default()
                };
                put(&mut rec, &mut raw, t, LinkMessage::Picker { picker: p as u16, reading });
            }
        }
        // About 1,400 lines in 8 hours at a mid-size site's pace; each lights, then confirms.
        if tick.is_multiple_of(100) {
            let m = rng.below(modules) as u32;
            let reading = ModuleReading {
                state: ModuleState::Lit as u16,
                mode: 1,
                quantity: 3,
                job,
                online: true,
                ..Default::default()
            };
            put(&mut rec, &mut raw, t, LinkMessage::Module { module: m, reading });
            lit.push((t + 60_000 + rng.below(120_000), m, job));
            job += 1;
        }
        lit.retain(|&(at, m, j)| {
            if at > t {
                return true;
            }
            let reading = ModuleReading {
                state: ModuleState::Idle as u16,
                job: j,
                press_count: 1,
                online: true,
                ..Default::default()
            };
            raw += 40;
            rec.record(t, LinkMessage::Module { module: m, reading }).unwrap();
            false
        });
        // An order every ~40 s through its states on the board.
        if tick.is_multiple_of(200) {
            for status in [OrderStatus::Pending, OrderStatus::Active] {
                let slot = OrderSlot {
                    order_id: order,
                    lines_total: 4,
                    status: status as u16,
                    release_s: clock,
                    due_s: 0,
                    first_job: job,
                    ..Default::default()
                };
                put(&mut rec, &mut raw, t, LinkMessage::Order { slot: (order % 2000) as u16, order: slot });
            }
            order += 1;
        }
        for c in 0..site.layout.controllers.len() as u16 {
            let health = ControllerHealth {
                connection: ConnectionState::Connected,
                polls: tick as u32,
                clock_s: clock,
                latency_p50_us: 300 + rng.below(50) as u32,
                last_good_poll_ms: t,
                ..Default::default()
            };
            put(&mut rec, &mut raw, t, LinkMessage::Health { controller: c, health: Box::new(health) });
        }
    }
    rec.finish(HOURS * 3600 * 1000).unwrap();
    (path, raw)
}

/// Records the simulator through the link for `seconds` at `speed`; bytes per simulated hour.
fn record_sim(site: &Arc<Site>, speed: f64, seconds: f64) -> (u64, f64, u64, usize) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = SimConfig { seed: 3, ..SimConfig::default() };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let sim = rt
        .block_on(twin_sim::start(site.clone(), SimOptions { listen: Listen::Base(addr), speed, config }))
        .unwrap();
    let mut builder = Link::builder(site.clone());
    for (i, a) in sim.addresses().iter().enumerate() {
        builder = builder.endpoint(i, a.to_string());
    }
    let rx = builder.lossless();
    let link = builder.spawn().unwrap();
    let path = out(&format!("sim-{speed}x.ptrec"));
    let mut rec =
        Recorder::create(site.clone(), &path, RecorderOptions { sync: false, ..Default::default() }).unwrap();
    let start = Instant::now();
    // The first seconds carry the first full poll of every controller: measured apart.
    let warm_up = 10.0;
    let mut at_warm: Option<u64> = None;
    while start.elapsed().as_secs_f64() < warm_up + seconds {
        let t = start.elapsed().as_millis() as u64;
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(m) => rec.record(t, m).unwrap(),
            Err(_) => rec.tick(t).unwrap(),
        }
        if at_warm.is_none() && start.elapsed().as_secs_f64() >= warm_up {
            rec.flush(t).unwrap();
            at_warm = Some(std::fs::metadata(&path).unwrap().len());
        }
    }
    link.stop();
    rec.finish(start.elapsed().as_millis() as u64).unwrap();
    rt.block_on(sim.shutdown());
    let total = std::fs::metadata(&path).unwrap().len();
    let r = Recording::open(path.to_str().unwrap(), None, |_| {}).unwrap();
    let (key, _) = r.frame_bytes();
    let per_key = key / r.keyframe_count().max(1) as u64;
    (total - at_warm.unwrap_or(0), seconds * speed / 3600.0, per_key, r.keyframe_count())
}

fn percentile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let check = args.iter().any(|a| a == "--check");
    let sim_seconds = args
        .iter()
        .position(|a| a == "--sim-seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(70.0);
    let site = site();

    let t0 = Instant::now();
    let (path, raw) = synthesise(&site);
    let write_s = t0.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path).unwrap().len();
    let t0 = Instant::now();
    let rec = Recording::open(path.to_str().unwrap(), None, |_| {}).unwrap();
    let open_ms = t0.elapsed().as_secs_f64() * 1e3;

    let mut rng = Rng(42);
    let seeks: Vec<u64> = (0..200).map(|_| rng.below(rec.duration_ms)).collect();
    let mut times = Vec::new();
    for &t in &seeks {
        let s = Instant::now();
        let (state, _) = rec.state_at(t).unwrap();
        std::hint::black_box(&state);
        times.push(s.elapsed().as_secs_f64() * 1e3);
    }
    let (p50, p99) = (percentile(&mut times, 0.5), percentile(&mut times, 0.99));
    // Baseline: the same moments rebuilt from the start, deltas only (no keyframe index).
    let mut base = Vec::new();
    for &t in seeks.iter().take(10) {
        let s = Instant::now();
        let (mut state, mut cursor) = rec.state_at(0).unwrap();
        rec.advance(&mut cursor, t, |_, m| state.apply(m)).unwrap();
        std::hint::black_box(&state);
        base.push(s.elapsed().as_secs_f64() * 1e3);
    }
    let base_p50 = percentile(&mut base, 0.5);
    assert_eq!(rec.state_at(seeks[0]).unwrap().0.modules.len(), site.modules.len());

    println!(
        "recording: pharma_dc ({} modules, {} pickers), 8 h synthesised at real-time density",
        site.modules.len(),
        site.layout.pickers.len()
    );
    println!("| figure | value | baseline | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| file size, 8 h | {:.1} MB | {:.1} MB raw messages | {:.3} |",
        size as f64 / 1e6,
        raw as f64 / 1e6,
        size as f64 / raw as f64
    );
    println!("| keyframes | {} | | |", rec.keyframe_count());
    println!("| write 8 h | {write_s:.1} s | | |");
    println!("| open (index) | {open_ms:.0} ms | | |");
    println!("| seek p50 | {p50:.2} ms | {base_p50:.0} ms from the start | {:.4} |", p50 / base_p50);
    println!("| seek p99 | {p99:.2} ms | | |");

    // `--sim-seconds 0` (CI) skips the simulator part.
    for speed in [1.0, 60.0].into_iter().filter(|_| sim_seconds > 0.0) {
        let (bytes, sim_h, per_key, keys) = record_sim(&site, speed, sim_seconds);
        let per_h = bytes as f64 / sim_h;
        println!(
            "| simulator at {speed}×, {sim_seconds} s after warm-up: per simulated hour | {:.2} MB | 8 h ≈ {:.1} MB | keyframe {:.0} kB ({keys}) |",
            per_h / 1e6,
            per_h * 8.0 / 1e6,
            per_key as f64 / 1e3
        );
    }
    if check && (p99 >= 50.0 || size > 50_000_000) {
        eprintln!("over budget: seek p99 {p99:.1} ms (< 50), 8 h file {:.1} MB (≤ 50)", size as f64 / 1e6);
        std::process::exit(1);
    }
}
