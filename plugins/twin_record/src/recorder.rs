//! The recorder: every message from the link's lossless path, stamped and appended in frames
//! of about a second (flushed and synced to disk each time), a keyframe of the full state every
//! `keyframe_every_s`, and a new file at each shift start of the controller clock, when a file
//! passes `max_file_bytes`, and every `max_file_s` of recording while no controller reports a
//! clock (a gateway on controllers without one still rotates).
//!
//! Health reports arrive with every poll (five a second per controller); their counters and
//! latencies are recorded when the connection, staleness, status word, error or exception
//! counts change, and otherwise every `health_every_s`. Everything else is recorded as sent.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use twin_link::{ControllerHealth, LinkMessage};
use twin_model::Site;

use crate::format::{
    Deltas, FORMAT_VERSION, Header, KIND_DELTAS, KIND_KEYFRAME, Keyframe, RecordError, canonical_layout,
    encode_frame, layout_id, write_header,
};
use crate::state::TwinState;

pub use crate::background::{RecorderSwitch, RecorderThread, SwitchStatus};

/// How the recorder writes.
#[derive(Debug, Clone, PartialEq)]
pub struct RecorderOptions {
    /// Seconds between keyframes.
    pub keyframe_every_s: f64,
    /// Milliseconds between flushes (at most this much is lost on a crash).
    pub flush_every_ms: u64,
    /// Seconds between health reports whose only change is counters or latency.
    pub health_every_s: f64,
    /// Start a new file when the site clock crosses a shift start of the site's calendar.
    pub rotate_per_shift: bool,
    /// What is recorded (for the header).
    pub source: String,
    /// Sync to disk on every flush (power loss loses at most one flush interval).
    pub sync: bool,
    /// Start a new file past this size (frames are never split: a file ends after the frame
    /// that crossed it).
    pub max_file_bytes: u64,
    /// Without a controller clock (no shift calendar to follow), start a new file after this
    /// many seconds of recording.
    pub max_file_s: f64,
}

impl Default for RecorderOptions {
    fn default() -> Self {
        Self {
            keyframe_every_s: 60.0,
            flush_every_ms: 1000,
            health_every_s: 10.0,
            rotate_per_shift: true,
            source: String::new(),
            sync: true,
            max_file_bytes: 1 << 30,
            max_file_s: 8.0 * 3600.0,
        }
    }
}

/// What a recorder wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Files written, in order.
    pub files: Vec<PathBuf>,
    /// Bytes on disk over all files (frames while recording; headers added at the end).
    pub bytes: u64,
    /// Messages recorded.
    pub messages: u64,
    /// Health reports left out (only counters or latency changed, within the interval).
    pub health_skipped: u64,
    /// Keyframes written.
    pub keyframes: u64,
}

/// Writes one recording (rotating per shift).
pub struct Recorder {
    site: Arc<Site>,
    base: PathBuf,
    options: RecorderOptions,
    file: BufWriter<File>,
    part: u32,
    state: TwinState,
    pending: Vec<(u32, LinkMessage)>,
    pending_t0: u64,
    last_flush_ms: u64,
    last_keyframe_ms: u64,
    health_at: Vec<(ControllerHealth, u64)>,
    shift: Option<i64>,
    /// Bytes of frames in the current file, and when (recording ms) it started.
    part_bytes: u64,
    part_started_ms: u64,
    pub(crate) summary: Summary,
}

impl Recorder {
    /// Creates the file (and its directory) and writes the header and a first keyframe.
    pub fn create(
        site: Arc<Site>,
        path: impl AsRef<Path>,
        options: RecorderOptions,
    ) -> Result<Self, RecordError> {
        let state = TwinState::for_site(&site);
        Self::create_from(site, path, options, state)
    }

    /// Like [`Recorder::create`], starting from a known state (recording switched on while the
    /// link already runs): the first keyframe holds it.
    pub fn create_from(
        site: Arc<Site>,
        path: impl AsRef<Path>,
        options: RecorderOptions,
        state: TwinState,
    ) -> Result<Self, RecordError> {
        let base = path.as_ref().to_path_buf();
        let file = open(&base, &site, &options, 1)?;
        let mut r = Self {
            site,
            base: base.clone(),
            options,
            file,
            part: 1,
            state,
            pending: Vec::new(),
            pending_t0: 0,
            last_flush_ms: 0,
            last_keyframe_ms: 0,
            health_at: Vec::new(),
            shift: None,
            part_bytes: 0,
            part_started_ms: 0,
            summary: Summary { files: vec![base], ..Summary::default() },
        };
        r.keyframe(0).map_err(|e| io_err(&r.summary.files[0], e))?;
        Ok(r)
    }

    /// The state as recorded so far.
    pub fn state(&self) -> &TwinState {
        &self.state
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        self.summary.files.last().map_or(&self.base, |p| p.as_path())
    }

