//! The twin (default command): the live link applied to the ECS, fed by the built-in simulator
//! in-process over real TCP, or by real controllers with `--controller`.
//!
//! By default it opens the 3D floor ([`crate::view`]); `--headless` runs without a window and
//! prints a status line instead: lit modules, pickers, the order board, controller health.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bevy_app::{App, AppExit, ScheduleRunnerPlugin, TaskPoolPlugin, Update};
use bevy_ecs::prelude::*;
use twin_link::{
    ConnectionState, LightModule, Link, LinkHealth, LinkOptions, LinkPlugin, LinkReceiver, LinkSite,
    OrderBoard, Picker, ViewReceiver,
};
use twin_model::codes::{ModuleState, OrderStatus, PickerState};
use twin_sim::{Listen, SimConfig, SimOptions};

use crate::cli::TwinArgs;

/// When to print and when to stop.
#[derive(Resource)]
struct Console {
    every: Option<Duration>,
    last: Instant,
    started: Instant,
    run_for: Option<Duration>,
    stop: Arc<AtomicBool>,
}

/// The running data source: the simulator (unless controllers are given) and the link polling
/// it, with lossless subscribers (recorder, gateway) as asked.
pub struct Source {
    /// The async runtime the simulator and signal handling run on.
    pub runtime: tokio::runtime::Runtime,
    sim: Option<twin_sim::RunningSim>,
    /// The link.
    pub link: Link,
    /// Subscribers to every message, never coalesced (as many as asked for).
    pub lossless: Vec<crossbeam_channel::Receiver<twin_link::LinkMessage>>,
}

impl Source {
    /// Starts the simulator (no `controllers`) and the link. Errors are printed; the caller
    /// exits with failure.
    pub fn start(
        site: &Arc<twin_model::Site>,
        controllers: &[(String, String)],
        allow_writes: bool,
        speed: f64,
        seed: u64,
        lossless: usize,
    ) -> Option<Self> {
        let mut endpoints = match crate::controller_overrides(site, controllers) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: {e}");
                return None;
            }
        };
        let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
        {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("error: cannot start the async runtime: {e}");
                return None;
            }
        };
        // No --controller: every controller is simulated in-process on loopback.
        let sim = if controllers.is_empty() {
            let options = SimOptions {
                listen: Listen::Base(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
                speed,
                config: SimConfig { seed, ..SimConfig::default() },
            };
            match runtime.block_on(twin_sim::start(site.clone(), options)) {
                Ok(sim) => {
                    endpoints = sim
                        .addresses()
                        .iter()
                        .enumerate()
                        .map(|(i, a)| (i, a.to_string()))
                        .collect::<HashMap<_, _>>();
                    tracing::info!("simulating {} controllers in-process", sim.addresses().len());
                    Some(sim)
                }
                Err(e) => {
                    eprintln!("error: cannot start the simulator: {e}");
                    return None;
                }
            }
        } else {
            None
        };
        let mut builder =
            Link::builder(site.clone()).options(LinkOptions { allow_writes, ..LinkOptions::default() });
        for (i, endpoint) in endpoints {
            builder = builder.endpoint(i, endpoint);
        }
        let lossless = (0..lossless).map(|_| builder.lossless()).collect();
        let link = match builder.spawn() {
            Ok(link) => link,
            Err(e) => {
                eprintln!("error: cannot start the link: {e}");
                return None;
            }
        };
        if !allow_writes {
            tracing::info!("read-only: nothing is written to any controller (--allow-writes to change)");
        }
        Some(Self { runtime, sim, link, lossless })
    }

    /// Stops the link, then the simulator.
    pub fn stop(self) {
        self.link.stop();
        if let Some(sim) = self.sim {
            self.runtime.block_on(sim.shutdown());
        }
    }
}

