//! The windowed twin: Bevy's renderer with the 3D floor, cameras and egui, fed by a view
//! channel (the live link today; a recording or a broker later), plus command-line
//! screenshots and frame-time statistics.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::{MonitorSelection, PresentMode, WindowMode, WindowResolution};
use bevy_egui::EguiPlugin;
use twin_camera::{CameraMode, CameraPlugin};
use twin_link::{LinkPlugin, LinkReceiver, LinkSite, ViewReceiver};
use twin_model::Site;
use twin_overlay::{OverlayPlugin, OverlayStats};
use twin_scene::ScenePlugin;

/// How the window runs.
#[derive(Debug, Clone)]
pub struct ViewOptions {
    /// Camera mode at start.
    pub camera: CameraMode,
    /// Save one frame here and exit.
    pub screenshot: Option<PathBuf>,
    /// Seconds to run before the screenshot.
    pub after: f64,
    /// Stop after this long.
    pub run_for: Option<Duration>,
    /// Window size in physical pixels.
    pub size: (u32, u32),
    /// Print frame-time statistics at exit (and do not wait for vsync).
    pub frame_stats: bool,
    /// Create the event loop off the main thread (tests).
    pub any_thread: bool,
    /// Wall display: fullscreen, dark, large type, camera tour, no interaction needed.
    pub kiosk: bool,
    /// Where the data comes from, for the overlay's top bar.
    pub source: String,
    /// A replay feeds the overlay's model itself (the live tracker stays off).
    pub replay: bool,
}

impl Default for ViewOptions {
    fn default() -> Self {
        Self {
            camera: CameraMode::Overview,
            screenshot: None,
            after: 3.0,
            run_for: None,
            size: (1600, 900),
            frame_stats: false,
            any_thread: false,
            kiosk: false,
            source: String::new(),
            replay: false,
        }
    }
}

/// The windowed app, ready to run.
pub fn window_app(site: Arc<Site>, view: ViewReceiver, options: &ViewOptions) -> App {
    let mut app = App::new();
    let title = format!("picktwin — {}", site.layout.name);
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title,
                    // A wall display fills its screen; F toggles back.
                    mode: if options.kiosk {
                        WindowMode::BorderlessFullscreen(MonitorSelection::Current)
                    } else {
                        WindowMode::Windowed
                    },
                    resolution: WindowResolution::new(options.size.0, options.size.1),
                    present_mode: if options.frame_stats {
                        PresentMode::AutoNoVsync
                    } else {
                        PresentMode::AutoVsync
                    },
                    ..default()
                }),
                ..default()
            })
            .set(bevy::winit::WinitPlugin { run_on_any_thread: options.any_thread })
            // picktwin installs its own tracing subscriber (`init_logging`).
            .disable::<bevy::log::LogPlugin>(),
    )
    .add_plugins(EguiPlugin::default())
    .add_plugins((
        LinkPlugin,
        ScenePlugin,
        CameraPlugin { initial: if options.kiosk { CameraMode::Tour } else { options.camera }, ..default() },
        OverlayPlugin {
            kiosk: options.kiosk,
            source: options.source.clone(),
            external_feed: options.replay,
            ..default()
        },
    ))
    .insert_resource(LinkSite(site))
    .insert_resource(LinkReceiver(view))
    .insert_resource(RunPlan {
        screenshot: options.screenshot.clone(),
        after: options.after,
        run_for: options.run_for,
        requested: false,
    })
    .init_resource::<FrameStats>()
    .init_resource::<LastCapture>()
    .add_systems(Update, (plan_exit, record_frame_time, choose_antialiasing));
    if options.frame_stats {
        app.add_systems(Last, report_frame_stats_on_exit);
    }
    app
}

/// 4× MSAA on a GPU (cheap there, and rack edges need it); none on a software rasterizer,
/// where it multiplies the cost of every pixel.
fn choose_antialiasing(
    adapter: Option<Res<bevy::render::renderer::RenderAdapterInfo>>,
    mut cameras: Query<&mut bevy::render::view::Msaa, Added<twin_camera::TwinCamera>>,
) {
    for mut msaa in &mut cameras {
        // Bevy does not re-export wgpu's `DeviceType`; its debug name is stable ("Cpu").
        let software = adapter.as_ref().is_some_and(|a| format!("{:?}", a.0.device_type) == "Cpu");
        *msaa = if software { bevy::render::view::Msaa::Off } else { bevy::render::view::Msaa::Sample4 };
        if software {
            tracing::info!("software renderer: multisampling off");
        }
    }
}

/// When to take the screenshot and when to stop.
#[derive(Resource, Debug)]
struct RunPlan {
    screenshot: Option<PathBuf>,
    after: f64,
    run_for: Option<Duration>,
    requested: bool,
}

/// The latest frame `--screenshot` captured.
#[derive(Resource, Debug, Default)]
pub struct LastCapture(pub Option<CapturedFrame>);

