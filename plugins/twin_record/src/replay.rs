//! Reading a recording: open (header, layout check, frame scan, index of keyframes, alarm marks
//! and controller-clock samples), rebuild the state at any moment from the nearest keyframe
//! plus deltas, and play forward from a cursor.
//!
//! The file is read into memory once (an 8-hour shift is tens of MB); frames stay compressed
//! and are decoded on demand, so memory is the file plus one decoded frame.

use std::sync::Arc;

use twin_link::{Bounds, LinkEvent, LinkMessage};
use twin_model::Site;

use crate::format::{
    Deltas, FrameAt, Header, KIND_DELTAS, KIND_KEYFRAME, Keyframe, LayoutMismatch, RecordError,
    decode_payload, keyframe_time, layout_id, read_header, scan,
};
use crate::state::TwinState;

/// Something worth jumping to: a link event an operator would look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// When.
    pub t_ms: u64,
    /// What.
    pub event: LinkEvent,
}

/// An opened recording.
pub struct Recording {
    /// File path (for messages).
    pub path: String,
    /// Its header.
    pub header: Header,
    /// The site it was recorded on.
    pub site: Arc<Site>,
    bytes: Vec<u8>,
    frames: Vec<FrameAt>,
    /// (time, frame index) of every keyframe, in order.
    keyframes: Vec<(u64, usize)>,
    /// First and last message time of each frame (keyframes: their time twice).
    spans: Vec<(u64, u64)>,
    /// Last time in the recording.
    pub duration_ms: u64,
    /// Link events, in order.
    pub marks: Vec<Mark>,
    /// (recording time, controller clock seconds, clock speed) from health reports, one per
    /// clock second.
    pub clock: Vec<(u64, u32, u16)>,
    /// Bytes skipped at the end (a crash mid-write): (offset, length).
    pub truncated_tail: Option<(usize, usize)>,
    /// The recorded site's sizes: messages outside them are skipped, frames inflating past
    /// them refused.
    bounds: Bounds,
    /// Messages skipped because they name something outside the layout, and the first reason.
    pub rejected: (u64, Option<String>),
}

/// The site a header records, refused unless it is `layout` when one is given.
fn recorded_site(path: &str, header: &Header, layout: Option<(&str, &Site)>) -> Result<Site, RecordError> {
    if let Some((given, site)) = layout {
        let id = layout_id(site);
        if id != header.layout_id {
            return Err(RecordError::LayoutMismatch(Box::new(LayoutMismatch {
                path: path.to_owned(),
                recorded_name: header.layout_name.clone(),
                recorded_id: header.layout_id.clone(),
                given: given.to_owned(),
                given_name: site.layout.name.clone(),
                given_id: id,
            })));
        }
    }
    Site::from_ron(&header.layout, path)
        .map_err(|e| RecordError::Layout { path: path.to_owned(), why: e.to_string() })
}

/// Reads only a recording's header and the site it records (with `layout`, refused unless it
/// is that one): what a window needs before the frames are indexed in the background.
pub fn peek(path: &str, layout: Option<(&str, &Site)>) -> Result<(Header, Site), RecordError> {
    use std::io::Read;
    let io = |source| RecordError::Io { path: path.to_owned(), source };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut head = vec![0u8; crate::format::MAGIC.len() + 4];
    let n = f.read(&mut head).map_err(io)?;
    head.truncate(n);
    if let Some(len) =
        head.get(crate::format::MAGIC.len()..).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes)
    {
        // The header is RON text of a layout: bounded like any layout file (16 MiB).
        f.take(u64::from(len).min(16 << 20)).read_to_end(&mut head).map_err(io)?;
    }
    let (header, _) = read_header(path, &head)?;
    let site = recorded_site(path, &header, layout)?;
    Ok((header, site))
}

/// A position in a recording for playing forward.
#[derive(Debug, Clone)]
pub struct Cursor {
    frame: usize,
    item: usize,
    decoded: Option<(usize, Deltas)>,
    /// Time reached.
    pub t_ms: u64,
}

