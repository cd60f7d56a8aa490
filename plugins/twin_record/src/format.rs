//! The recording file format (docs/recording.md), version 3:
//!
//! ```text
//! file   := magic "PICKTWIN-REC\n" · u32le header_len · header (RON, UTF-8) · frame*
//! frame  := u32le payload_len · u8 kind · u32le crc32(kind · payload) · payload
//! payload:= deflate(postcard(Deltas))    kind 1: the link's messages over about one second
//!         | deflate(postcard(Keyframe))  kind 2: the full state at one moment
//! ```
//!
//! Append-only: a frame is written whole, then flushed; a crash leaves at most a partial last
//! frame, which a reader detects (length past the end, or a bad CRC on the last frame) and
//! skips with a warning. Times are milliseconds since the recording started.

use std::io::Write;

use serde::{Deserialize, Serialize};
use twin_link::LinkMessage;
use twin_model::Site;

use crate::state::TwinState;

pub use crate::codec::{decode_payload, encode_frame, inflate_bounded, keyframe_time};

/// First bytes of every recording.
pub const MAGIC: &[u8; 13] = b"PICKTWIN-REC\n";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 3;
/// Frame kind: deltas.
pub const KIND_DELTAS: u8 = 1;
/// Frame kind: keyframe.
pub const KIND_KEYFRAME: u8 = 2;
/// Largest frame a reader accepts (a keyframe of a 100k-module site is a few MB).
pub const MAX_FRAME: u32 = 256 << 20;

/// The RON header: what was recorded, from where, and the layout itself, so a recording
/// replays without the layout file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always `picktwin-recording`.
    pub format: String,
    /// Format version ([`FORMAT_VERSION`]).
    pub version: u32,
    /// The layout's `name`.
    pub layout_name: String,
    /// The layout's identity: a hash of its canonical RON ([`layout_id`]).
    pub layout_id: String,
    /// Wall-clock start, milliseconds since the Unix epoch.
    pub started_wall_ms: u64,
    /// Where the data came from (simulator or controllers).
    pub source: String,
    /// Seconds between keyframes.
    pub keyframe_every_s: f64,
    /// Part number when recordings rotate per shift (1 for the first file).
    pub part: u32,
    /// The layout, as canonical RON.
    pub layout: String,
}

/// The link's messages over one stretch of time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deltas {
    /// Time of the first message.
    pub t0_ms: u64,
    /// Messages with their time after `t0_ms`.
    pub items: Vec<(u32, LinkMessage)>,
}

/// The full state at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyframe {
    /// Time of the state.
    pub t_ms: u64,
    /// The state.
    pub state: TwinState,
}

/// Why a recording cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The file does not start like a recording.
    #[error("{path}: not a picktwin recording (it does not start with \"PICKTWIN-REC\")")]
    NotARecording {
        /// File.
        path: String,
    },
    /// Written by a newer or older picktwin.
    #[error(
        "{path}: recording format version {found}; this picktwin reads version {supported} (replay it with the picktwin that recorded it)"
    )]
    Version {
        /// File.
        path: String,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The header does not parse.
    #[error("{path}: bad header: {why}")]
    Header {
        /// File.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// A frame inside the file is damaged (not at the end).
    #[error("{path}: damaged frame at byte {offset}: {why}")]
    Corrupt {
        /// File.
        path: String,
        /// Byte offset of the frame.
        offset: u64,
        /// What is wrong.
        why: String,
    },
    /// The recording was made with another layout than the one given.
    #[error("{0}")]
    LayoutMismatch(Box<LayoutMismatch>),
    /// The embedded layout does not load.
    #[error("{path}: the recorded layout does not load: {why}")]
    Layout {
        /// File.
        path: String,
        /// Why.
        why: String,
    },
}

/// Which layouts disagree (boxed in [`RecordError`] to keep results small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutMismatch {
    /// Recording.
    pub path: String,
    /// Layout name in the recording.
    pub recorded_name: String,
    /// Layout id in the recording.
    pub recorded_id: String,
    /// The layout file given.
    pub given: String,
    /// Its name.
    pub given_name: String,
    /// Its id.
    pub given_id: String,
}

impl std::fmt::Display for LayoutMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} was recorded with layout {:?} (id {}); {} is {:?} (id {}). Replay without --layout to use the recorded one, or give the layout it was recorded with",
            self.path, self.recorded_name, self.recorded_id, self.given, self.given_name, self.given_id
        )
    }
}

/// A layout's identity: FNV-1a 64 over its canonical RON (formatting and comments in the file do
/// not change it; any change to the site does).
pub fn layout_id(site: &Site) -> String {
    let ron = canonical_layout(site);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in ron.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The layout as canonical RON.
pub fn canonical_layout(site: &Site) -> String {
    site.layout.to_ron().unwrap_or_default()
}

/// Writes the magic and the header.
pub fn write_header(w: &mut impl Write, header: &Header) -> std::io::Result<()> {
    let text = ron::ser::to_string_pretty(header, ron::ser::PrettyConfig::default())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    w.write_all(MAGIC)?;
    w.write_all(&(text.len() as u32).to_le_bytes())?;
    w.write_all(text.as_bytes())
}

/// Parses the magic and header; returns the header and where the frames start.
pub fn read_header(path: &str, bytes: &[u8]) -> Result<(Header, usize), RecordError> {
    if !bytes.starts_with(MAGIC) {
        return Err(RecordError::NotARecording { path: path.into() });
    }
    let at = MAGIC.len();
    let len =
        bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize).ok_or_else(
            || RecordError::Header { path: path.into(), why: "file ends inside the header".into() },
        )?;
    let text = bytes.get(at + 4..at + 4 + len).ok_or_else(|| RecordError::Header {
        path: path.into(),
        why: "file ends inside the header".into(),
    })?;
    let text = std::str::from_utf8(text)
        .map_err(|_| RecordError::Header { path: path.into(), why: "header is not UTF-8".into() })?;
    // The version first, so a future header with other fields still says what it is.
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let lenient = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let v: Version = lenient
        .from_str::<ron::Value>(text)
        .ok()
        .and_then(|v| v.into_rust::<Version>().ok())
        .ok_or_else(|| RecordError::Header { path: path.into(), why: "no format version".into() })?;
    if v.version != FORMAT_VERSION {
        return Err(RecordError::Version { path: path.into(), found: v.version, supported: FORMAT_VERSION });
    }
    let header: Header =
        ron::from_str(text).map_err(|e| RecordError::Header { path: path.into(), why: e.to_string() })?;
    Ok((header, at + 4 + len))
}

