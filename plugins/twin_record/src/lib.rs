//! picktwin's shift recordings: the file format ([`format`], docs/recording.md), the recorder
//! on the link's lossless path ([`recorder`]), and the reader with its keyframe index
//! ([`replay`]). No Bevy here: the replay view drives the same ECS through the view channel.

pub mod format;
pub mod recorder;
pub mod replay;
pub mod state;

pub use format::{FORMAT_VERSION, Header, RecordError, layout_id};
pub use recorder::{
    Recorder, RecorderOptions, RecorderSwitch, RecorderThread, Summary, SwitchStatus, part_path,
};
pub use replay::{Cursor, Mark, Recording};
pub use state::TwinState;
