//! Command-line interface: the subcommands and their arguments (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Real-time 3D digital twin of a pick-to-light distribution centre.
///
/// Without a subcommand it runs the twin: by default against the built-in simulator (started
/// in-process on loopback, reached over real TCP); `--controller NAME=HOST:PORT` points
/// controllers at real hardware. The twin only reads: it has no way to write to a controller.
#[derive(Debug, Parser)]
#[command(name = "picktwin", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do (default: run the twin).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The twin's options when no subcommand is given.
    #[command(flatten)]
    pub twin: TwinArgs,
}

/// Options of the twin (the default command).
#[derive(Debug, clap::Args)]
pub struct TwinArgs {
    /// Site layout (RON); default: the built-in demo site (layouts/demo.ron, embedded).
    #[arg(long, value_name = "FILE")]
    pub layout: Option<PathBuf>,

    /// Poll this controller at HOST:PORT instead of simulating it (repeatable). With none,
    /// every controller is simulated in-process.
    #[arg(long = "controller", value_name = "NAME=HOST:PORT", value_parser = parse_controller)]
    pub controllers: Vec<(String, String)>,

    /// Watch a gateway instead of polling: mqtt://HOST:PORT/SITE (or mqtts://). Read-only:
    /// nothing a viewer does reaches a controller.
    #[arg(long, value_name = "URL", conflicts_with = "controllers")]
    pub source: Option<twin_gateway::BrokerUrl>,

    /// TLS for --source.
    #[command(flatten)]
    pub tls: TlsArgs,

    /// Simulator seed (when simulating).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Simulator time acceleration, 1 to 600 (when simulating).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// Simulator clock at start, HH:MM (when simulating). The simulated day begins at 06:00
    /// and runs (in a second or two) up to this time before the window opens, so the floor
    /// is mid-shift at once; `--start 06:00` opens on the empty floor of the day's start.
    #[arg(long, value_name = "HH:MM", default_value = "09:00", value_parser = parse_start)]
    pub start: u64,

    /// Seconds between status lines on stdout (0: none).
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub status_every: u64,

    /// Stop after this many seconds (for scripts and tests; default: until Ctrl-C).
    #[arg(long = "for", value_name = "SECONDS")]
    pub run_for: Option<f64>,

    /// No window: apply the link to the ECS and print status lines (servers, checks).
    #[arg(long)]
    pub headless: bool,

    /// Camera at start: overview (orbit), walk (first person) or tour (zones, for wall
    /// displays). Keys 1/2/3 switch later.
    #[arg(long, value_name = "MODE", default_value = "overview", value_parser = ["overview", "walk", "tour"])]
    pub camera: String,

    /// Render the running twin, save one frame to this PNG and exit 0 (docs, CI, health checks
    /// of wall displays).
    #[arg(long, value_name = "PNG", conflicts_with = "headless")]
    pub screenshot: Option<PathBuf>,

    /// Seconds to run before the screenshot (lets the first poll arrive).
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0, requires = "screenshot")]
    pub after: f64,

    /// Window size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1600x900", value_parser = parse_size)]
    pub size: (u32, u32),

    /// Print frame-time statistics (mean, p50, p99, draw batches, overlay CPU time) when the
    /// twin exits; turns vsync off so the numbers measure the renderer.
    #[arg(long)]
    pub frame_stats: bool,

    /// Wall display: fullscreen, dark theme, type readable at 5 m, the camera touring the
    /// zones, KPIs, open alarms and controllers arranged for a 16:9 screen; nothing to click.
    #[arg(long, conflicts_with = "headless")]
    pub kiosk: bool,

    /// The wall display's diagonal in inches (16:9): with --viewing-distance it sizes the
    /// kiosk's type so characters subtend at least 16 arc-minutes (ISO 11064).
    #[arg(long, value_name = "INCHES", default_value_t = 55.0, value_parser = parse_inches)]
    pub wall_inches: f32,

    /// Draw no beacons over lit modules (scripts/bench-render measures their cost with it).
    #[arg(long, hide = true)]
    pub no_beacons: bool,

    /// Start with the pick heatmap on: `hour` (picks in the last hour), `shift` (this shift) or
    /// `HH:MM-HH:MM` (a clock range, as a report's); the top bar's Heat switch changes it.
    #[arg(long, value_name = "WINDOW", value_parser = parse_heat)]
    pub heat: Option<twin_overlay::ops::HeatWindow>,

    /// How far the wall display's readers stand, metres.
    #[arg(long, value_name = "METRES", default_value_t = 5.0, value_parser = parse_distance)]
    pub viewing_distance: f32,
}

/// `HH:MM` as milliseconds since midnight.
fn parse_start(s: &str) -> Result<u64, String> {
    twin_model::shifts::parse_hhmm(s)
        .map(|sec| u64::from(sec) * 1000)
        .ok_or_else(|| format!("{s:?}: write the start as HH:MM from 00:00 to 23:59, e.g. 09:00"))
}

