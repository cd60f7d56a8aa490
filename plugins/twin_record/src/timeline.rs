//! A recording's timeline as people address it: `--at` times (site clock or offset from the
//! start), `+H:MM:SS` offsets, and bookmarks with notes saved beside the recording.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use twin_link::clock::clock_text;

use crate::Recording;

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
    clock_text(f64::from(s))
}

/// A bookmark with a note, saved beside the recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bookmark {
    /// Recording time.
    pub t_ms: u64,
    /// What happened there.
    pub note: String,
}

/// `shift.ptrec` → `shift.ptrec.bookmarks.ron`.
pub fn bookmarks_path(recording: &Path) -> PathBuf {
    let mut name = recording.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".bookmarks.ron");
    recording.with_file_name(name)
}

/// Writes `text` to `path` atomically: a temporary file beside it, flushed, then renamed over
/// it, so a crash or power loss mid-write leaves the old file or the new one, never half of
/// either.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

/// `+H:MM:SS` from the start.
pub fn offset_text(t_ms: u64) -> String {
    let s = t_ms / 1000;
    format!("+{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookmark_file_sits_beside_the_recording() {
        assert_eq!(bookmarks_path(Path::new("/r/shift.ptrec")), Path::new("/r/shift.ptrec.bookmarks.ron"));
        assert_eq!(offset_text(3_723_000), "+1:02:03");
    }

    #[test]
    fn an_atomic_write_replaces_the_file_whole_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("picktwin-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("b.ron");
        write_atomically(&path, "old").unwrap();
        write_atomically(&path, "new, longer").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new, longer");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["b.ron"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
