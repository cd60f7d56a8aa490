//! What the live twin adds to the window: the record button's recorder, and the broker's state
//! and lag in the top bar when the twin watches a gateway (`--source`).

use std::time::{Duration, Instant};

use bevy::prelude::*;

/// A feed is stale after three of the gateway's default keyframe periods without a good payload
/// (30 s): a quiet floor still gets a keyframe every period.
pub const FEED_STALE_AFTER_MS: u64 = 3 * twin_gateway::gateway::DEFAULT_KEYFRAME_EVERY.as_millis() as u64;

/// The viewer feeding this twin.
#[derive(Resource)]
pub struct MqttSource {
    /// The viewer.
    pub viewer: twin_gateway::Viewer,
    /// The broker, for the top bar.
    pub label: String,
    /// When the top bar was last updated.
    pub last: Option<Instant>,
    /// Bad payloads already raised as alarms.
    pub bad_seen: u64,
}

/// Puts the broker, the gateway's state, the lag, the data's age and the bad payloads counted in
/// the overlay's top bar (twice a second).
pub(crate) fn show_source_lag(
    mut source: ResMut<MqttSource>,
    overlay: Option<ResMut<twin_overlay::OverlaySource>>,
    feed: Option<ResMut<twin_overlay::OverlayFeed>>,
    model: Option<ResMut<twin_overlay::OpsModel>>,
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
    // What is on screen is as old as the last good payload: shown always, so a frozen feed
    // cannot look healthy; refused payloads are counted where the operator looks.
    let now = twin_link::clock::wall_ms();
    let age = s.last_good_ms.map_or("no data yet".to_owned(), |t| {
        format!("data age {:.1} s", now.saturating_sub(t) as f64 / 1000.0)
    });
    let bad = match (&s.last_bad, s.bad_payloads) {
        (Some(last), n) if n > 0 => format!(" — {n} bad payloads, last: {last}"),
        _ => String::new(),
    };
    let text = format!("{} — {state} — {age}{bad}", source.label);
    // Refused payloads as one alarm at the feed (raised again, as a repeat, in each half
    // second that brought more), its detail the total and the latest reason.
    if s.bad_payloads > source.bad_seen
        && let (Some(mut model), Some(last)) = (model, &s.last_bad)
    {
        let detail = format!("{} refused so far; latest: {last}", s.bad_payloads);
        model.0.feed_alarm(twin_overlay::ops::AlarmKind::BadPayload, detail);
        source.bad_seen = s.bad_payloads;
    }
    // The feed's age counts in the floor's freshness (banner, grey floor) like a controller's.
    let age = twin_overlay::ops::FeedAge {
        label: format!("the feed from {}", source.label),
        last_good_ms: s.last_good_ms,
        stale_after_ms: FEED_STALE_AFTER_MS,
    };
    if let Some(mut f) = feed
        && f.0.as_ref() != Some(&age)
    {
        f.0 = Some(age);
    }
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