impl Recording {
    /// Opens a recording; with `layout`, refuses unless it is the layout recorded. `progress`
    /// gets the fraction of frames indexed.
    pub fn open(
        path: &str,
        layout: Option<(&str, &Site)>,
        progress: impl FnMut(f32),
    ) -> Result<Self, RecordError> {
        let bytes =
            std::fs::read(path).map_err(|source| RecordError::Io { path: path.to_owned(), source })?;
        Self::from_bytes(path, bytes, layout, progress)
    }

    /// Opens a recording held in memory (`path` names it in messages): what [`Self::open`] does
    /// after reading the file, and what the fuzzer feeds.
    pub fn from_bytes(
        path: &str,
        bytes: Vec<u8>,
        layout: Option<(&str, &Site)>,
        mut progress: impl FnMut(f32),
    ) -> Result<Self, RecordError> {
        let (header, start) = read_header(path, &bytes)?;
        let site = recorded_site(path, &header, layout)?;
        let scanned = scan(path, &bytes, start)?;
        if let Some((at, len)) = scanned.truncated_tail {
            tracing::warn!(
                "{path}: the recording ends in a partial frame at byte {at} ({len} bytes skipped): it was cut off while writing (crash or power loss); everything before is intact"
            );
        }
        let bounds = Bounds::for_site(&site);
        let mut r = Self {
            bounds,
            rejected: (0, None),
            path: path.to_owned(),
            header,
            site: Arc::new(site),
            keyframes: Vec::new(),
            spans: Vec::with_capacity(scanned.frames.len()),
            duration_ms: 0,
            marks: Vec::new(),
            clock: Vec::new(),
            truncated_tail: scanned.truncated_tail,
            frames: scanned.frames,
            bytes,
        };
        let n = r.frames.len().max(1);
        for i in 0..r.frames.len() {
            let f = r.frames[i];
            let payload = &r.bytes[f.payload.0..f.payload.1];
            let corrupt =
                |why: String| RecordError::Corrupt { path: path.to_owned(), offset: f.offset as u64, why };
            if f.kind == KIND_KEYFRAME {
                // Only the time is needed now: the state is decoded when seeking.
                let t = keyframe_time(payload).map_err(corrupt)?;
                r.keyframes.push((t, i));
                r.spans.push((t, t));
                r.duration_ms = r.duration_ms.max(t);
            } else {
                let d: Deltas = decode_payload(payload, bounds.max_decoded_bytes()).map_err(corrupt)?;
                let last = d.items.last().map_or(d.t0_ms, |(dt, _)| d.t0_ms + u64::from(*dt));
                r.spans.push((d.t0_ms, last));
                r.duration_ms = r.duration_ms.max(last);
                for (dt, m) in &d.items {
                    let t = d.t0_ms + u64::from(*dt);
                    if let Err(e) = bounds.check(m) {
                        r.rejected.0 += 1;
                        r.rejected.1.get_or_insert_with(|| format!("at {t} ms: {e}"));
                        continue;
                    }
                    match m {
                        LinkMessage::Event(e)
                            if !matches!(e, LinkEvent::Connected { .. } | LinkEvent::Confirmed { .. }) =>
                        {
                            r.marks.push(Mark { t_ms: t, event: e.clone() });
                        }
                        LinkMessage::Health { health, .. }
                            if health.polls > 0
                                && health.clock_s > 0
                                && r.clock.last().is_none_or(|&(_, c, _)| c != health.clock_s) =>
                        {
                            r.clock.push((t, health.clock_s, health.clock_speed));
                        }
                        _ => {}
                    }
                }
            }
            if i % 64 == 0 {
                progress(i as f32 / n as f32);
            }
        }
        progress(1.0);
        if let (n, Some(first)) = &r.rejected {
            tracing::warn!(
                "{path}: {n} messages name something outside the recorded layout and are skipped; first {first}"
            );
        }
        if r.keyframes.is_empty() {
            return Err(RecordError::Corrupt {
                path: path.to_owned(),
                offset: start as u64,
                why: "no keyframe (the recording was cut off before its first frame)".into(),
            });
        }
        Ok(r)
    }

    /// Bytes in keyframe frames and in delta frames (headers excluded).
    pub fn frame_bytes(&self) -> (u64, u64) {
        let mut b = (0, 0);
        for f in &self.frames {
            let n = (f.payload.1 - f.offset) as u64;
            if f.kind == KIND_KEYFRAME { b.0 += n } else { b.1 += n }
        }
        b
    }

