//! The player: the recording, the playback position and speed, bookmarks, and the overlay's
//! checkpoints; each frame it seeks or plays forward, sending the recorded messages to the
//! view channel (the floor) and feeding the overlay's model.
//!
//! Seeking rebuilds the floor from the nearest keyframe plus deltas, and the overlay's model
//! (orders, KPIs, alarms) from the nearest of its checkpoints (every 10 minutes of recording,
//! made while opening) plus the messages since, so both show that moment as it was.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use twin_link::channel::Shipped;
use twin_link::{LinkMessage, ViewSender};
use twin_overlay::ops::{LinkFeeder, Ops, OpsConfig};
use twin_overlay::{OpsModel, OverlayWallClock};
use twin_record::{Bookmark, Cursor, RecordError, Recording, bookmarks_path};

/// Recording time between checkpoints of the overlay's model (at least).
const CHECKPOINT_MS: u64 = 10 * 60 * 1000;

/// Most checkpoints kept: each is a copy of the overlay's model (up to a few MB with a full
/// order book), so a week-long recording spaces them further apart instead of holding 1,000.
const MAX_CHECKPOINTS: u64 = 144;

/// The spacing of checkpoints for a recording this long.
fn checkpoint_every(duration_ms: u64) -> u64 {
    CHECKPOINT_MS.max(duration_ms.div_ceil(MAX_CHECKPOINTS))
}

/// The recording being replayed and the player's state.
#[derive(Resource)]
pub struct Replay {
    pub(crate) rec: Recording,
    pub(crate) tx: ViewSender,
    pub(crate) cursor: Cursor,
    /// Playback position, recording milliseconds (fractional between frames).
    pub t: f64,
    /// Speed factor.
    pub speed: f64,
    /// Playing (else paused).
    pub playing: bool,
    pub(crate) seek_to: Option<u64>,
    pub(crate) checkpoints: Vec<(u64, Ops, LinkFeeder, Cursor)>,
    pub(crate) feeder: LinkFeeder,
    pub(crate) bookmarks: Vec<Bookmark>,
    pub(crate) bookmarks_path: PathBuf,
    pub(crate) note: String,
    /// Milliseconds of the last seek (for the timeline).
    pub last_seek_ms: f64,
    /// The view channel was full and refused messages: the floor is rebuilt at the current
    /// moment as soon as it has room (a slow frame must not leave modules wrong).
    pub(crate) resync: bool,
}

impl Replay {
    /// Prepares playback at `at_ms`, building the overlay's checkpoints (`progress` gets the
    /// fraction built).
    pub fn new(
        rec: Recording,
        tx: ViewSender,
        at_ms: u64,
        speed: f64,
        playing: bool,
        path: &Path,
        mut progress: impl FnMut(f32),
    ) -> Result<Self, RecordError> {
        let (start, at_start) = rec.state_at(0)?;
        let mut cursor = at_start.clone();
        let mut ops = Ops::new(OpsConfig::for_site(&rec.site));
        let mut feeder = LinkFeeder::default();
        for m in start.messages() {
            feed(&rec, &mut feeder, &mut ops, 0, &m);
        }
        let mut checkpoints = vec![(0, ops.clone(), feeder.clone(), cursor.clone())];
        let every = checkpoint_every(rec.duration_ms);
        let mut next = every;
        while next < rec.duration_ms + every {
            let to = next.min(rec.duration_ms);
            rec.advance(&mut cursor, to, |t, m| feed(&rec, &mut feeder, &mut ops, t, m))?;
            checkpoints.push((to, ops.clone(), feeder.clone(), cursor.clone()));
            next += every;
            progress(to as f32 / rec.duration_ms.max(1) as f32);
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
            resync: false,
        })
    }

    /// The recording's length, seconds.
    pub fn duration_s(&self) -> f64 {
        self.rec.duration_ms as f64 / 1000.0
    }

    /// Asks for a seek to `t_ms` (applied before the next frame's link update).
    pub fn seek(&mut self, t_ms: u64) {
        self.seek_to = Some(t_ms.min(self.rec.duration_ms));
        self.t = self.seek_to.unwrap_or(0) as f64;
    }

    /// Jump targets (alarms and bookmarks), sorted.
    pub(crate) fn marks(&self) -> Vec<u64> {
        let mut v: Vec<u64> =
            self.rec.marks.iter().map(|m| m.t_ms).chain(self.bookmarks.iter().map(|b| b.t_ms)).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    pub(crate) fn save_bookmarks(&self) {
        let text = ron::ser::to_string_pretty(&self.bookmarks, ron::ser::PrettyConfig::default());
        match text
            .map_err(|e| e.to_string())
            .and_then(|t| twin_record::write_atomically(&self.bookmarks_path, &t).map_err(|e| e.to_string()))
        {
            Ok(()) => tracing::info!("bookmarks saved to {}", self.bookmarks_path.display()),
            Err(e) => tracing::error!("cannot save bookmarks to {}: {e}", self.bookmarks_path.display()),
        }
    }
}

/// Seeks or plays forward, sending the messages to the view and feeding the overlay's model.
pub(crate) fn drive(
    time: Res<Time<Real>>,
    mut replay: ResMut<Replay>,
    mut model: ResMut<OpsModel>,
    mut wall: ResMut<OverlayWallClock>,
) -> Result {
    let r = &mut *replay;
    // Ages like "last poll 2 s ago" are measured on the recording's wall clock.
    wall.0 = Some(r.rec.header.started_wall_ms + r.t as u64);
    if r.resync && r.seek_to.is_none() && r.tx.has_room() {
        r.resync = false;
        let (state, _) = r.rec.state_at(r.t as u64)?;
        for m in state.messages() {
            r.resync |= push(&mut r.tx, &m);
        }
        r.resync |= matches!(r.tx.ship(), Shipped::Full(_));
    }
    if let Some(t) = r.seek_to.take() {
        let started = std::time::Instant::now();
        let (state, cursor) = r.rec.state_at(t)?;
        for m in state.messages() {
            r.resync |= push(&mut r.tx, &m);
        }
        r.resync |= matches!(r.tx.ship(), Shipped::Full(_));
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
    let (tx, feeder, ops, resync) = (&mut r.tx, &mut r.feeder, &mut model.0, &mut r.resync);
    let rec = &r.rec;
    rec.advance(&mut r.cursor, to as u64, |tm, m| {
        feed(rec, feeder, ops, tm, m);
        *resync |= push(tx, m);
    })?;
    advance_clock(rec, feeder, ops, to as u64);
    *resync |= matches!(tx.ship(), Shipped::Full(_));
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

/// Sends one message to the view; true when the channel was full and messages were refused
/// (the caller resynchronises the floor).
fn push(tx: &mut ViewSender, m: &LinkMessage) -> bool {
    matches!(tx.push(m.clone()), Shipped::Full(_))
}
