//! `picktwin gateway`: the live link (simulator or controllers, one connection each) published
//! through an MQTT broker; optionally recorded too.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use twin_app::{Source, SourceOptions};
use twin_gateway::{GatewayOptions, GatewayStats};
use twin_record::{Recorder, RecorderOptions, RecorderThread};

use crate::cli::GatewayArgs;

/// Runs the gateway until `--for`, Ctrl-C or SIGTERM.
pub fn run(args: &GatewayArgs) -> ExitCode {
    crate::init_logging();
    let Some(site) = crate::load_site(args.layout.as_deref()) else { return ExitCode::FAILURE };
    let connection = match twin_gateway::connection(
        &args.broker,
        &(&args.tls).into(),
        args.site.as_deref(),
        &site.layout.name,
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !(args.keyframe_every.is_finite() && args.keyframe_every >= 0.5) {
        eprintln!("error: --keyframe-every must be at least 0.5 seconds");
        return ExitCode::FAILURE;
    }
    let (broker, name) = (connection.broker.clone(), connection.site.clone());
    let recorder = match &args.record {
        Some(path) => {
            let options = RecorderOptions { source: format!("gateway {name}"), ..RecorderOptions::default() };
            match Recorder::create(site.clone(), path, options) {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        None => None,
    };
    // Reads only: a gateway never writes to a controller.
    let subscribers = 1 + usize::from(recorder.is_some());
    let options = SourceOptions {
        controllers: args.controllers.clone(),
        speed: args.speed,
        seed: args.seed,
        lossless: subscribers,
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
    // The recorder takes the second subscription, when there is one.
    let recording = match recorder.zip(if subscribers > 1 { source.lossless.pop() } else { None }) {
        Some((r, rx)) => match RecorderThread::spawn(r, rx) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("error: cannot start the recorder: {e}");
                source.stop();
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let Some(rx) = source.lossless.pop() else { return ExitCode::FAILURE };
    let mut options = GatewayOptions::new(connection);
    options.keyframe_every = Duration::from_secs_f64(args.keyframe_every);
    let stats = Arc::new(Mutex::new(GatewayStats::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let task = source.runtime.spawn(twin_gateway::gateway::run(
        site.clone(),
        rx,
        options,
        stats.clone(),
        stop.clone(),
    ));
    let topics = twin_gateway::Topics::new(&name);
    tracing::info!(
        "publishing {} to {broker} under {}",
        site.layout.name,
        topics.deltas.trim_end_matches("/deltas")
    );

    let signal = stop.clone();
    source.runtime.spawn(async move {
        twin_app::shutdown_signal().await;
        signal.store(true, Ordering::Relaxed);
    });
    let started = Instant::now();
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) && args.run_for.is_none_or(|s| started.elapsed().as_secs_f64() < s) {
        std::thread::sleep(Duration::from_millis(50));
        if last.elapsed() >= Duration::from_secs(10) {
            last = Instant::now();
            let s = stats.lock().map(|s| s.clone()).unwrap_or_default();
            println!("{}", status_line(&s));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = source.runtime.block_on(task);
    let s = stats.lock().map(|s| s.clone()).unwrap_or_default();
    source.stop();
    if let Some(t) = recording {
        match t.stop() {
            Ok(sum) => println!(
                "recorded {} messages to {}",
                sum.messages,
                sum.files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            ),
            Err(e) => eprintln!("error: recording failed: {e}"),
        }
    }
    println!("{}", status_line(&s));
    ExitCode::SUCCESS
}

fn status_line(s: &GatewayStats) -> String {
    format!(
        "broker {}: {} delta batches, {} keyframes, {} reconnects, {} deltas coalesced while down, {} events dropped{}",
        if s.connected { "connected" } else { "DOWN" },
        s.batches,
        s.keyframes,
        s.reconnects,
        s.coalesced,
        s.dropped_events,
        s.last_error.as_deref().map_or(String::new(), |e| format!(" (last error: {e})"))
    )
}
