//! `--screenshot` and `--for`: one frame saved as PNG (kept for tests as RGB rows), and the
//! run's end.

use std::path::PathBuf;
use std::time::Duration;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};

/// When to take the screenshot and when to stop.
#[derive(Resource, Debug)]
pub struct RunPlan {
    /// Save one frame here, then exit.
    pub screenshot: Option<PathBuf>,
    /// Seconds before the screenshot.
    pub after: f64,
    /// Stop after this long.
    pub run_for: Option<Duration>,
    /// The screenshot was asked for.
    pub requested: bool,
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

/// Takes the screenshot when due (saving it and exiting), and stops after `run_for`.
pub(crate) fn plan_exit(
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
