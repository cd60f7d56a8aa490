//! Layout load benchmark: read + parse + expand + validate + index, against a baseline of parsing
//! the same text into an untyped `ron::Value` in the same run (these machines are noisy; ratios
//! travel, absolute times don't).
//!
//! Run: `cargo bench --workspace --profile dev --bench layout_load` (add `-- --check` to fail when loading
//! stress.ron takes 1 s or more, the foundation issue's budget).

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use twin_model::Site;

/// Budget for loading and indexing the ≥100k-module stress layout.
const BUDGET: Duration = Duration::from_secs(1);

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    black_box(f()); // warm-up: page cache, allocator
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../layouts");
    println!("{:<14} {:>9} {:>12} {:>12} {:>8}", "layout", "modules", "ron::Value", "Site::load", "ratio");
    let mut over_budget = false;
    for name in ["demo.ron", "pharma_dc.ron", "stress.ron"] {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).expect("shipped layout is readable");
        let runs = if name == "stress.ron" { 15 } else { 40 };
        let baseline = time(runs, || ron::from_str::<ron::Value>(&text).expect("valid RON"));
        let mut modules = 0;
        let load = time(runs, || {
            let site = Site::load(&path).expect("shipped layout is valid");
            modules = site.modules.len();
            site
        });
        println!(
            "{name:<14} {modules:>9} {:>9.2} ms {:>9.2} ms {:>7.2}×",
            ms(baseline),
            ms(load),
            load.as_secs_f64() / baseline.as_secs_f64()
        );
        if name == "stress.ron" && load >= BUDGET {
            over_budget = true;
            println!("stress.ron took {:.0} ms, over the {} ms budget", ms(load), BUDGET.as_millis());
        }
    }
    if check && over_budget { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
