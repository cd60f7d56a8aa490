//! `picktwin replay`: a recording drives the same 3D floor and overlay the live link drives, and
//! an egui timeline plays, pauses, scrubs, steps, changes speed (0.25×–600×), jumps to alarms
//! and bookmarks (saved beside the recording). `--at TIME --dump` prints the state at TIME as
//! JSON lines; `--at TIME --screenshot PNG` renders it and exits.
//!
//! Seeking rebuilds the floor from the nearest keyframe plus deltas, and the overlay's model
//! (orders, KPIs, alarms) from the nearest of its checkpoints (every 10 minutes of recording,
//! made while opening) plus the messages since, so both show that moment as it was.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use serde::{Deserialize, Serialize};
use twin_link::{LinkMessage, LinkSystems, ViewSender, view_channel};
use twin_overlay::ops::{LinkFeeder, Ops, OpsConfig};
use twin_overlay::{OpsModel, OverlaySystems, OverlayWallClock};
use twin_record::{Cursor, RecordError, Recording};

use crate::cli::ReplayArgs;

/// Recording time between checkpoints of the overlay's model.
const CHECKPOINT_MS: u64 = 10 * 60 * 1000;
/// Playback speeds offered.
const SPEEDS: [f64; 11] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];

/// Runs `picktwin replay`.
pub fn run(args: &ReplayArgs) -> ExitCode {
    crate::init_logging();
    let given = match &args.layout {
        Some(p) => match crate::load_site(p) {
            Some(site) => Some((p.display().to_string(), site)),
            None => return ExitCode::FAILURE,
        },
        None => None,
    };
    if !(0.25..=600.0).contains(&args.speed) {
        eprintln!("error: --speed must be from 0.25 to 600");
        return ExitCode::FAILURE;
    }
    let path = args.recording.display().to_string();
    let rec = match open_with_progress(&path, given.as_ref().map(|(p, s)| (p.as_str(), &**s))) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let at = match args.at.as_deref().map(|t| parse_at(&rec, t)).transpose() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --at {}: {e}", args.at.as_deref().unwrap_or(""));
            return ExitCode::FAILURE;
        }
    };
    if args.dump {
        let t = at.unwrap_or(0);
        let state = match rec.state_at(t) {
            Ok((s, _)) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        return match crate::snapshot::write_lines(&rec.site, &state.modules, &state.pickers, &mut out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        };
    }

    let (tx, rx) = view_channel(64);
    let site = rec.site.clone();
    let options = crate::view::ViewOptions {
        screenshot: args.screenshot.clone(),
        after: 2.0,
        size: args.size,
        source: format!("replay {}", file_name(&args.recording)),
        replay: true,
        ..crate::view::ViewOptions::default()
    };
    let mut app = crate::view::window_app(site, rx, &options);
    let replay =
        match Replay::new(rec, tx, at.unwrap_or(0), args.speed, args.screenshot.is_none(), &args.recording) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
    app.insert_resource(replay).add_plugins(ReplayPlugin);
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Opens a recording, printing progress for large files.
fn open_with_progress(
    path: &str,
    layout: Option<(&str, &twin_model::Site)>,
) -> Result<Recording, RecordError> {
    let large = std::fs::metadata(path).is_ok_and(|m| m.len() > 4 << 20);
    let mut shown = -1i32;
    Recording::open(path, layout, |f| {
        let pct = (f * 100.0) as i32 / 10 * 10;
        if large && pct != shown {
            shown = pct;
            eprint!("\ropening {path}: {pct:3} %");
            if pct >= 100 {
                eprintln!();
            }
        }
    })
}

/// `HH:MM[:SS]` on the controller clock, or `+SECONDS` / `+H:MM:SS` from the start; returns
/// recording milliseconds.
pub fn parse_at(rec: &Recording, text: &str) -> Result<u64, String> {
    let hms = |s: &str| -> Option<f64> {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let mut v = 0.0;
        for p in &parts {
            v = v * 60.0 + p.parse::<f64>().ok().filter(|x| *x >= 0.0)?;
        }
        // `HH:MM` means hours and minutes.
        if parts.len() == 2 { Some(v * 60.0) } else { Some(v) }
    };
    let t = if let Some(rel) = text.strip_prefix('+') {
        let s = if rel.contains(':') { hms(rel) } else { rel.parse::<f64>().ok().filter(|x| *x >= 0.0) }
            .ok_or("expected +SECONDS or +H:MM:SS")?;
        (s * 1000.0) as u64
    } else {
        let s = hms(text)
            .filter(|_| text.contains(':'))
            .ok_or("expected HH:MM[:SS] (controller clock) or +SECONDS")?;
        let first = rec.clock_at(0).ok_or("the recording has no controller clock; use +SECONDS")?;
        // The first time that clock of day comes round.
        let day = first / 86_400;
        let mut target = day * 86_400 + s as u32;
        if target < first {
            target += 86_400;
        }
        rec.time_at_clock(target).ok_or_else(|| {
            format!(
                "{text} is not in this recording (it covers {} to {})",
                clock(first),
                clock(rec.clock_at(rec.duration_ms).unwrap_or(first))
            )
        })?
    };
    if t > rec.duration_ms {
        return Err(format!("the recording is {:.0} s long", rec.duration_ms as f64 / 1000.0));
    }
    Ok(t)
}

fn clock(s: u32) -> String {
    twin_overlay::ui::clock(f64::from(s))
}

/// A bookmark with a note, saved beside the recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bookmark {
    /// Recording time.
    pub t_ms: u64,
    /// What happened there.
    pub note: String,
}

