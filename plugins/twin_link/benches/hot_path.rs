//! The hot path: 100,000 module deltas applied in one frame, with allocations counted.
//! Baseline in the same run: the same 100,000 readings written into a plain `Vec` by index (the
//! least any design could do).
//!
//! Run: `cargo bench --workspace --profile dev --bench hot_path` (`-- --check` fails over 2 ms or on any
//! allocation in steady state; `-- --check-alloc` only on allocations, which do not depend on
//! how busy the machine is).

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

    let mut frames = Vec::new();
    let mut steady_allocations = 0;
    for round in 0..30u16 {
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
    }
    let mut baseline = Vec::new();
    let mut plain = vec![ModuleReading::default(); n];
    for round in 0..30u16 {
        let t = Instant::now();
        for k in 0..DELTAS {
            plain[k % n] = ModuleReading { quantity: round + 1, mode: 1, ..ModuleReading::default() };
        }
        black_box(&plain);
        baseline.push(t.elapsed());
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
    for _ in 0..25 {
        app.update();
    }
    let empty_allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!("empty frame {:.3} ms, {empty_allocations} allocations in 25 frames", ms(t.elapsed()) / 25.0);
    frames.sort();
    baseline.sort();
    let (p50, max) = (frames[frames.len() / 2], *frames.last().unwrap());
    let base = baseline[baseline.len() / 2];
    println!(
        "100k deltas/frame: median {:.3} ms, worst {:.3} ms; plain Vec writes {:.3} ms (ratio {:.1}×); allocations in 25 frames: {steady_allocations}",
        ms(p50),
        ms(max),
        ms(base),
        p50.as_secs_f64() / base.as_secs_f64()
    );
    if check_alloc && steady_allocations > empty_allocations {
        println!("the hot path allocated: {steady_allocations} allocations in 25 frames");
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
