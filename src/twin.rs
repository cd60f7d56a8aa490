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

/// Runs the twin until Ctrl-C, SIGTERM or `--for`.
pub fn run(args: &TwinArgs) -> ExitCode {
    crate::init_logging();
    let Some(site) = crate::load_site(&args.layout) else { return ExitCode::FAILURE };
    let mut endpoints = match crate::controller_overrides(&site, &args.controllers) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // No --controller: every controller is simulated in-process on loopback.
    let sim = if args.controllers.is_empty() {
        let options = SimOptions {
            listen: Listen::Base(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
            speed: args.speed,
            config: SimConfig { seed: args.seed, ..SimConfig::default() },
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
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let mut builder = Link::builder(site.clone())
        .options(LinkOptions { allow_writes: args.allow_writes, ..LinkOptions::default() });
    for (i, endpoint) in endpoints {
        builder = builder.endpoint(i, endpoint);
    }
    let mut link = match builder.spawn() {
        Ok(link) => link,
        Err(e) => {
            eprintln!("error: cannot start the link: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !args.allow_writes {
        tracing::info!("read-only: nothing is written to any controller (--allow-writes to change)");
    }

    let view = link.take_view().expect("a new link has its view");
    let mut app =
        if args.headless { headless_app(args, site, view, &runtime) } else { window_app(args, site, view) };
    let exit = app.run();
    link.stop();
    if let Some(sim) = sim {
        runtime.block_on(sim.shutdown());
    }
    match exit {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
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
    };
    crate::view::window_app(site, view, &options)
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