    /// Number of keyframes.
    pub fn keyframe_count(&self) -> usize {
        self.keyframes.len()
    }

    /// Controller clock (seconds) at recording time `t_ms`: the nearest earlier report, run
    /// forward at the speed it reported (health reports are thinned in recordings).
    pub fn clock_at(&self, t_ms: u64) -> Option<u32> {
        let i = self.clock.partition_point(|&(t, _, _)| t <= t_ms);
        let speed = |s: u16| f64::from(s.max(1));
        if i == 0 {
            let &(t0, c, s) = self.clock.first()?;
            return Some(c.saturating_sub(((t0 - t_ms) as f64 / 1000.0 * speed(s)) as u32));
        }
        let (t, c, s) = self.clock[i - 1];
        Some(c + ((t_ms - t) as f64 / 1000.0 * speed(s)) as u32)
    }

    /// First recording time at which the controller clock reads `clock_s` or later.
    pub fn time_at_clock(&self, clock_s: u32) -> Option<u64> {
        // The last report at or before that clock, run forward; past the end: none.
        let i = self.clock.partition_point(|&(_, c, _)| c <= clock_s);
        let &(t, c, s) = self.clock.get(i.checked_sub(1)?)?;
        let t = t + (f64::from(clock_s - c) / f64::from(s.max(1)) * 1000.0) as u64;
        (t <= self.duration_ms).then_some(t)
    }

    /// The state at `t_ms` and a cursor just after it.
    pub fn state_at(&self, t_ms: u64) -> Result<(TwinState, Cursor), RecordError> {
        let k = self.keyframes.partition_point(|&(t, _)| t <= t_ms).max(1) - 1;
        let (_, frame) = self.keyframes[k];
        let f = self.frames[frame];
        let corrupt = |why| RecordError::Corrupt { path: self.path.clone(), offset: f.offset as u64, why };
        let key: Keyframe =
            decode_payload(&self.bytes[f.payload.0..f.payload.1], self.bounds.max_decoded_bytes())
                .map_err(corrupt)?;
        key.state.check(&self.bounds).map_err(|e| corrupt(format!("keyframe: {e}")))?;
        let mut state = key.state;
        let mut cursor = Cursor { frame: frame + 1, item: 0, decoded: None, t_ms: key.t_ms };
        self.advance(&mut cursor, t_ms, |_, m| state.apply(m))?;
        Ok((state, cursor))
    }

    /// Plays from the cursor up to and including `to_ms`, calling `f` with each message's
    /// time. Keyframes on the way are skipped (the deltas already say everything).
    pub fn advance(
        &self,
        cursor: &mut Cursor,
        to_ms: u64,
        mut f: impl FnMut(u64, &LinkMessage),
    ) -> Result<(), RecordError> {
        while cursor.frame < self.frames.len() {
            let fr = self.frames[cursor.frame];
            if fr.kind != KIND_DELTAS {
                cursor.frame += 1;
                continue;
            }
            if self.spans[cursor.frame].0 > to_ms {
                break;
            }
            if cursor.decoded.as_ref().is_none_or(|(i, _)| *i != cursor.frame) {
                let limit = self.bounds.max_decoded_bytes();
                let d: Deltas =
                    decode_payload(&self.bytes[fr.payload.0..fr.payload.1], limit).map_err(|why| {
                        RecordError::Corrupt { path: self.path.clone(), offset: fr.offset as u64, why }
                    })?;
                cursor.decoded = Some((cursor.frame, d));
            }
            let Some((_, d)) = cursor.decoded.as_ref() else { break };
            while let Some((dt, m)) = d.items.get(cursor.item) {
                let t = d.t0_ms + u64::from(*dt);
                if t > to_ms {
                    cursor.t_ms = to_ms;
                    return Ok(());
                }
                // Counted when the file was opened.
                if self.bounds.check(m).is_ok() {
                    f(t, m);
                }
                cursor.item += 1;
            }
            cursor.frame += 1;
            cursor.item = 0;
        }
        cursor.t_ms = cursor.t_ms.max(to_ms);
        Ok(())
    }
}
