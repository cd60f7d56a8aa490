//! `picktwin check-layout`: validate layout files and summarise them.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use twin_model::layout::{StationKind, ZoneKind};
use twin_model::sources::{OrderSource, PickerSource};
use twin_model::{LayoutError, Site};

use crate::cli::CheckLayoutArgs;

/// Checks every file; prints summaries to stdout and diagnostics to stderr.
pub fn run(args: &CheckLayoutArgs) -> ExitCode {
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for file in &args.files {
        let started = Instant::now();
        match Site::load(file) {
            Ok(site) => {
                let elapsed = started.elapsed();
                for w in &site.warnings {
                    eprint!("{w}");
                }
                let denied = args.deny_warnings && !site.warnings.is_empty();
                failed |= denied;
                let verdict = if denied { "warnings denied" } else { "ok" };
                let _ = write!(stdout, "{}", summary(&file.display().to_string(), &site, verdict, elapsed));
            }
            Err(LayoutError::Io { path, source }) => {
                failed = true;
                eprintln!("error: cannot read layout {path}: {source}");
            }
            Err(e @ LayoutError::Invalid { .. }) => {
                failed = true;
                eprintln!("{e}");
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// Groups digits in thousands: 15360 → "15,360".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn zone_kind(kind: ZoneKind) -> &'static str {
    match kind {
        ZoneKind::Ambient => "ambient",
        ZoneKind::ColdChain => "cold chain",
        ZoneKind::FastMover => "fast movers",
        ZoneKind::Secure => "secure",
        ZoneKind::Packing => "packing",
        ZoneKind::Dispatch => "dispatch",
    }
}

/// The human summary of a valid site.
pub fn summary(file: &str, site: &Site, verdict: &str, elapsed: std::time::Duration) -> String {
    let l = &site.layout;
    let mut s = String::new();
    let _ = writeln!(s, "{file}: {verdict} (loaded in {:.1} ms)", elapsed.as_secs_f64() * 1e3);
    let _ = writeln!(s, "  site         {} ({} × {} m)", l.name, l.floor.width, l.floor.depth);
    let zones: Vec<String> = l.zones.iter().map(|z| format!("{} ({})", z.name, zone_kind(z.kind))).collect();
    let _ = writeln!(s, "  zones        {}: {}", l.zones.len(), zones.join(", "));
    let _ = writeln!(s, "  aisles       {}", thousands(l.aisles.len()));
    let _ = writeln!(s, "  racks        {}", thousands(l.racks.len()));
    let _ = writeln!(s, "  modules      {}", thousands(site.modules.len()));
    let _ = writeln!(s, "  controllers  {}", l.controllers.len());
    const LISTED: usize = 12;
    for (c, plan) in l.controllers.iter().zip(&site.controllers).take(LISTED) {
        let map = &site.maps[plan.map];
        let _ = writeln!(
            s,
            "    {:<14} {:<22} unit {:<3} {:>6} modules of {} ({}), poll {} ms",
            c.name,
            c.address,
            c.unit_id,
            thousands(plan.modules.len()),
            map.max_modules,
            map.name,
            c.poll_interval_ms
        );
    }
    if l.controllers.len() > LISTED {
        let _ = writeln!(s, "    … and {} more", l.controllers.len() - LISTED);
    }
    let _ = writeln!(s, "  pickers      {}", l.pickers.len());
    let pack = l.stations.iter().filter(|st| st.kind == StationKind::Pack).count();
    let _ = writeln!(
        s,
        "  stations     {} ({pack} pack, {} dispatch)",
        l.stations.len(),
        l.stations.len() - pack
    );
    let _ = writeln!(s, "  orders       {}", order_source(&l.sources.orders));
    let _ = writeln!(s, "  picker pos.  {}", picker_source(&l.sources.pickers));
    if !site.warnings.is_empty() {
        let _ = writeln!(s, "  warnings     {} (on stderr)", site.warnings.len());
    }
    s
}

/// Where orders come from, in words (docs/sources.md).
fn order_source(o: &OrderSource) -> String {
    match o {
        OrderSource::None => "no source".into(),
        OrderSource::ModbusBoard => "order board of the first controller".into(),
        OrderSource::WmsSql(w) => format!("WMS database {}, polled every {} ms", w.url, w.poll_ms),
    }
}

/// Where picker positions come from, in words.
fn picker_source(p: &PickerSource) -> String {
    match p {
        PickerSource::None => "no source".into(),
        PickerSource::ModbusBlock => "picker block of the first controller".into(),
        PickerSource::Inferred { idle_after_s } => {
            format!("inferred from confirmed lines (idle after {idle_after_s} s)")
        }
        PickerSource::RtlsMqtt(r) => {
            format!("RTLS on {} topic {} ({} tags)", r.broker, r.topic, r.tags.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use twin_model::sources::WmsSql;

    use super::*;

    #[test]
    fn sources_in_words() {
        assert_eq!(
            order_source(&OrderSource::WmsSql(Box::new(WmsSql::new("sqlite:w.db")))),
            "WMS database sqlite:w.db, polled every 1000 ms"
        );
        assert_eq!(
            picker_source(&PickerSource::Inferred { idle_after_s: 60 }),
            "inferred from confirmed lines (idle after 60 s)"
        );
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(15360), "15,360");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
