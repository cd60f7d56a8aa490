//! `picktwin snapshot`: poll every controller once, print JSON lines, for ops scripts and cron.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;
use twin_link::ModuleReading;
use twin_model::codes::{self, Blink, Mode, ModuleState, PickerState};

use crate::cli::SnapshotArgs;

/// One module as printed.
#[derive(Debug, Serialize)]
pub struct ModuleLine<'a> {
    /// Always "module".
    pub kind: &'static str,
    /// Module id.
    pub id: u32,
    /// Location text from the layout.
    pub location: &'a str,
    /// Location text the module shows (what the host wrote).
    pub display: &'a str,
    /// Controller name.
    pub controller: &'a str,
    /// Address on the controller.
    pub address: u16,
    /// State name.
    pub state: &'static str,
    /// Mode name.
    pub mode: &'static str,
    /// Colour name.
    pub colour: &'static str,
    /// Blink pattern name.
    pub blink: &'static str,
    /// Blink period in milliseconds.
    pub blink_period_ms: u16,
    /// Quantity shown (null: blank).
    pub quantity: Option<u16>,
    /// Quantity confirmed.
    pub confirmed_quantity: u16,
    /// Job id.
    pub job: u32,
    /// Confirm latch.
    pub confirm_latch: bool,
    /// Shortage latch.
    pub shortage_latch: bool,
    /// Online on its bus.
    pub online: bool,
    /// Fault code.
    pub fault: u16,
    /// The data is older than three poll intervals.
    pub stale: bool,
}

/// One picker as printed.
#[derive(Debug, Serialize)]
pub struct PickerLine<'a> {
    /// Always "picker".
    pub kind: &'static str,
    /// Roster id.
    pub id: &'a str,
    /// Name.
    pub name: &'a str,
    /// Plan x, metres.
    pub x: f32,
    /// Plan y, metres.
    pub y: f32,
    /// Heading in degrees.
    pub heading: f32,
    /// State name.
    pub state: &'static str,
    /// Current order (0: none).
    pub order: u32,
}

/// The JSON line of one module.
pub fn module_line<'a>(site: &'a twin_model::Site, index: usize, r: &'a ModuleReading) -> ModuleLine<'a> {
    let m = &site.modules[index];
    ModuleLine {
        kind: "module",
        id: m.id.0,
        location: &m.location,
        display: r.location.as_str(),
        controller: &site.layout.controllers[usize::from(m.controller)].name,
        address: m.address,
        state: ModuleState::from_register(r.state).map_or("unknown", ModuleState::name),
        mode: Mode::from_register(r.mode).map_or("unknown", Mode::name),
        colour: codes::COLOURS.get(usize::from(r.colour)).map_or("unknown", |c| c.0),
        blink: Blink::from_register(r.blink).map_or("unknown", Blink::name),
        blink_period_ms: r.blink_period_ms,
        quantity: (r.quantity != codes::QUANTITY_BLANK).then_some(r.quantity),
        confirmed_quantity: r.confirmed_quantity,
        job: r.job,
        confirm_latch: r.confirm_latch,
        shortage_latch: r.shortage_latch,
        online: r.online,
        fault: r.fault,
        stale: r.stale,
    }
}

/// Polls once and prints; exit 2 if a controller did not answer or was refused (wrong map).
pub fn run(args: &SnapshotArgs) -> ExitCode {
    let Some(site) = crate::load_site(Some(&args.layout)) else { return ExitCode::FAILURE };
    let endpoints = match twin_app::source::controller_overrides(&site, &args.controllers) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let timeout = Duration::from_millis(args.timeout_ms.max(1));
    let snapshot = match runtime.block_on(twin_link::snapshot(&site, &endpoints, timeout)) {
        Ok(s) => s,
        Err(failed) => {
            for (controller, error) in failed {
                eprintln!("error: controller {controller} did not answer: {error}");
            }
            return ExitCode::from(2);
        }
    };
    // Missing optional blocks degrade, they do not fail: said on stderr, the rest printed.
    for w in &snapshot.warnings {
        eprintln!("warning: {w}");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if write_lines(&site, &snapshot.modules, &snapshot.pickers, &mut out).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Writes one JSON line per module, then per picker (`snapshot`, and `replay --dump`).
pub fn write_lines(
    site: &twin_model::Site,
    modules: &[ModuleReading],
    pickers: &[twin_link::PickerReading],
    out: &mut impl Write,
) -> std::io::Result<()> {
    for (i, r) in modules.iter().enumerate().take(site.modules.len()) {
        serde_json::to_writer(&mut *out, &module_line(site, i, r))?;
        writeln!(out)?;
    }
    for (p, r) in site.layout.pickers.iter().zip(pickers) {
        let line = PickerLine {
            kind: "picker",
            id: &p.id,
            name: &p.name,
            x: f32::from(r.x_cm) / 100.0,
            y: f32::from(r.y_cm) / 100.0,
            heading: f32::from(r.heading_cdeg) / 100.0,
            state: PickerState::from_register(r.state).map_or("unknown", PickerState::name),
            order: r.order,
        };
        serde_json::to_writer(&mut *out, &line)?;
        writeln!(out)?;
    }
    out.flush()
}