/// A frame a screenshot captured, as RGB8 rows (for tests and health checks).
#[derive(Resource, Debug, Clone)]
pub struct CapturedFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// RGB bytes, row by row.
    pub rgb: Vec<u8>,
    /// Where it was saved.
    pub path: PathBuf,
}

fn plan_exit(
    mut commands: Commands,
    time: Res<Time<Real>>,
    mut plan: ResMut<RunPlan>,
    mut frames: Local<u32>,
    mut exit: MessageWriter<AppExit>,
) {
    *frames += 1;
    let elapsed = time.elapsed_secs_f64();
    if let Some(path) = plan.screenshot.clone() {
        // A few frames at least, so pipelines have compiled and the first states arrived.
        if !plan.requested && elapsed >= plan.after && *frames > 10 {
            plan.requested = true;
            commands.spawn(Screenshot::primary_window()).observe(
                move |captured: On<ScreenshotCaptured>,
                      mut last: ResMut<LastCapture>,
                      mut exit: MessageWriter<AppExit>| {
                    let image = captured.image.clone();
                    match image.try_into_dynamic() {
                        Ok(dynamic) => {
                            let rgb = dynamic.to_rgb8();
                            let (width, height) = rgb.dimensions();
                            match rgb.save(&path) {
                                Ok(()) => {
                                    tracing::info!("screenshot saved to {}", path.display());
                                    exit.write(AppExit::Success);
                                }
                                Err(e) => {
                                    tracing::error!("cannot save the screenshot to {}: {e}", path.display());
                                    exit.write(AppExit::from_code(1));
                                }
                            }
                            last.0 = Some(CapturedFrame {
                                width,
                                height,
                                rgb: rgb.into_raw(),
                                path: path.clone(),
                            });
                        }
                        Err(e) => {
                            tracing::error!("cannot convert the screenshot: {e}");
                            exit.write(AppExit::from_code(1));
                        }
                    }
                },
            );
        }
        // A renderer that never delivers must not hang a health check.
        if elapsed > plan.after + 60.0 {
            tracing::error!("no frame was captured within 60 s");
            exit.write(AppExit::from_code(1));
        }
    }
    if plan.run_for.is_some_and(|d| elapsed >= d.as_secs_f64()) {
        exit.write(AppExit::Success);
    }
}

/// Frame times after warm-up, for `--frame-stats`.
#[derive(Resource, Debug, Default)]
pub struct FrameStats {
    /// Seconds per frame.
    pub frame_s: Vec<f32>,
}

impl FrameStats {
    /// (mean, p50, p99) in milliseconds.
    pub fn summary(&self) -> Option<(f64, f64, f64)> {
        if self.frame_s.is_empty() {
            return None;
        }
        let mut v: Vec<f64> = self.frame_s.iter().map(|s| f64::from(*s) * 1e3).collect();
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Some((mean, at(0.5), at(0.99)))
    }
}

fn record_frame_time(time: Res<Time<Real>>, mut stats: ResMut<FrameStats>) {
    // Skip start-up (pipeline compilation, first uploads).
    if time.elapsed_secs() > 2.0 {
        stats.frame_s.push(time.delta_secs());
    }
}

/// A visible mesh with the material that decides its batch.
type DrawnMesh = (
    &'static Mesh3d,
    Option<&'static MeshMaterial3d<StandardMaterial>>,
    Option<&'static MeshMaterial3d<twin_scene::ModuleMaterial>>,
    &'static InheritedVisibility,
);

fn report_frame_stats_on_exit(
    mut exits: MessageReader<AppExit>,
    stats: Res<FrameStats>,
    site: Res<LinkSite>,
    overlay: Res<OverlayStats>,
    batches: Query<DrawnMesh>,
    windows: Query<&Window>,
) {
    if exits.read().next().is_none() {
        return;
    }
    // Meshes sharing a mesh and a material are drawn as one instanced batch: the number of
    // distinct pairs bounds the draw calls per pass.
    let mut pairs = std::collections::HashSet::new();
    let mut instances = 0usize;
    for (mesh, standard, module, visible) in &batches {
        if !visible.get() {
            continue;
        }
        instances += 1;
        let material = standard.map(|m| m.0.id().untyped()).or(module.map(|m| m.0.id().untyped()));
        pairs.insert((mesh.0.id(), material));
    }
    let size = windows.iter().next().map_or((0, 0), |w| (w.physical_width(), w.physical_height()));
    let (overlay_mean, overlay_p99) = overlay.summary().unwrap_or_default();
    if let Some((mean, p50, p99)) = stats.summary() {
        println!(
            "frame-stats layout={:?} modules={} size={}x{} frames={} mean_ms={mean:.2} p50_ms={p50:.2} p99_ms={p99:.2} fps={:.1} mesh_instances={instances} draw_batches={} overlay_mean_ms={overlay_mean:.3} overlay_p99_ms={overlay_p99:.3}",
            site.0.layout.name,
            site.0.modules.len(),
            size.0,
            size.1,
            stats.frame_s.len(),
            1e3 / mean,
            pairs.len()
        );
    }
}
