//! `picktwin report`: a shift, a clock range or everything of one or more recordings as CSV
//! tables and a self-contained HTML page with plots (docs/reports.md). Exit codes: 0 written,
//! 1 a recording or the output folder could not be used, 2 bad arguments, 3 nothing recorded in
//! the range.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use twin_model::shifts::ClockRange;
use twin_report::{Range, ReportError};

/// Arguments of `picktwin report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Recordings (.ptrec) in time order: a shift's rotated parts, several days.
    #[arg(value_name = "RECORDING", required_unless_present = "history")]
    pub recordings: Vec<String>,

    /// Report from the history store instead (`sqlite:FILE`, as `picktwin record` writes beside
    /// each recording, or `postgres://USER@HOST:PORT/DB`).
    #[arg(long, value_name = "URL", conflicts_with = "recordings")]
    pub history: Option<String>,

    /// The site's layout, for --history (default: the built-in demo).
    #[arg(long, value_name = "FILE", requires = "history")]
    pub layout: Option<PathBuf>,

    /// The shift of the layout's calendar that starts at HH:MM on the first recorded day.
    #[arg(long, value_name = "HH:MM", value_parser = hhmm, conflicts_with_all = ["from", "to"])]
    pub shift: Option<u32>,

    /// Start of a clock range on the first recorded day (with --to; an earlier --to is the next day).
    #[arg(long, value_name = "HH:MM", value_parser = hhmm, requires = "to")]
    pub from: Option<u32>,

    /// End of the clock range (exclusive).
    #[arg(long, value_name = "HH:MM", value_parser = hhmm, requires = "from")]
    pub to: Option<u32>,

    /// Folder for report.html and the CSV tables (created).
    #[arg(long, value_name = "DIR", default_value = "report")]
    pub out: PathBuf,
}

fn hhmm(s: &str) -> Result<u32, String> {
    twin_model::shifts::parse_hhmm(s)
        .ok_or_else(|| format!("{s:?}: write a time as HH:MM from 00:00 to 23:59, e.g. 06:00"))
}

/// Computes and writes the report.
pub fn run(args: &ReportArgs) -> ExitCode {
    crate::init_logging();
    let range = match (args.shift, args.from, args.to) {
        (Some(s), _, _) => Range::Shift(s),
        (None, Some(from_s), Some(to_s)) => Range::Clock(ClockRange { from_s, to_s }),
        _ => Range::All,
    };
    let started = Instant::now();
    let mut shown = 0.0;
    // Progress only for long reads: a line every 10 %, after the first second.
    let progress = |f: f64| {
        if started.elapsed().as_secs_f64() > 1.0 && f >= shown + 0.1 {
            shown = f;
            eprintln!("reading the recordings: {:.0} %", f * 100.0);
        }
    };
    let computed = match &args.history {
        Some(url) => {
            let Some(site) = crate::load_site(args.layout.as_deref()) else { return ExitCode::FAILURE };
            twin_report::from_store(url, &site, range).map(|(r, f)| (r, f, (*site).clone()))
        }
        None => twin_report::from_recordings(&args.recordings, range, progress),
    };
    let (report, facts, site) = match computed {
        Ok(r) => r,
        Err(e @ ReportError::Empty(..)) => {
            eprintln!("error: {e}");
            return ExitCode::from(3);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let site = &site;
    let slotting =
        twin_report::slotting::analyse(site, &facts.lines, &twin_report::slotting::Router::new(site), 20);
    match twin_report::write::write_all(&args.out, &report, &facts.lines, &slotting, site) {
        Ok(files) => {
            println!(
                "{}: {}–{}, {} lines, {} units, {} orders, {} short, {} mis-picks; re-slotting {} swaps would save {:.0} of {:.0} m walked; {} files in {} (open report.html)",
                report.site,
                twin_report::write::clock(report.from_s),
                twin_report::write::clock(report.to_s),
                report.lines,
                report.units,
                report.orders,
                report.short,
                report.mispicks,
                slotting.swaps.len(),
                slotting.walked_m - slotting.after_m,
                slotting.walked_m,
                files.len(),
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