/// The recording being replayed and the player's state.
#[derive(Resource)]
pub struct Replay {
    rec: Recording,
    tx: ViewSender,
    cursor: Cursor,
    /// Playback position, recording milliseconds (fractional between frames).
    pub t: f64,
    /// Speed factor.
    pub speed: f64,
    /// Playing (else paused).
    pub playing: bool,
    seek_to: Option<u64>,
    checkpoints: Vec<(u64, Ops, LinkFeeder, Cursor)>,
    feeder: LinkFeeder,
    bookmarks: Vec<Bookmark>,
    bookmarks_path: PathBuf,
    note: String,
    /// Milliseconds of the last seek (for the timeline).
    pub last_seek_ms: f64,
}

impl Replay {
    /// Prepares playback at `at_ms`, building the overlay's checkpoints.
    pub fn new(
        rec: Recording,
        tx: ViewSender,
        at_ms: u64,
        speed: f64,
        playing: bool,
        path: &Path,
    ) -> Result<Self, RecordError> {
        let (start, at_start) = rec.state_at(0)?;
        let mut cursor = at_start.clone();
        let mut ops = Ops::new(OpsConfig::default());
        let mut feeder = LinkFeeder::default();
        for m in start.messages() {
            feed(&rec, &mut feeder, &mut ops, 0, &m);
        }
        let mut checkpoints = vec![(0, ops.clone(), feeder.clone(), cursor.clone())];
        let mut next = CHECKPOINT_MS;
        while next < rec.duration_ms + CHECKPOINT_MS {
            let to = next.min(rec.duration_ms);
            rec.advance(&mut cursor, to, |t, m| feed(&rec, &mut feeder, &mut ops, t, m))?;
            checkpoints.push((to, ops.clone(), feeder.clone(), cursor.clone()));
            next += CHECKPOINT_MS;
        }
        let bookmarks_path = bookmarks_path(path);
        let bookmarks = std::fs::read_to_string(&bookmarks_path)
            .ok()
            .and_then(|t| match ron::from_str::<Vec<Bookmark>>(&t) {
                Ok(b) => Some(b),
                Err(e) => {
                    tracing::warn!("{}: bookmarks not read: {e}", bookmarks_path.display());
                    None
                }
            })
            .unwrap_or_default();
        Ok(Self {
            rec,
            tx,
            cursor: at_start,
            t: at_ms as f64,
            speed,
            playing,
            seek_to: Some(at_ms),
            checkpoints,
            feeder: LinkFeeder::default(),
            bookmarks,
            bookmarks_path,
            note: String::new(),
            last_seek_ms: 0.0,
        })
    }

