//! The windowed twin: Bevy's renderer with the 3D floor, cameras, egui overlay and the app
//! shell, fed by a view channel (the live link, a recording or a broker).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bevy::prelude::*;
use bevy::window::{MonitorSelection, PresentMode, WindowMode, WindowResolution};
use bevy_egui::EguiPlugin;
use twin_camera::{CameraMode, CameraPlugin};
use twin_link::{LinkPlugin, LinkReceiver, LinkSite, ViewReceiver};
use twin_model::Site;
use twin_overlay::{OpsConfig, OverlayPlugin};
use twin_scene::ScenePlugin;

use crate::ShellPlugin;
use crate::capture::{LastCapture, RunPlan};
use crate::frame_stats::{FrameStats, ReportFrameStats};

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
    /// The wall the kiosk layout sizes its type for.
    pub wall: twin_overlay::ui::Wall,
    /// Lit modules draw beacons (off only to measure what they cost).
    pub beacons: bool,
    /// Where the data comes from, for the overlay's top bar.
    pub source: String,
    /// A replay feeds the overlay's model itself (the live tracker stays off).
    pub replay: bool,
    /// The pick heatmap at start (None: off).
    pub heat: Option<twin_overlay::ops::HeatWindow>,
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
            wall: twin_overlay::ui::Wall::default(),
            beacons: true,
            source: String::new(),
            replay: false,
            heat: None,
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
    // The overlay draws through a camera of its own over the whole window, so the 3D camera's
    // viewport can be just the free area between the panels.
    .insert_resource(bevy_egui::EguiGlobalSettings { auto_create_primary_context: false, ..default() })
    .add_systems(Startup, spawn_overlay_camera)
    .add_plugins((
        LinkPlugin,
        ScenePlugin,
        CameraPlugin { initial: if options.kiosk { CameraMode::Tour } else { options.camera }, ..default() },
        OverlayPlugin {
            kiosk: options.kiosk,
            wall: options.wall,
            config: OpsConfig::for_site(&site),
            source: options.source.clone(),
            external_feed: options.replay,
            heat: options.heat,
        },
        ShellPlugin,
    ))
    .insert_resource(twin_scene::beacons::Beacons(options.beacons))
    .insert_resource(LinkSite(site))
    .insert_resource(LinkReceiver(view))
    .insert_resource(RunPlan {
        screenshot: options.screenshot.clone(),
        after: options.after,
        run_for: options.run_for,
        requested: false,
    })
    .init_resource::<FrameStats>()
    .init_resource::<LastCapture>();
    if options.frame_stats {
        app.insert_resource(ReportFrameStats);
    }
    app
}

/// The camera egui draws with: after the 3D view, clearing nothing.
fn spawn_overlay_camera(mut commands: Commands) {
    commands.spawn((
        Camera2d,
        Camera { order: 1, clear_color: ClearColorConfig::None, ..default() },
        bevy_egui::PrimaryEguiContext,
    ));
}

/// The 3D camera or the overlay's, just spawned (both render to the window: same samples).
type NewCamera = Or<(Added<twin_camera::TwinCamera>, Added<bevy_egui::PrimaryEguiContext>)>;

/// 4× MSAA on a GPU (cheap there, and rack edges need it); none on a software rasterizer,
/// where it multiplies the cost of every pixel.
pub(crate) fn choose_antialiasing(
    adapter: Option<Res<bevy::render::renderer::RenderAdapterInfo>>,
    mut cameras: Query<&mut bevy::render::view::Msaa, NewCamera>,
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