/// Where a frame is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameAt {
    /// Byte offset of the frame.
    pub offset: usize,
    /// Kind.
    pub kind: u8,
    /// Payload range.
    pub payload: (usize, usize),
}

/// The frames of a file, and how its end looked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Whole, checked frames.
    pub frames: Vec<FrameAt>,
    /// Bytes after the last whole frame that were skipped (a crash mid-write), if any.
    pub truncated_tail: Option<(usize, usize)>,
}

/// Walks the frames from `start`, checking each CRC. A bad last frame is a truncated tail; a bad
/// frame followed by more data is corruption.
pub fn scan(path: &str, bytes: &[u8], start: usize) -> Result<Scan, RecordError> {
    let mut frames = Vec::new();
    let mut at = start;
    while at < bytes.len() {
        let tail =
            |at: usize| Ok(Scan { frames: frames.clone(), truncated_tail: Some((at, bytes.len() - at)) });
        let Some(head) = bytes.get(at..at + 9) else { return tail(at) };
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let kind = head[4];
        let crc = u32::from_le_bytes([head[5], head[6], head[7], head[8]]);
        let end = at + 9 + len as usize;
        if len > MAX_FRAME || end > bytes.len() {
            if len > MAX_FRAME && end <= bytes.len() {
                return Err(RecordError::Corrupt {
                    path: path.into(),
                    offset: at as u64,
                    why: format!("frame length {len}"),
                });
            }
            return tail(at);
        }
        let mut h = crc32fast::Hasher::new();
        h.update(&[kind]);
        h.update(&bytes[at + 9..end]);
        if h.finalize() != crc || !(kind == KIND_DELTAS || kind == KIND_KEYFRAME) {
            if end == bytes.len() {
                return tail(at);
            }
            return Err(RecordError::Corrupt {
                path: path.into(),
                offset: at as u64,
                why: "checksum mismatch".into(),
            });
        }
        frames.push(FrameAt { offset: at, kind, payload: (at + 9, end) });
        at = end;
    }
    Ok(Scan { frames, truncated_tail: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            format: "picktwin-recording".into(),
            version: FORMAT_VERSION,
            layout_name: "x".into(),
            layout_id: "0".into(),
            started_wall_ms: 1,
            source: "test".into(),
            keyframe_every_s: 60.0,
            part: 1,
            layout: "()".into(),
        }
    }

    #[test]
    fn frames_round_trip_and_a_cut_tail_is_detected() {
        let mut file = Vec::new();
        write_header(&mut file, &header()).unwrap();
        let d = Deltas {
            t0_ms: 5,
            items: vec![(0, LinkMessage::Event(twin_link::LinkEvent::Stale { controller: 1 }))],
        };
        file.extend(encode_frame(KIND_DELTAS, &d).unwrap());
        let whole = file.len();
        file.extend(encode_frame(KIND_DELTAS, &d).unwrap());
        let (h, start) = read_header("f", &file).unwrap();
        assert_eq!(h, header());
        let s = scan("f", &file, start).unwrap();
        assert_eq!(s.frames.len(), 2);
        assert_eq!(s.truncated_tail, None);
        let (a, b) = s.frames[0].payload;
        assert_eq!(decode_payload::<Deltas>(&file[a..b], 1 << 20).unwrap(), d);
        let key = encode_frame(KIND_KEYFRAME, &Keyframe { t_ms: 123_456_789, state: TwinState::default() })
            .unwrap();
        assert_eq!(keyframe_time(&key[9..]), Ok(123_456_789));
        // Cut inside the second frame: one frame, and the tail reported.
        for cut in [whole + 3, whole + 12, file.len() - 1] {
            let s = scan("f", &file[..cut], start).unwrap();
            assert_eq!(s.frames.len(), 1);
            assert_eq!(s.truncated_tail, Some((whole, cut - whole)));
        }
        // A flipped byte in the first frame, with a good one after it: corruption, not a tail.
        let mut bad = file.clone();
        bad[start + 12] ^= 0xFF;
        assert!(matches!(scan("f", &bad, start), Err(RecordError::Corrupt { .. })));
    }

    #[test]
    fn version_and_magic_are_checked() {
        assert!(matches!(read_header("f", b"PNG..."), Err(RecordError::NotARecording { .. })));
        let mut file = Vec::new();
        write_header(&mut file, &Header { version: 9, ..header() }).unwrap();
        let e = read_header("f", &file).unwrap_err();
        assert!(matches!(e, RecordError::Version { found: 9, supported: FORMAT_VERSION, .. }), "{e}");
        assert!(e.to_string().contains("version 9"));
    }
}