/// `hour`, `shift` or `HH:MM-HH:MM`: which picks the heatmap counts.
pub fn parse_heat(s: &str) -> Result<twin_overlay::ops::HeatWindow, String> {
    use twin_overlay::ops::HeatWindow;
    match s {
        "hour" => Ok(HeatWindow::LastHour),
        "shift" => Ok(HeatWindow::Shift),
        _ => match twin_model::shifts::ClockRange::parse(s) {
            Some(r) if r.from_s != r.to_s => Ok(HeatWindow::Clock(r)),
            _ => Err(format!(
                "{s:?}: write hour (picks in the last hour), shift (this shift) or a clock range \
                 HH:MM-HH:MM such as 06:00-08:30"
            )),
        },
    }
}

fn parse_inches(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(v) if (10.0..=400.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?}: the diagonal must be a number of inches from 10 to 400")),
    }
}

fn parse_distance(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(v) if (0.5..=50.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?}: the viewing distance must be a number of metres from 0.5 to 50")),
    }
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let err = || format!("{s:?} is not WIDTHxHEIGHT (e.g. 1920x1080)");
    let (w, h) = s.split_once('x').ok_or_else(err)?;
    let (w, h): (u32, u32) = (w.parse().map_err(|_| err())?, h.parse().map_err(|_| err())?);
    if !(64..=16384).contains(&w) || !(64..=16384).contains(&h) {
        return Err(format!("{s:?}: width and height must be from 64 to 16384"));
    }
    Ok((w, h))
}

/// picktwin's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate site layouts and print a summary of each (exit code 1 if any is invalid).
    ///
    /// Errors name the file, line and column, what is wrong and how to fix it.
    CheckLayout(CheckLayoutArgs),

    /// Run the PTL controller simulator: a Modbus TCP server per controller of the layout, with
    /// a simulated WCS releasing orders and pickers picking them. Stop with Ctrl-C.
    ///
    /// Without --listen each controller listens on the address the layout gives it; with
    /// --listen HOST:PORT controller i listens on PORT + i (port 0: any free ports, printed).
    Sim(SimArgs),

    /// Poll every controller once and print one JSON object per module and per picker.
    ///
    /// Exit code 0 when every controller answered, 2 (naming the controllers) when one did not
    /// answer within the timeout. Reads only.
    Snapshot(SnapshotArgs),

    /// Record a shift headless: every change the link reads, with keyframes, to a file that
    /// `picktwin replay` opens. A new file starts at each shift (the layout's `shifts`, default
    /// 06:00, 14:00, 22:00 of the site clock). Without --controller it records the built-in
    /// simulator.
    Record(RecordArgs),

    /// Replay a recording: the 3D floor and overlay as they were, with a timeline (play, pause,
    /// speed, scrub, jump to alarms and bookmarks). `--at TIME --dump` prints the state at TIME
    /// as JSON lines (like `snapshot`); `--at TIME --screenshot PNG` saves the floor at TIME.
    Replay(ReplayArgs),

    /// Poll the controllers once (one Modbus connection each) and publish the twin's state
    /// through an MQTT broker for any number of viewers (`picktwin --source mqtt://...`).
    /// Headless; keeps polling while the broker is down. Never writes to a controller.
    Gateway(crate::gateway::GatewayArgs),

    /// Report on recorded shifts: lines, units and orders, lines per hour by zone and picker,
    /// pick accuracy, order cycle times and late orders by priority, controller downtime, the
    /// busiest hour; as CSV tables and an HTML page with plots. Exit code 3: nothing recorded in
    /// the range.
    Report(crate::report::ReportArgs),
}

/// TLS files for an `mqtts://` broker.
#[derive(Debug, Clone, clap::Args)]
pub struct TlsArgs {
    /// CA certificate (PEM) that signed the broker's certificate (mqtts://).
    #[arg(long, value_name = "PEM")]
    pub ca: Option<PathBuf>,

    /// Client certificate (PEM), for brokers that authenticate clients by certificate.
    #[arg(long, value_name = "PEM", requires = "client_key")]
    pub client_cert: Option<PathBuf>,

    /// Client private key (PEM).
    #[arg(long, value_name = "PEM", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
}

impl From<&TlsArgs> for twin_gateway::TlsFiles {
    fn from(t: &TlsArgs) -> Self {
        Self { ca: t.ca.clone(), client_cert: t.client_cert.clone(), client_key: t.client_key.clone() }
    }
}

