//! `picktwin record`: the live link's lossless path written to a recording, headless, until
//! `--for`, Ctrl-C or SIGTERM; one status line every 10 s.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use twin_record::{Recorder, RecorderOptions, RecorderThread};

use crate::cli::RecordArgs;
use twin_app::{Source, SourceOptions};

/// Records until told to stop.
pub fn run(args: &RecordArgs) -> ExitCode {
    crate::init_logging();
    let Some(site) = crate::load_site(args.layout.as_deref()) else { return ExitCode::FAILURE };
    if !(args.keyframe_every.is_finite() && args.keyframe_every >= 1.0) {
        eprintln!("error: --keyframe-every must be at least 1 second");
        return ExitCode::FAILURE;
    }
    let source_text = if args.controllers.is_empty() {
        format!("simulator ×{} seed {}", args.speed, args.seed)
    } else {
        format!(
            "Modbus TCP: {}",
            args.controllers.iter().map(|(n, e)| format!("{n}={e}")).collect::<Vec<_>>().join(", ")
        )
    };
    let options = RecorderOptions {
        keyframe_every_s: args.keyframe_every,
        source: source_text,
        ..RecorderOptions::default()
    };
    // The history store's URL and spool file (None: `--no-history`).
    let history_store = history_beside(&args.out, args.history.as_deref(), args.no_history);
    // The file first: a bad path fails before anything connects.
    let recorder = match Recorder::create(site.clone(), &args.out, options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // From a gateway: the viewer's messages go straight to the recorder.
    if let Some(url) = &args.source {
        let options = match twin_gateway::connection(url, &(&args.tls).into(), None, &site.layout.name) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        // The viewer hands every message to the recorder and, on a channel of its own, to the
        // history writer.
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut sinks = vec![tx];
        let history = match &history_store {
            Some(store) => {
                let (to_hist, hist_rx) = crossbeam_channel::unbounded();
                sinks.push(to_hist);
                match start_history(&site, hist_rx, store) {
                    Some(h) => Some(h),
                    None => return ExitCode::FAILURE,
                }
            }
            None => None,
        };
        let viewer = match twin_gateway::Viewer::spawn(
            site.clone(),
            options,
            Some(twin_gateway::Sink::Channels(sinks)),
        ) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("error: cannot start the viewer: {e}");
                return ExitCode::FAILURE;
            }
        };
        let thread = match RecorderThread::spawn(recorder, rx) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot start the recorder: {e}");
                return ExitCode::FAILURE;
            }
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        let stop = Arc::new(AtomicBool::new(false));
        if let Ok(rt) = &runtime {
            let signal = stop.clone();
            rt.spawn(async move {
                twin_app::shutdown_signal().await;
                signal.store(true, Ordering::Relaxed);
            });
        }
        wait(args, &stop, runtime.as_ref().ok());
        viewer.stop();
        let code = finish(thread, Instant::now());
        finish_history(history);
        return code;
    }
    // Recording never writes to a controller; the simulator is driven by its own WCS.
    let options = SourceOptions {
        controllers: args.controllers.clone(),
        speed: args.speed,
        seed: args.seed,
        lossless: 1 + usize::from(history_store.is_some()),
        start_ms: None,
    };
    let mut source = match Source::start(&site, &options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    drop(source.link.take_view());
    // The history writer has a subscription of its own: a slow database never slows the
    // recorder.
    let history = match &history_store {
        Some(store) => match source.lossless.pop().and_then(|rx| start_history(&site, rx, store)) {
            Some(h) => Some(h),
            None => {
                source.stop();
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let Some(rx) = source.lossless.pop() else { return ExitCode::FAILURE };
    let thread = match RecorderThread::spawn(recorder, rx) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot start the recorder: {e}");
            source.stop();
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("recording {} to {}", site.layout.name, args.out.display());

    let stop = Arc::new(AtomicBool::new(false));
    let signal = stop.clone();
    source.runtime.spawn(async move {
        twin_app::shutdown_signal().await;
        signal.store(true, Ordering::Relaxed);
    });
    let started = Instant::now();
    wait(args, &stop, None);
    // The link first, so the recorder gets everything it sent; then the recorder drains.
    source.stop();
    let code = finish(thread, started);
    finish_history(history);
    code
}

/// The history store of a recording at `out`: `url`, else SQLite beside it; its spool beside it.
pub(crate) fn history_beside(
    out: &std::path::Path,
    url: Option<&str>,
    off: bool,
) -> Option<(String, std::path::PathBuf)> {
    if off {
        return None;
    }
    let beside = out.with_extension("history.sqlite");
    let url = url.map_or_else(|| format!("sqlite:{}", beside.display()), str::to_owned);
    Some((url, out.with_extension("history.spool")))
}

pub(crate) fn start_history(
    site: &twin_model::Site,
    rx: crossbeam_channel::Receiver<twin_link::LinkMessage>,
    (url, spool): &(String, std::path::PathBuf),
) -> Option<twin_report::history::HistoryThread> {
    match twin_report::history::HistoryThread::spawn(site, rx, url, spool.clone()) {
        Ok(h) => {
            tracing::info!("history store: {url}");
            Some(h)
        }
        Err(e) => {
            eprintln!("error: {e} (or --no-history)");
            None
        }
    }
}

/// Waits for the history writer (the link has stopped) and prints what it wrote.
pub(crate) fn finish_history(history: Option<twin_report::history::HistoryThread>) {
    if let Some(h) = history {
        let s = h.join();
        println!(
            "history: {} lines, {} orders, {} incident rows written{}{}",
            s.rows.0,
            s.rows.1,
            s.rows.2,
            if s.caught_up > 0 {
                format!(", {} spooled batches caught up", s.caught_up)
            } else {
                String::new()
            },
            s.last_error.map_or(String::new(), |e| format!(" (last error: {e})"))
        );
    }
}

/// Waits for `--for`, a signal, printing the size every 10 s.
fn wait(args: &RecordArgs, stop: &AtomicBool, runtime: Option<&tokio::runtime::Runtime>) {
    // A current-thread runtime runs its signal task only while driven.
    let started = Instant::now();
    let mut last_status = Instant::now();
    while !stop.load(Ordering::Relaxed) && args.run_for.is_none_or(|s| started.elapsed().as_secs_f64() < s) {
        match runtime {
            // The sleep is made inside the runtime: a timer needs its reactor when created.
            Some(rt) => rt.block_on(async { tokio::time::sleep(Duration::from_millis(50)).await }),
            None => std::thread::sleep(Duration::from_millis(50)),
        }
        if last_status.elapsed() >= Duration::from_secs(10) {
            last_status = Instant::now();
            let size = std::fs::metadata(&args.out).map_or(0, |m| m.len());
            println!("recording {:.0} s, {} so far", started.elapsed().as_secs_f64(), bytes(size));
        }
    }
}

/// Stops the recorder and prints what it wrote.
fn finish(thread: RecorderThread, started: Instant) -> ExitCode {
    match thread.stop() {
        Ok(summary) => {
            let files: Vec<String> = summary.files.iter().map(|p| p.display().to_string()).collect();
            println!(
                "recorded {:.1} s: {} messages ({} routine health reports thinned), {} keyframes, {} in {}",
                started.elapsed().as_secs_f64(),
                summary.messages,
                summary.health_skipped,
                summary.keyframes,
                bytes(summary.bytes),
                files.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: recording failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A byte count for people.
pub fn bytes(n: u64) -> String {
    if n >= 10 << 20 {
        format!("{:.1} MB", n as f64 / 1e6)
    } else if n >= 10 << 10 {
        format!("{:.0} kB", n as f64 / 1e3)
    } else {
        format!("{n} B")
    }
}
