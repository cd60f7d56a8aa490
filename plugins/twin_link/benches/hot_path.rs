//! The hot path: 100,000 module deltas applied in one frame, with allocations counted.
//! Baseline in the same run: the same 100,000 messages, already in a `Vec`, written into a plain
//! `Vec<ModuleReading>` by index (reading each delta and storing it: the least any design could
//! do). The ratio to it is what travels between machines; an absolute time does not. Also
//! printed: writes of a constant reading (nothing read), the baseline of earlier notes.
//!
//! Run: `cargo bench --workspace --profile dev --bench hot_path`. `-- --check-alloc` fails on
//! any allocation in steady state; `-- --check-ratio` fails over 4× the baseline (CI runs both);
//! `-- --check` also fails over 2 ms.

#![expect(unsafe_code, reason = "a counting global allocator is the only way to count allocations")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bevy_app::{App, TaskPoolPlugin};
use bevy_ecs::schedule::ScheduleLabel as _;
use twin_link::channel::Shipped;
use twin_link::{LinkMessage, LinkPlugin, LinkReceiver, LinkSite, ModuleReading, view_channel};
use twin_model::Site;

/// Counts every allocation of the process.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const DELTAS: usize = 100_000;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let check_alloc = check || std::env::args().any(|a| a == "--check-alloc");
    let check_ratio = check || std::env::args().any(|a| a == "--check-ratio");
    let site =
        Arc::new(Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/stress.ron")).unwrap());
    let n = site.modules.len();
    let (mut tx, rx) = view_channel(64);
    let mut app = App::new();
    app.add_plugins((TaskPoolPlugin::default(), LinkPlugin))
        .insert_resource(LinkSite(site.clone()))
        .insert_resource(LinkReceiver(rx));
    // The single-threaded executor allocates nothing per frame, so any allocation counted below
    // is the hot path's own. (The multi-threaded one allocates a few times per frame itself.)
    for label in [
        bevy_app::First.intern(),
        bevy_app::PreUpdate.intern(),
        bevy_app::Update.intern(),
        bevy_app::PostUpdate.intern(),
        bevy_app::Last.intern(),
    ] {
        app.edit_schedule(label, |s| {
            s.set_executor(bevy_ecs::schedule::SingleThreadedExecutor::new());
        });
    }
    app.update();

    // The hot path and its baselines run interleaved, round by round, so a busy machine slows
    // both alike and the ratio holds.
    let mut frames = Vec::new();
    let mut steady_allocations = 0;
    let mut baseline = Vec::new();
    let mut constant = Vec::new();
    let mut plain = vec![ModuleReading::default(); n];
    let mut messages = Vec::with_capacity(DELTAS);
    let mut paired = Vec::new();
    for round in 0..40u16 {
        // Every delta changes its module (new quantity each round).
        for k in 0..DELTAS {
            let reading = ModuleReading { quantity: round + 1, mode: 1, ..ModuleReading::default() };
            assert_eq!(tx.push(LinkMessage::Module { module: (k % n) as u32, reading }), Shipped::Sent);
        }
        assert_eq!(tx.ship(), Shipped::Sent);
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let t = Instant::now();
        app.update();
        let elapsed = t.elapsed();
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        if round >= 5 {
            frames.push(elapsed);
            steady_allocations += allocations;
        }
        messages.clear();
        for k in 0..DELTAS {
            let reading = ModuleReading { quantity: round + 1, mode: 1, ..ModuleReading::default() };
            messages.push(LinkMessage::Module { module: (k % n) as u32, reading });
        }
        let t = Instant::now();
        for m in black_box(&messages) {
            if let LinkMessage::Module { module, reading } = m {
                plain[*module as usize] = *reading;
            }
        }
        black_box(&plain);
        baseline.push(t.elapsed());
        if round >= 5 {
            paired.push((elapsed, t.elapsed()));
        }
        let t = Instant::now();
        for k in 0..DELTAS {
            plain[k % n] = ModuleReading { quantity: round + 1, mode: 1, ..ModuleReading::default() };
        }
        black_box(&plain);
        constant.push(t.elapsed());
    }
    // The channel alone: 100k messages through a view channel, drained.
    let (mut dtx, mut drx) = view_channel(64);
    let mut drain = Vec::new();
    for round in 0..30u16 {
        for k in 0..DELTAS {
            let reading = ModuleReading { quantity: round + 1, ..ModuleReading::default() };
            let _ = dtx.push(LinkMessage::Module { module: (k % n) as u32, reading });
        }
        let _ = dtx.ship();
        let t = Instant::now();
        while let twin_link::Next::Message(m) = drx.recv() {
            black_box(m);
        }
        drain.push(t.elapsed());
    }
    drain.sort();
    println!("channel drain alone {:.3} ms", ms(drain[drain.len() / 2]));
    // An empty frame: what Bevy's schedule itself costs and allocates.
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let t = Instant::now();
    for _ in 0..35 {
        app.update();
    }
    let empty_allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!("empty frame {:.3} ms, {empty_allocations} allocations in 35 frames", ms(t.elapsed()) / 35.0);
    frames.sort();
    baseline.sort();
    constant.sort();
    let (p50, max) = (frames[frames.len() / 2], *frames.last().unwrap());
    let (base, fixed) = (baseline[baseline.len() / 2], constant[constant.len() / 2]);
    // The ratio of each round's frame to that round's baseline, then the median: paired, so a
    // slow moment of the machine slows both sides of one ratio.
    let mut ratios: Vec<f64> = paired.iter().map(|(f, b)| f.as_secs_f64() / b.as_secs_f64()).collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    println!(
        "100k deltas/frame: median {:.3} ms, worst {:.3} ms; the same readings into a plain Vec {:.3} ms (ratio {ratio:.2}×); constant writes {:.3} ms ({:.1}×); allocations in 35 frames: {steady_allocations}",
        ms(p50),
        ms(max),
        ms(base),
        ms(fixed),
        p50.as_secs_f64() / fixed.as_secs_f64()
    );
    if check_alloc && steady_allocations > empty_allocations {
        println!("the hot path allocated: {steady_allocations} allocations in 35 frames");
        return ExitCode::FAILURE;
    }
    if check_ratio && ratio > 4.0 {
        println!("over budget: {ratio:.2}× the plain Vec writes of the same readings (goal ≤ 4×)");
        return ExitCode::FAILURE;
    }
    if check && p50 >= Duration::from_millis(2) {
        println!("over budget: 2 ms");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
