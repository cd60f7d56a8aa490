//! What the live twin adds to the window: the record button's recorder, and the broker's state
//! and lag in the top bar when the twin watches a gateway (`--source`).

use std::time::{Duration, Instant};

use bevy::prelude::*;

/// The viewer feeding this twin.
#[derive(Resource)]
pub struct MqttSource {
    /// The viewer.
    pub viewer: twin_gateway::Viewer,
    /// The broker, for the top bar.
    pub label: String,
    /// When the top bar was last updated.
    pub last: Option<Instant>,
}

/// Puts the broker, the gateway's state and the lag in the overlay's top bar (twice a second),
/// and logs a refusal (wrong layout, wire version) once.
pub(crate) fn show_source_lag(
    mut source: ResMut<MqttSource>,
    overlay: Option<ResMut<twin_overlay::OverlaySource>>,
) {
    if source.last.is_some_and(|t| t.elapsed() < Duration::from_millis(500)) {
        return;
    }
    source.last = Some(Instant::now());
    let s = source.viewer.stats();
    let state = match (&s.refused, s.connected, s.gateway_online) {
        (Some(why), _, _) => format!("REFUSED: {why}"),
        (None, false, _) => "broker unreachable".to_owned(),
        (None, true, Some(false)) => "gateway offline".to_owned(),
        (None, true, _) => s.lag_ms.map_or("waiting for the keyframe".to_owned(), |l| format!("lag {l} ms")),
    };
    let text = format!("{} — {state}", source.label);
    if let Some(mut o) = overlay
        && o.0 != text
    {
        o.0 = text;
    }
}

/// The live twin's recorder, switched by the overlay's record button.
#[derive(Resource)]
pub struct LiveRecorder {
    /// The recorder thread's switch.
    pub switch: twin_record::RecorderSwitch,
    /// The site's name, for file names.
    pub site: String,
}

/// Acts on the record button and shows the recorder's state in the overlay.
pub(crate) fn sync_recorder(
    mut control: ResMut<twin_overlay::RecordingControl>,
    recorder: Res<LiveRecorder>,
) {
    if control.toggle {
        control.toggle = false;
        if control.recording.is_some() {
            recorder.switch.stop();
        } else {
            let slug = twin_gateway::slug(&recorder.site);
            let secs =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            recorder
                .switch
                .start(std::path::PathBuf::from("recordings").join(format!("{slug}-{secs}.ptrec")));
        }
    }
    let s = recorder.switch.status();
    let recording = s.recording.map(|p| p.display().to_string());
    if control.recording != recording || control.bytes != s.bytes || control.error != s.error {
        control.recording = recording;
        control.bytes = s.bytes;
        control.error = s.error;
    }
}