    /// Records one message at `t_ms` (milliseconds since the recording started, not
    /// decreasing).
    pub fn record(&mut self, t_ms: u64, msg: LinkMessage) -> std::io::Result<()> {
        if let LinkMessage::Health { controller, health } = &msg {
            let c = usize::from(*controller);
            if c >= self.health_at.len() {
                self.health_at.resize(c + 1, (ControllerHealth { polls: u32::MAX, ..Default::default() }, 0));
            }
            // A shift change is checked on every report, recorded or not.
            let mut rotated = false;
            // A controller without a clock reports 0: no shift to follow (time rotation applies).
            if health.polls > 0
                && health.clock_s > 0
                && self.options.rotate_per_shift
                && !self.site.shifts.starts_s().is_empty()
            {
                let shift = self.site.shifts.index_of(health.clock_s);
                if self.shift.is_some_and(|s| s != shift) {
                    self.rotate(t_ms)?;
                    rotated = true;
                }
                self.shift = Some(shift);
            }
            let (last, at) = self.health_at[c];
            let significant = last.connection != health.connection
                || last.stale != health.stale
                || last.frozen != health.frozen
                || last.missing_blocks != health.missing_blocks
                || last.status != health.status
                || last.errors != health.errors
                || last.exceptions != health.exceptions
                || last.reconnects != health.reconnects
                || last.polls == u32::MAX
                || rotated;
            if !significant && (t_ms.saturating_sub(at) as f64) < self.options.health_every_s * 1000.0 {
                self.summary.health_skipped += 1;
                return self.tick(t_ms);
            }
            self.health_at[c] = (**health, t_ms);
        }
        if self.pending.is_empty() {
            self.pending_t0 = t_ms;
        }
        self.state.apply(&msg);
        self.pending.push(((t_ms - self.pending_t0.min(t_ms)) as u32, msg));
        self.summary.messages += 1;
        self.tick(t_ms)
    }

    /// Flushes, rotates and writes keyframes when due (call regularly, also without messages).
    pub fn tick(&mut self, t_ms: u64) -> std::io::Result<()> {
        if t_ms.saturating_sub(self.last_flush_ms) >= self.options.flush_every_ms {
            self.flush(t_ms)?;
            let too_long = self.shift.is_none()
                && (t_ms.saturating_sub(self.part_started_ms) as f64) >= self.options.max_file_s * 1000.0;
            if self.part_bytes >= self.options.max_file_bytes || too_long {
                return self.rotate(t_ms);
            }
        }
        if (t_ms.saturating_sub(self.last_keyframe_ms) as f64) >= self.options.keyframe_every_s * 1000.0 {
            self.flush(t_ms)?;
            self.keyframe(t_ms)?;
        }
        Ok(())
    }

    /// Writes the pending messages as one frame and pushes them to disk.
    pub fn flush(&mut self, t_ms: u64) -> std::io::Result<()> {
        self.last_flush_ms = t_ms;
        if !self.pending.is_empty() {
            let frame = Deltas { t0_ms: self.pending_t0, items: std::mem::take(&mut self.pending) };
            self.write_frame(KIND_DELTAS, &frame)?;
        }
        self.file.flush()?;
        if self.options.sync {
            self.file.get_ref().sync_data()?;
        }
        Ok(())
    }

    fn keyframe(&mut self, t_ms: u64) -> std::io::Result<()> {
        self.last_keyframe_ms = t_ms;
        let key = Keyframe { t_ms, state: self.state.clone() };
        self.write_frame(KIND_KEYFRAME, &key)?;
        self.summary.keyframes += 1;
        self.file.flush()
    }

    fn write_frame<T: serde::Serialize>(&mut self, kind: u8, value: &T) -> std::io::Result<()> {
        let bytes = encode_frame(kind, value)?;
        self.file.write_all(&bytes)?;
        self.summary.bytes += bytes.len() as u64;
        self.part_bytes += bytes.len() as u64;
        Ok(())
    }

    /// A new shift began (or the file is full): finish this file, start the next with a
    /// keyframe.
    fn rotate(&mut self, t_ms: u64) -> std::io::Result<()> {
        self.flush(t_ms)?;
        self.part += 1;
        let path = part_path(&self.base, self.part);
        self.file = open(&path, &self.site, &self.options, self.part).map_err(std::io::Error::other)?;
        self.part_bytes = 0;
        self.part_started_ms = t_ms;
        tracing::info!("new file: recording to {}", path.display());
        self.summary.files.push(path);
        self.keyframe(t_ms)
    }

    /// Flushes everything and closes the file.
    pub fn finish(mut self, t_ms: u64) -> std::io::Result<Summary> {
        self.flush(t_ms)?;
        // Headers included: what is on disk.
        self.summary.bytes =
            self.summary.files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
        Ok(self.summary)
    }
}

/// `shift.ptrec` → `shift-part2.ptrec`.
pub fn part_path(base: &Path, part: u32) -> PathBuf {
    if part <= 1 {
        return base.to_path_buf();
    }
    let stem = base.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let name = match base.extension() {
        Some(ext) => format!("{stem}-part{part}.{}", ext.to_string_lossy()),
        None => format!("{stem}-part{part}"),
    };
    base.with_file_name(name)
}

fn io_err(path: &Path, source: std::io::Error) -> RecordError {
    RecordError::Io { path: path.display().to_string(), source }
}

fn open(
    path: &Path,
    site: &Site,
    options: &RecorderOptions,
    part: u32,
) -> Result<BufWriter<File>, RecordError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    }
    let file = File::create(path).map_err(|e| io_err(path, e))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let header = Header {
        format: "picktwin-recording".into(),
        version: FORMAT_VERSION,
        layout_name: site.layout.name.clone(),
        layout_id: layout_id(site),
        started_wall_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        source: options.source.clone(),
        keyframe_every_s: options.keyframe_every_s,
        part,
        layout: canonical_layout(site),
    };
    write_header(&mut w, &header).map_err(|e| io_err(path, e))?;
    w.flush().map_err(|e| io_err(path, e))?;
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names() {
        assert_eq!(part_path(Path::new("/r/shift.ptrec"), 1), Path::new("/r/shift.ptrec"));
        assert_eq!(part_path(Path::new("/r/shift.ptrec"), 3), Path::new("/r/shift-part3.ptrec"));
        assert_eq!(part_path(Path::new("shift"), 2), Path::new("shift-part2"));
        // Where shifts start is the site's calendar's rule: twin_model::shifts tests it.
    }
}
