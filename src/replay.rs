//! `picktwin replay`: opens a recording (with progress for large files) and hands it to the
//! replay plugin (twin_replay) over the windowed twin; `--at TIME --dump` prints the state at
//! TIME as JSON lines; `--at TIME --screenshot PNG` renders it and exits.

use std::path::Path;
use std::process::ExitCode;

use bevy::app::AppExit;
use twin_app::ViewOptions;
use twin_link::view_channel;
use twin_record::{RecordError, Recording, parse_at};
use twin_replay::{OpenRequest, Opening, Replay, ReplayPlugin};

use crate::cli::ReplayArgs;

/// Runs `picktwin replay`.
pub fn run(args: &ReplayArgs) -> ExitCode {
    crate::init_logging();
    let given = match &args.layout {
        Some(p) => match crate::load_site(Some(p)) {
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
    // The window opens at once and the recording is indexed behind it (a week of recording
    // takes a while); a dump or a screenshot needs it first, so they open it here.
    if !args.dump && args.screenshot.is_none() {
        return open_in_window(args, &path, given);
    }
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
    let options = ViewOptions {
        screenshot: args.screenshot.clone(),
        after: 2.0,
        size: args.size,
        source: format!("replay {}", file_name(&args.recording)),
        replay: true,
        heat: args.heat,
        ..ViewOptions::default()
    };
    let mut app = twin_app::window_app(site, rx, &options);
    let replay = match Replay::new(
        rec,
        tx,
        at.unwrap_or(0),
        args.speed,
        args.screenshot.is_none(),
        &args.recording,
        |_| {},
    ) {
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

/// The interactive replay: the floor from the header at once, the recording opened on a thread
/// with its progress in the window.
fn open_in_window(
    args: &ReplayArgs,
    path: &str,
    given: Option<(String, std::sync::Arc<twin_model::Site>)>,
) -> ExitCode {
    let site = match twin_record::peek(path, given.as_ref().map(|(p, s)| (p.as_str(), &**s))) {
        Ok((_, site)) => std::sync::Arc::new(site),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (tx, rx) = view_channel(64);
    let options = ViewOptions {
        size: args.size,
        source: format!("replay {}", file_name(&args.recording)),
        replay: true,
        heat: args.heat,
        ..ViewOptions::default()
    };
    let mut app = twin_app::window_app(site, rx, &options);
    let request = OpenRequest {
        path: args.recording.clone(),
        layout: given,
        at: args.at.clone(),
        speed: args.speed,
        playing: true,
    };
    match Opening::spawn(request, tx) {
        Ok(opening) => app.insert_resource(opening).add_plugins(ReplayPlugin),
        Err(e) => {
            eprintln!("error: cannot start opening {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
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
