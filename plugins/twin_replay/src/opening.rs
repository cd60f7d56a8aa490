//! Opening a recording off the main thread: the window is up at once with the site's floor
//! (from the header) and a progress window; the frames are indexed and the overlay's
//! checkpoints built on a thread, and the replay starts when they are ready. A failure is
//! printed and ends the app with exit code 1.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use crossbeam_channel::Receiver;
use twin_link::ViewSender;
use twin_model::Site;
use twin_record::{Recording, parse_at};

use crate::player::Replay;

/// What to open and how to start.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    /// The recording.
    pub path: PathBuf,
    /// The layout the user named, checked against the recording's (name, site).
    pub layout: Option<(String, Arc<Site>)>,
    /// `--at` as given.
    pub at: Option<String>,
    /// Playback speed.
    pub speed: f64,
    /// Start playing.
    pub playing: bool,
}

/// A recording being opened in the background.
#[derive(Resource)]
pub struct Opening {
    label: String,
    /// Fraction done (f32 bits): indexing is the first half, the checkpoints the second.
    progress: Arc<AtomicU32>,
    done: Receiver<Result<Replay, String>>,
}

impl Opening {
    /// Starts opening `request` on a thread; the replay will send to `tx`.
    pub fn spawn(request: OpenRequest, tx: ViewSender) -> std::io::Result<Self> {
        let progress = Arc::new(AtomicU32::new(0));
        let (done_tx, done) = crossbeam_channel::bounded(1);
        let p = progress.clone();
        let label = request.path.display().to_string();
        std::thread::Builder::new().name("picktwin-replay-open".into()).spawn(move || {
            let set = |f: f32| p.store(f.to_bits(), Ordering::Relaxed);
            let _ = done_tx.send(open(&request, tx, set));
        })?;
        Ok(Self { label, progress, done })
    }

    /// Fraction done, 0 to 1.
    pub fn progress(&self) -> f32 {
        f32::from_bits(self.progress.load(Ordering::Relaxed))
    }
}

fn open(request: &OpenRequest, tx: ViewSender, progress: impl Fn(f32)) -> Result<Replay, String> {
    let path = request.path.display().to_string();
    let layout = request.layout.as_ref().map(|(p, s)| (p.as_str(), &**s));
    let rec = Recording::open(&path, layout, |f| progress(f * 0.5)).map_err(|e| e.to_string())?;
    let at = match request.at.as_deref() {
        Some(t) => parse_at(&rec, t).map_err(|e| format!("--at {t}: {e}"))?,
        None => 0,
    };
    Replay::new(rec, tx, at, request.speed, request.playing, &request.path, |f| {
        progress(0.5 + f * 0.5);
    })
    .map_err(|e| e.to_string())
}

/// Installs the replay when it is ready; a failure ends the app.
pub(crate) fn finish_opening(
    mut commands: Commands,
    opening: Res<Opening>,
    mut exit: MessageWriter<AppExit>,
) {
    match opening.done.try_recv() {
        Ok(Ok(replay)) => {
            tracing::info!("{} open: {:.1} s of recording", opening.label, replay.duration_s());
            commands.insert_resource(replay);
            commands.remove_resource::<Opening>();
        }
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            exit.write(AppExit::from_code(1));
            commands.remove_resource::<Opening>();
        }
        Err(crossbeam_channel::TryRecvError::Empty) => {}
        Err(crossbeam_channel::TryRecvError::Disconnected) => {
            eprintln!("error: opening {} stopped", opening.label);
            exit.write(AppExit::from_code(1));
            commands.remove_resource::<Opening>();
        }
    }
}

/// The progress window while opening.
pub(crate) fn opening_window(mut contexts: EguiContexts, opening: Res<Opening>) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    egui::Window::new("Opening")
        .anchor(egui::Align2::CENTER_TOP, [0.0, 34.0])
        .resizable(false)
        .collapsible(false)
        .show(&ctx, |ui| {
            ui.label(format!("opening {}", opening.label));
            ui.add(egui::ProgressBar::new(opening.progress()).show_percentage());
        });
    Ok(())
}
