//! The twin (default command): the live link applied to the ECS, fed by the built-in simulator
//! in-process over real TCP, by real controllers with `--controller`, or by a gateway through
//! a broker with `--source`. It opens the 3D floor; `--headless` prints status lines instead.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bevy::app::{App, AppExit};
use twin_app::{HeadlessOptions, LiveRecorder, MqttSource, Source, SourceOptions, ViewOptions};
use twin_link::ViewReceiver;

use crate::cli::TwinArgs;

/// Runs the twin until Ctrl-C, SIGTERM or `--for`.
pub fn run(args: &TwinArgs) -> ExitCode {
    crate::init_logging();
    let Some(site) = crate::load_site(args.layout.as_deref()) else { return ExitCode::FAILURE };
    if let Some(url) = &args.source {
        return run_viewer(args, site, url);
    }
    // The window offers a record button: a recorder follows the lossless path from the start.
    let options = SourceOptions {
        controllers: args.controllers.clone(),
        speed: args.speed,
        seed: args.seed,
        lossless: usize::from(!args.headless),
        start_ms: Some(args.start),
    };
    let mut source = match Source::start(&site, &options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(view) = source.link.take_view() else { return ExitCode::FAILURE };
    let mut app = if args.headless {
        twin_app::headless_app(&headless_options(args), site, view, &source.runtime)
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
                        });
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
    exit_code(exit)
}

/// The twin fed by a gateway through a broker (`--source`): no Modbus at all.
fn run_viewer(args: &TwinArgs, site: Arc<twin_model::Site>, url: &twin_gateway::BrokerUrl) -> ExitCode {
    let options = match twin_gateway::connection(url, &(&args.tls).into(), None, &site.layout.name) {
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
        twin_app::headless_app(&headless_options(args), site, view, &runtime)
    } else {
        let mut app = window_app(args, site, view);
        app.insert_resource(twin_overlay::OverlaySource(label.clone()));
        app
    };
    app.insert_resource(MqttSource { viewer, label, last: None, bad_seen: 0 });
    exit_code(app.run())
}

fn exit_code(exit: AppExit) -> ExitCode {
    match exit {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

fn headless_options(args: &TwinArgs) -> HeadlessOptions {
    HeadlessOptions {
        status_every: (args.status_every > 0).then(|| Duration::from_secs(args.status_every)),
        run_for: args.run_for.map(Duration::from_secs_f64),
    }
}

/// The 3D floor in a window.
fn window_app(args: &TwinArgs, site: Arc<twin_model::Site>, view: ViewReceiver) -> App {
    let options = ViewOptions {
        camera: twin_camera::CameraMode::parse(&args.camera).unwrap_or(twin_camera::CameraMode::Overview),
        screenshot: args.screenshot.clone(),
        after: args.after,
        run_for: args.run_for.map(Duration::from_secs_f64),
        size: args.size,
        frame_stats: args.frame_stats,
        any_thread: false,
        kiosk: args.kiosk,
        wall: twin_overlay::ui::Wall { inches: args.wall_inches, distance_m: args.viewing_distance },
        beacons: !args.no_beacons,
        source: source_label(args),
        replay: false,
        heat: args.heat,
    };
    twin_app::window_app(site, view, &options)
}

/// What the overlay's top bar says the data comes from.
fn source_label(args: &TwinArgs) -> String {
    if args.controllers.is_empty() {
        format!("simulator ×{} (in process)", args.speed)
    } else {
        format!("Modbus TCP, {} controllers, read-only", args.controllers.len())
    }
}