/// Arguments of `picktwin record`.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Site layout (RON); default: the built-in demo site (layouts/demo.ron, embedded).
    #[arg(long, value_name = "FILE")]
    pub layout: Option<PathBuf>,

    /// Recording file (later shifts get `-part2`, `-part3`, ... before the extension).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Record this controller at HOST:PORT (repeatable); with none, the built-in simulator.
    #[arg(long = "controller", value_name = "NAME=HOST:PORT", value_parser = parse_controller)]
    pub controllers: Vec<(String, String)>,

    /// Stop cleanly after this many seconds (default: until Ctrl-C or SIGTERM).
    #[arg(long = "for", value_name = "SECONDS")]
    pub run_for: Option<f64>,

    /// Simulator time acceleration, 1 to 600 (when simulating).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// Simulator seed (when simulating).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Seconds between keyframes (seek cost vs. file size).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub keyframe_every: f64,

    /// Also write completed lines, orders and controller incidents to this history store
    /// (`sqlite:FILE` or `postgres://USER@HOST:PORT/DB`; default: `sqlite:` beside the
    /// recording, OUT with `.history.sqlite`). `picktwin report --history URL` reads it.
    #[arg(long, value_name = "URL")]
    pub history: Option<String>,

    /// Write no history store.
    #[arg(long, conflicts_with = "history")]
    pub no_history: bool,

    /// Record from a gateway instead of polling: mqtt://HOST:PORT/SITE (or mqtts://).
    #[arg(long, value_name = "URL", conflicts_with = "controllers")]
    pub source: Option<twin_gateway::BrokerUrl>,

    /// TLS for --source.
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// Arguments of `picktwin replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The recording.
    #[arg(value_name = "SHIFT")]
    pub recording: PathBuf,

    /// Check the recording against this layout (default: the layout stored in the recording).
    #[arg(long, value_name = "FILE")]
    pub layout: Option<PathBuf>,

    /// Start at this moment: controller clock `HH:MM[:SS]`, or `+SECONDS` / `+H:MM:SS` from
    /// the start of the recording.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// Print the state at --at as JSON lines (modules, then pickers) and exit; no window.
    #[arg(long, requires = "at", conflicts_with = "screenshot")]
    pub dump: bool,

    /// Save the floor at --at to this PNG and exit.
    #[arg(long, value_name = "PNG", requires = "at")]
    pub screenshot: Option<PathBuf>,

    /// Playback speed at start (0.25 to 600).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,

    /// Window size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1600x900", value_parser = parse_size)]
    pub size: (u32, u32),

    /// Start with the pick heatmap on: `hour`, `shift` or `HH:MM-HH:MM` (of the replayed
    /// clock; a report's range shows its picks on the floor).
    #[arg(long, value_name = "WINDOW", value_parser = parse_heat)]
    pub heat: Option<twin_overlay::ops::HeatWindow>,
}

/// Arguments of `picktwin snapshot`.
#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// Site layout (RON).
    #[arg(long, value_name = "FILE")]
    pub layout: PathBuf,

    /// Poll this controller at HOST:PORT instead of the layout's address (repeatable).
    #[arg(long = "controller", value_name = "NAME=HOST:PORT", value_parser = parse_controller)]
    pub controllers: Vec<(String, String)>,

    /// Limit for each connect and request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub timeout_ms: u64,
}

pub(crate) fn parse_controller(s: &str) -> Result<(String, String), String> {
    let (name, endpoint) =
        s.split_once('=').ok_or_else(|| format!("{s:?} is not NAME=HOST:PORT (e.g. ptl-1=10.1.20.5:502)"))?;
    if name.is_empty() || !endpoint.contains(':') {
        return Err(format!("{s:?} is not NAME=HOST:PORT (e.g. ptl-1=10.1.20.5:502)"));
    }
    Ok((name.to_owned(), endpoint.to_owned()))
}

/// Arguments of `picktwin check-layout`.
#[derive(Debug, clap::Args)]
pub struct CheckLayoutArgs {
    /// Layout files (RON), e.g. layouts/pharma_dc.ron.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Arguments of `picktwin sim`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Site layout (RON); default: the built-in demo site (layouts/demo.ron, embedded).
    #[arg(long, value_name = "FILE")]
    pub layout: Option<PathBuf>,

    /// Base listening address: controller i listens on its port + i.
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Option<std::net::SocketAddr>,

    /// Seed of every random choice: the same seed replays the same shift.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Time acceleration, 1 to 600; the controllers' clock follows it.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// Orders released per day (06:00–22:00).
    #[arg(long, value_name = "N", default_value_t = 1200.0)]
    pub orders_per_day: f64,

    /// Write the simulated WMS (orders and lines, reference schema) into this SQLite file;
    /// default: the layout's `sqlite:` WMS url, if it has one (docs/sources.md).
    #[arg(long, value_name = "FILE")]
    pub wms: Option<PathBuf>,

    /// Publish every picker's position as RTLS JSON to this MQTT broker (mqtt://HOST:PORT);
    /// default: the layout's RTLS broker, if it declares one.
    #[arg(long, value_name = "URL")]
    pub rtls: Option<String>,
}

pub(crate) fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (1.0..=twin_sim::MAX_SPEED).contains(&v) {
        Ok(v)
    } else {
        Err(format!("speed must be from 1 to {}", twin_sim::MAX_SPEED))
    }
}
