//! picktwin's shift recordings: the file format ([`format`], docs/recording.md), the recorder
//! on the link's lossless path ([`recorder`]), and the reader with its keyframe index
//! ([`replay`]), and its timeline ([`timeline`]: `--at` times, bookmarks). No Bevy here: the replay view drives the same ECS through the view channel.

mod background;
mod codec;
pub mod format;
pub mod recorder;
pub mod replay;
pub mod state;
pub mod timeline;

pub use format::{FORMAT_VERSION, Header, RecordError, inflate_bounded, layout_id};
pub use recorder::{
    Recorder, RecorderOptions, RecorderSwitch, RecorderThread, Summary, SwitchStatus, part_path,
};
pub use replay::{Cursor, Mark, Recording, peek};
pub use state::TwinState;
pub use timeline::{Bookmark, bookmarks_path, offset_text, parse_at, write_atomically};