    /// Asks for a seek to `t_ms` (applied before the next frame's link update).
    pub fn seek(&mut self, t_ms: u64) {
        self.seek_to = Some(t_ms.min(self.rec.duration_ms));
        self.t = self.seek_to.unwrap_or(0) as f64;
    }

    /// Jump targets (alarms and bookmarks), sorted.
    fn marks(&self) -> Vec<u64> {
        let mut v: Vec<u64> =
            self.rec.marks.iter().map(|m| m.t_ms).chain(self.bookmarks.iter().map(|b| b.t_ms)).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    fn save_bookmarks(&self) {
        let text = ron::ser::to_string_pretty(&self.bookmarks, ron::ser::PrettyConfig::default());
        match text
            .map_err(|e| e.to_string())
            .and_then(|t| std::fs::write(&self.bookmarks_path, t).map_err(|e| e.to_string()))
        {
            Ok(()) => tracing::info!("bookmarks saved to {}", self.bookmarks_path.display()),
            Err(e) => tracing::error!("cannot save bookmarks to {}: {e}", self.bookmarks_path.display()),
        }
    }
}

/// `shift.ptrec` → `shift.ptrec.bookmarks.ron`.
pub fn bookmarks_path(recording: &Path) -> PathBuf {
    let mut name = recording.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".bookmarks.ron");
    recording.with_file_name(name)
}

/// Drives the view and the overlay from the recording.
struct ReplayPlugin;

impl Plugin for ReplayPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(PreUpdate, drive.before(LinkSystems::Apply))
            .add_systems(EguiPrimaryContextPass, timeline.after(OverlaySystems::Draw));
    }
}

/// Seeks or plays forward, sending the messages to the view and feeding the overlay's model.
fn drive(
    time: Res<Time<Real>>,
    mut replay: ResMut<Replay>,
    mut model: ResMut<OpsModel>,
    mut wall: ResMut<OverlayWallClock>,
) -> Result {
    let r = &mut *replay;
    // Ages like "last poll 2 s ago" are measured on the recording's wall clock.
    wall.0 = Some(r.rec.header.started_wall_ms + r.t as u64);
    if let Some(t) = r.seek_to.take() {
        let started = std::time::Instant::now();
        let (state, cursor) = r.rec.state_at(t)?;
        for m in state.messages() {
            r.tx.push(m);
        }
        r.tx.ship();
        r.cursor = cursor;
        // The overlay's model as it was: the nearest checkpoint, then the messages since.
        let k = r.checkpoints.partition_point(|c| c.0 <= t).max(1) - 1;
        let (_, ops, feeder, cursor) = &r.checkpoints[k];
        let (mut ops, mut feeder, mut cursor) = (ops.clone(), feeder.clone(), cursor.clone());
        r.rec.advance(&mut cursor, t, |tm, m| feed(&r.rec, &mut feeder, &mut ops, tm, m))?;
        advance_clock(&r.rec, &feeder, &mut ops, t);
        ops.refresh();
        model.0 = ops;
        r.feeder = feeder;
        r.t = t as f64;
        r.last_seek_ms = started.elapsed().as_secs_f64() * 1e3;
        return Ok(());
    }
    if !r.playing {
        return Ok(());
    }
    let to = (r.t + f64::from(time.delta_secs()) * 1000.0 * r.speed).min(r.rec.duration_ms as f64);
    let (tx, feeder, ops) = (&mut r.tx, &mut r.feeder, &mut model.0);
    let rec = &r.rec;
    rec.advance(&mut r.cursor, to as u64, |tm, m| {
        feed(rec, feeder, ops, tm, m);
        push(tx, m);
    })?;
    advance_clock(rec, feeder, ops, to as u64);
    tx.ship();
    r.t = to;
    if to >= r.rec.duration_ms as f64 {
        r.playing = false;
    }
    Ok(())
}

/// Feeds one recorded message to the overlay's model, its clock first: health reports are
/// thinned in recordings, so the clock between them comes from the recording's clock index.
fn feed(rec: &Recording, feeder: &mut LinkFeeder, ops: &mut Ops, t_ms: u64, m: &LinkMessage) {
    advance_clock(rec, feeder, ops, t_ms);
    feeder.feed(ops, m, rec.header.started_wall_ms + t_ms);
}

