//! `picktwin gateway`: the live link (simulator or controllers, one connection each) published
//! through an MQTT broker; optionally recorded too.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use twin_app::{Source, SourceOptions};
use twin_gateway::sparkplug::{self, SparkplugOptions, SparkplugStats};
use twin_gateway::{GatewayOptions, GatewayStats};
use twin_record::{Recorder, RecorderOptions, RecorderThread};

use crate::cli::{TlsArgs, parse_controller, parse_speed};

/// Arguments of `picktwin gateway`.
#[derive(Debug, clap::Args)]
pub struct GatewayArgs {
    /// Site layout (RON); default: the built-in demo site (layouts/demo.ron, embedded).
    #[arg(long, value_name = "FILE")]
    pub layout: Option<PathBuf>,

    /// Broker: mqtt://[USER[:PASSWORD]@]HOST:PORT or mqtts://... (a password may come from
    /// PICKTWIN_MQTT_PASSWORD instead, keeping it out of process lists).
    #[arg(long, value_name = "URL")]
    pub broker: twin_gateway::BrokerUrl,

    /// Site name in the topics (picktwin/SITE/v3/...); default: the URL's path, else the
    /// layout's name.
    #[arg(long, value_name = "NAME")]
    pub site: Option<String>,

    /// Poll this controller at HOST:PORT (repeatable); with none, the built-in simulator.
    #[arg(long = "controller", value_name = "NAME=HOST:PORT", value_parser = parse_controller)]
    pub controllers: Vec<(String, String)>,

    /// Simulator time acceleration, 1 to 600 (when simulating).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// Simulator seed (when simulating).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Seconds between retained keyframes (a late viewer is complete within one).
    #[arg(long, value_name = "SECONDS", default_value_t = twin_gateway::gateway::DEFAULT_KEYFRAME_EVERY.as_secs_f64())]
    pub keyframe_every: f64,

    /// Also record everything to this file (from its own lossless subscription: a broker
    /// outage loses nothing here).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// With --record, the history store to write too (as `picktwin record --history`; default:
    /// SQLite beside the recording).
    #[arg(long, value_name = "URL", requires = "record")]
    pub history: Option<String>,

    /// With --record, write no history store.
    #[arg(long, conflicts_with = "history")]
    pub no_history: bool,

    /// Also publish Sparkplug B (for SCADA and historians) as edge node GROUP/EDGE_NODE on the
    /// same broker, each controller a device; EDGE_NODE defaults to the site name. Read-only:
    /// commands other than a rebirth are refused (docs/gateway.md).
    #[arg(long, value_name = "GROUP[/EDGE_NODE]")]
    pub sparkplug: Option<twin_gateway::sparkplug::SparkplugId>,

    /// Stop cleanly after this many seconds.
    #[arg(long = "for", value_name = "SECONDS")]
    pub run_for: Option<f64>,

    /// TLS.
    #[command(flatten)]
    pub tls: TlsArgs,
}

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
    // Reads only: a gateway never writes to a controller. One lossless subscription each: the
    // gateway, the recorder, the Sparkplug edge node.
    let history = args
        .record
        .as_deref()
        .and_then(|out| crate::record::history_beside(out, args.history.as_deref(), args.no_history));
    let subscribers = 1
        + usize::from(recorder.is_some())
        + usize::from(args.sparkplug.is_some())
        + usize::from(history.is_some());
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
    // The recorder takes a subscription of its own, when there is one.
    let history = match history {
        Some(store) => {
            match source.lossless.pop().and_then(|rx| crate::record::start_history(&site, rx, &store)) {
                Some(h) => Some(h),
                None => {
                    source.stop();
                    return ExitCode::FAILURE;
                }
            }
        }
        None => None,
    };
    let recorder_rx = if recorder.is_some() { source.lossless.pop() } else { None };
    let recording = match recorder.zip(recorder_rx) {
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
    let sparkplug_stats = Arc::new(Mutex::new(SparkplugStats::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let sparkplug = match (&args.sparkplug, args.sparkplug.as_ref().and_then(|_| source.lossless.pop())) {
        (Some(id), Some(rx)) => {
            let options = SparkplugOptions::new(connection.clone(), id.clone());
            Some(source.runtime.spawn(sparkplug::run(
                site.clone(),
                rx,
                options,
                sparkplug_stats.clone(),
                stop.clone(),
            )))
        }
        _ => None,
    };
    let Some(rx) = source.lossless.pop() else { return ExitCode::FAILURE };
    let mut options = GatewayOptions::new(connection);
    options.keyframe_every = Duration::from_secs_f64(args.keyframe_every);
    let stats = Arc::new(Mutex::new(GatewayStats::default()));
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
            if sparkplug.is_some() {
                println!("{}", sparkplug_line(&sparkplug_stats));
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = source.runtime.block_on(task);
    if let Some(t) = sparkplug {
        let _ = source.runtime.block_on(t);
        println!("{}", sparkplug_line(&sparkplug_stats));
    }
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
    crate::record::finish_history(history);
    println!("{}", status_line(&s));
    ExitCode::SUCCESS
}

fn sparkplug_line(stats: &Mutex<SparkplugStats>) -> String {
    let s = stats.lock().map(|s| s.clone()).unwrap_or_default();
    let c = &s.counts;
    format!(
        "sparkplug {} (bdSeq {}): {} births, {} data, {} device deaths, {} rebirths asked, {} commands refused, {} kB sent, largest {} kB{}",
        if s.connected { "connected" } else { "DOWN" },
        s.bd_seq,
        c.births,
        c.data,
        c.deaths,
        c.rebirths,
        c.refused,
        c.bytes / 1000,
        c.largest / 1000,
        s.last_error.as_deref().map_or(String::new(), |e| format!(" (last error: {e})"))
    )
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
