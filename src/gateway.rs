//! `picktwin gateway`: the live link (simulator or controllers, one connection each) published
//! through an MQTT broker; optionally recorded too. Shared helpers for `--source` viewers.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use twin_gateway::{BrokerUrl, Connection, GatewayOptions, GatewayStats, ViewerOptions};
use twin_record::{Recorder, RecorderOptions, RecorderThread};

use crate::cli::{GatewayArgs, TlsArgs};
use crate::twin::Source;

/// A client certificate and its key, PEM.
pub type ClientAuth = (Vec<u8>, Vec<u8>);

/// The TLS files read (CA, client auth), or a message naming the file that could not be read.
pub fn read_tls(tls: &TlsArgs) -> Result<(Option<Vec<u8>>, Option<ClientAuth>), String> {
    let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let ca = tls.ca.as_deref().map(read).transpose()?;
    let auth = match (&tls.client_cert, &tls.client_key) {
        (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
        _ => None,
    };
    Ok((ca, auth))
}

/// The URL with a password from PICKTWIN_MQTT_PASSWORD when it names a user but no password.
pub fn with_password(mut url: BrokerUrl) -> BrokerUrl {
    if url.username.is_some() && url.password.is_none() {
        url.password = std::env::var("PICKTWIN_MQTT_PASSWORD").ok();
    }
    url
}

/// A name for topics and files: lower case ASCII letters and digits, `-` for the rest.
pub fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

/// A site name from the URL's path or the layout's name ([`slug`]).
pub fn site_name(url: &BrokerUrl, given: Option<&str>, layout_name: &str) -> String {
    given.map(str::to_owned).or_else(|| url.site.clone()).unwrap_or_else(|| slug(layout_name))
}

/// Where to connect: the URL (password from the environment if needed), the site name, TLS.
pub fn connection(
    url: &BrokerUrl,
    tls: &TlsArgs,
    site: Option<&str>,
    layout_name: &str,
) -> Result<Connection, String> {
    let (ca_pem, client_auth) = read_tls(tls)?;
    let broker = with_password(url.clone());
    let site = site_name(&broker, site, layout_name);
    Ok(Connection { broker, site, ca_pem, client_auth })
}

/// Viewer options for `--source URL`.
pub fn viewer_options(url: &BrokerUrl, tls: &TlsArgs, layout_name: &str) -> Result<ViewerOptions, String> {
    connection(url, tls, None, layout_name)
}

/// Runs the gateway until `--for`, Ctrl-C or SIGTERM.
pub fn run(args: &GatewayArgs) -> ExitCode {
    crate::init_logging();
    let Some(site) = crate::load_site(&args.layout) else { return ExitCode::FAILURE };
    let connection = match connection(&args.broker, &args.tls, args.site.as_deref(), &site.layout.name) {
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
    let Some(mut source) = Source::start(&site, &args.controllers, false, args.speed, args.seed, subscribers)
    else {
        return ExitCode::FAILURE;
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
        crate::shutdown_signal().await;
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