fn advance_clock(rec: &Recording, feeder: &LinkFeeder, ops: &mut Ops, t_ms: u64) {
    if let Some(c) = rec.clock_at(t_ms)
        && f64::from(c) > ops.now()
    {
        ops.advance(f64::from(c), rec.header.started_wall_ms + t_ms, feeder.counts());
    }
}

fn push(tx: &mut ViewSender, m: &LinkMessage) {
    // A full view channel means the ECS is behind: it catches up from the newer states.
    let _ = tx.push(m.clone());
}

/// The timeline window.
fn timeline(mut contexts: EguiContexts, mut replay: ResMut<Replay>) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let r = &mut *replay;
    let duration = r.rec.duration_ms;
    egui::Window::new("Timeline")
        .anchor(egui::Align2::CENTER_TOP, [0.0, 34.0])
        .resizable(false)
        .collapsible(true)
        .default_width(560.0)
        .show(&ctx, |ui| {
            let t = r.t as u64;
            let clock_text = r.rec.clock_at(t).map_or_else(String::new, clock);
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new(clock_text).monospace().strong());
                ui.label(format!("{} / {}", offset(t), offset(duration)));
                if r.last_seek_ms > 0.0 {
                    ui.label(egui::RichText::new(format!("seek {:.0} ms", r.last_seek_ms)).weak());
                }
            });
            let marks = r.marks();
            ui.horizontal(|ui| {
                if ui.button("◀ alarm").on_hover_text("previous alarm or bookmark").clicked()
                    && let Some(&m) = marks.iter().rev().find(|&&m| m + 500 < t)
                {
                    r.seek(m);
                }
                for (label, step) in [("−10 s", -10_000i64), ("−1 s", -1000)] {
                    if ui.button(label).clicked() {
                        r.seek(t.saturating_add_signed(step));
                    }
                }
                let play = if r.playing { "pause" } else { "play" };
                if ui.button(play).clicked() {
                    r.playing = !r.playing;
                }
                for (label, step) in [("+1 s", 1000i64), ("+10 s", 10_000)] {
                    if ui.button(label).clicked() {
                        r.seek(t.saturating_add_signed(step));
                    }
                }
                if ui.button("alarm ▶").on_hover_text("next alarm or bookmark").clicked()
                    && let Some(&m) = marks.iter().find(|&&m| m > t + 500)
                {
                    r.seek(m);
                }
                egui::ComboBox::from_id_salt("replay_speed").selected_text(format!("{}×", r.speed)).show_ui(
                    ui,
                    |ui| {
                        for s in SPEEDS {
                            ui.selectable_value(&mut r.speed, s, format!("{s}×"));
                        }
                    },
                );
            });
            let mut s = r.t / 1000.0;
            let slider = egui::Slider::new(&mut s, 0.0..=duration as f64 / 1000.0).show_value(false);
            ui.spacing_mut().slider_width = 520.0;
            if ui.add(slider).changed() {
                r.seek((s * 1000.0) as u64);
            }
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut r.note)
                        .hint_text("note for a bookmark here")
                        .desired_width(300.0),
                );
                if ui.button("add bookmark").clicked() {
                    let note = std::mem::take(&mut r.note);
                    r.bookmarks.push(Bookmark { t_ms: t, note });
                    r.bookmarks.sort_by_key(|b| b.t_ms);
                    r.save_bookmarks();
                }
            });
            let mut go = None;
            for b in &r.bookmarks {
                if ui.link(format!("{}  {}", offset(b.t_ms), b.note)).clicked() {
                    go = Some(b.t_ms);
                }
            }
            if let Some(t) = go {
                r.seek(t);
            }
        });
    Ok(())
}

/// `+H:MM:SS` from the start.
fn offset(t_ms: u64) -> String {
    let s = t_ms / 1000;
    format!("+{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookmark_file_sits_beside_the_recording() {
        assert_eq!(bookmarks_path(Path::new("/r/shift.ptrec")), Path::new("/r/shift.ptrec.bookmarks.ron"));
        assert_eq!(offset(3_723_000), "+1:02:03");
    }
}