/// Runs the twin until Ctrl-C, SIGTERM or `--for`.
pub fn run(args: &TwinArgs) -> ExitCode {
    crate::init_logging();
    let Some(site) = crate::load_site(&args.layout) else { return ExitCode::FAILURE };
    if let Some(url) = &args.source {
        return run_viewer(args, site, url);
    }
    // The window offers a record button: a recorder follows the lossless path from the start.
    let lossless = usize::from(!args.headless);
    let Some(mut source) =
        Source::start(&site, &args.controllers, args.allow_writes, args.speed, args.seed, lossless)
    else {
        return ExitCode::FAILURE;
    };
    let view = source.link.take_view().expect("a new link has its view");
    let mut app = if args.headless {
        headless_app(args, site, view, &source.runtime)
    } else {
        let mut app = window_app(args, site.clone(), view);
        if let Some(rx) = source.lossless.pop() {
            let options = twin_record::RecorderOptions { source: source_label(args), ..Default::default() };
            match twin_record::RecorderSwitch::spawn(site.clone(), rx, options) {
                Ok(switch) => {
                    app.insert_resource(LiveRecorder { switch, site: site.layout.name.clone() })
                        .insert_resource(twin_overlay::RecordingControl {
                            available: true,
                            ..Default::default()
                        })
                        .add_systems(bevy::prelude::Update, sync_recorder);
                }
                Err(e) => tracing::error!("no record button: cannot start the recorder thread: {e}"),
            }
        }
        app
    };
    let exit = app.run();
    // The app (and its recorder) first, then the link, so a recording ends complete.
    drop(app);
    source.stop();
    match exit {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

/// The twin fed by a gateway through a broker (`--source`): no Modbus at all.
fn run_viewer(args: &TwinArgs, site: Arc<twin_model::Site>, url: &twin_gateway::BrokerUrl) -> ExitCode {
    let options = match crate::gateway::viewer_options(url, &args.tls, &site.layout.name) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (tx, view) = twin_link::view_channel(64);
    let label = format!("{} (read-only)", options.broker);
    let viewer = match twin_gateway::Viewer::spawn(site.clone(), options, Some(twin_gateway::Sink::View(tx)))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: cannot start the viewer: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("watching {label}");
    let mut app = if args.headless {
        headless_app(args, site, view, &runtime)
    } else {
        let mut app = window_app(args, site, view);
        app.insert_resource(twin_overlay::OverlaySource(label.clone()));
        app
    };
    app.insert_resource(MqttSource { viewer, label, last: None })
        .add_systems(bevy::prelude::Update, show_source_lag);
    let exit = app.run();
    match exit {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

/// The viewer feeding this twin.
#[derive(Resource)]
struct MqttSource {
    viewer: twin_gateway::Viewer,
    label: String,
    last: Option<Instant>,
}

/// Puts the broker, the gateway's state and the lag in the overlay's top bar (twice a second),
/// and logs a refusal (wrong layout, wire version) once.
fn show_source_lag(mut source: ResMut<MqttSource>, overlay: Option<ResMut<twin_overlay::OverlaySource>>) {
    if source.last.is_some_and(|t| t.elapsed() < Duration::from_millis(500)) {
        return;
    }
    source.last = Some(Instant::now());
    let s = source.viewer.stats();
    let state = match (&s.refused, s.connected, s.gateway_online) {
        (Some(why), _, _) => format!("REFUSED: {why}"),
        (None, false, _) => "broker unreachable".to_owned(),
        (None, true, Some(false)) => "gateway offline".to_owned(),
        (None, true, _) => s.lag_ms.map_or("waiting for the keyframe".to_owned(), |l| format!("lag {l} ms")),
    };
    let text = format!("{} — {state}", source.label);
    if let Some(mut o) = overlay
        && o.0 != text
    {
        o.0 = text;
    }
}

/// The 3D floor in a window.
fn window_app(args: &TwinArgs, site: Arc<twin_model::Site>, view: ViewReceiver) -> App {
    let options = crate::view::ViewOptions {
        camera: twin_camera::CameraMode::parse(&args.camera).unwrap_or(twin_camera::CameraMode::Overview),
        screenshot: args.screenshot.clone(),
        after: args.after,
        run_for: args.run_for.map(Duration::from_secs_f64),
        size: args.size,
        frame_stats: args.frame_stats,
        any_thread: false,
        kiosk: args.kiosk,
        source: source_label(args),
        replay: false,
    };
    crate::view::window_app(site, view, &options)
}

/// The live twin's recorder, switched by the overlay's record button.
#[derive(Resource)]
struct LiveRecorder {
    switch: twin_record::RecorderSwitch,
    site: String,
}

/// Acts on the record button and shows the recorder's state in the overlay.
fn sync_recorder(mut control: ResMut<twin_overlay::RecordingControl>, recorder: Res<LiveRecorder>) {
    if control.toggle {
        control.toggle = false;
        if control.recording.is_some() {
            recorder.switch.stop();
        } else {
            let slug = crate::gateway::slug(&recorder.site);
            let secs =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            recorder
                .switch
                .start(std::path::PathBuf::from("recordings").join(format!("{slug}-{secs}.ptrec")));
        }
    }
    let s = recorder.switch.status();
    let recording = s.recording.map(|p| p.display().to_string());
    if control.recording != recording || control.bytes != s.bytes || control.error != s.error {
        control.recording = recording;
        control.bytes = s.bytes;
        control.error = s.error;
    }
}

/// What the overlay's top bar says the data comes from.
fn source_label(args: &TwinArgs) -> String {
    if args.controllers.is_empty() {
        format!("simulator ×{} (in process)", args.speed)
    } else {
        let access = if args.allow_writes { "writes allowed" } else { "read-only" };
        format!("Modbus TCP, {} controllers, {access}", args.controllers.len())
    }
}

/// No window: the link applied to the ECS and a status line; stops on Ctrl-C, SIGTERM or `--for`.
fn headless_app(
    args: &TwinArgs,
    site: Arc<twin_model::Site>,
    view: ViewReceiver,
    runtime: &tokio::runtime::Runtime,
) -> App {
    let stop = Arc::new(AtomicBool::new(false));
    let signal_stop = stop.clone();
    runtime.spawn(async move {
        crate::shutdown_signal().await;
        signal_stop.store(true, Ordering::Relaxed);
    });

    let mut app = App::new();
    app.add_plugins((
        TaskPoolPlugin::default(),
        ScheduleRunnerPlugin::run_loop(Duration::from_secs_f64(1.0 / 30.0)),
        LinkPlugin,
    ))
    .insert_resource(LinkSite(site))
    .insert_resource(LinkReceiver(view))
    .insert_resource(Console {
        every: (args.status_every > 0).then(|| Duration::from_secs(args.status_every)),
        last: Instant::now(),
        started: Instant::now(),
        run_for: args.run_for.map(Duration::from_secs_f64),
        stop,
    })
    .add_systems(Update, (print_status, stop_when_asked));
    app
}

fn stop_when_asked(console: Res<Console>, mut exit: MessageWriter<AppExit>) {
    let timed_out = console.run_for.is_some_and(|d| console.started.elapsed() >= d);
    if timed_out || console.stop.load(Ordering::Relaxed) {
        exit.write(AppExit::Success);
    }
}

/// One line: lit modules, pickers, the order board, controller health.
fn print_status(
    mut console: ResMut<Console>,
    site: Res<LinkSite>,
    modules: Query<&LightModule>,
    pickers: Query<&Picker>,
    board: Res<OrderBoard>,
    health: Res<LinkHealth>,
) {
    let Some(every) = console.every else { return };
    if console.last.elapsed() < every {
        return;
    }
    console.last = Instant::now();
    let (mut lit, mut confirmed, mut stale) = (0, 0, 0);
    for m in &modules {
        lit += usize::from(m.reading.state == ModuleState::Lit as u16);
        confirmed += usize::from(m.reading.confirm_latch || m.reading.shortage_latch);
        stale += usize::from(m.reading.stale);
    }
    let mut by_state = [0usize; 6];
    for p in &pickers {
        if let Some(s) = by_state.get_mut(usize::from(p.reading.state)) {
            *s += 1;
        }
    }
    let count = |s: OrderStatus| board.slots.iter().filter(|o| o.status == s as u16).count();
    let controllers: Vec<String> = site
        .0
        .layout
        .controllers
        .iter()
        .zip(&health.controllers)
        .map(|(c, h)| {
            let state = match (h.connection, h.stale) {
                (_, true) => "STALE",
                (ConnectionState::Connected, _) => "ok",
                (ConnectionState::Connecting, _) => "connecting",
                (ConnectionState::Disconnected, _) => "down",
            };
            format!(
                "{} {state} p50 {:.2} ms p99 {:.2} ms polls {} err {} exc {}",
                c.name,
                f64::from(h.latency_p50_us) / 1e3,
                f64::from(h.latency_p99_us) / 1e3,
                h.polls,
                h.errors,
                h.exceptions
            )
        })
        .collect();
    println!(
        "modules: {lit} lit, {confirmed} latched, {stale} stale | pickers: {} walking, {} picking, {} packing, {} idle, {} on break | orders: {} pending, {} active, {} done | {}",
        by_state[PickerState::Walking as usize],
        by_state[PickerState::Picking as usize],
        by_state[PickerState::Packing as usize],
        by_state[PickerState::Idle as usize],
        by_state[PickerState::Break as usize],
        count(OrderStatus::Pending),
        count(OrderStatus::Active),
        count(OrderStatus::Done),
        controllers.join(" · ")
    );
}
