//! Shift reports for managers, from recordings: lines, units and orders; lines per hour per
//! zone and per picker; pick accuracy; order cycle times and late orders by priority;
//! controller downtime; the busiest hour. The recordings are played forward through the same
//! operations model the overlay uses (`twin_ops`), so the report and the live KPIs agree.
//! Output: CSV tables and a self-contained HTML page with SVG plots (docs/reports.md).

pub mod collect;
pub mod figures;
pub mod history;
pub mod slotting;
pub mod store;
mod store_sql;
pub mod write;

use twin_link::LinkMessage;
use twin_model::Site;
use twin_model::shifts::ClockRange;
use twin_record::Recording;

pub use collect::{Collector, LineFact};
pub use figures::{Facts, Report, report_of};

/// What to report on: a range of the site clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// Everything recorded.
    All,
    /// A clock range of the recording's first day (`to` ≤ `from` ends the next day).
    Clock(ClockRange),
    /// The shift of the site's calendar that starts at this time of the first day.
    Shift(u32),
}

/// Why no report came out.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A recording could not be read (names the file and what is wrong).
    #[error("{0}")]
    Recording(String),
    /// The recordings are of different layouts.
    #[error("{0} records layout {1:?}, the first recording {2:?}: report on one site at a time")]
    OtherSite(String, String, String),
    /// The range holds no data.
    #[error(
        "nothing recorded between {0} and {1} (the recordings cover {2}–{3}): choose a range inside that, or no range for everything"
    )]
    Empty(String, String, String, String),
}

/// Plays `paths` (in the order given) and computes the report for `range`, with the facts it
/// was computed from and the recorded site; `progress` gets the fraction done (by recorded
/// time).
pub fn from_recordings(
    paths: &[String],
    range: Range,
    mut progress: impl FnMut(f64),
) -> Result<(Report, Facts, Site), ReportError> {
    let mut recordings: Vec<Recording> = Vec::new();
    for p in paths {
        let r = Recording::open(p, None, |_| {}).map_err(|e| ReportError::Recording(e.to_string()))?;
        if let Some(first) = recordings.first()
            && r.header.layout_id != first.header.layout_id
        {
            return Err(ReportError::OtherSite(
                p.clone(),
                r.header.layout_name.clone(),
                first.header.layout_name.clone(),
            ));
        }
        recordings.push(r);
    }
    let Some(first) = recordings.first() else {
        return Err(ReportError::Recording("no recording given".to_owned()));
    };
    let site: Site = (*first.site).clone();
    let first_clock = recordings.iter().find_map(|r| r.clock_at(0)).map_or(0.0, f64::from);
    let last_clock =
        recordings.iter().rev().find_map(|r| r.clock_at(r.duration_ms)).map_or(first_clock, f64::from);
    let (from_s, to_s) = clock_range(&site, range, first_clock);
    let mut c = Collector::new(&site, from_s, to_s);
    let total: u64 = recordings.iter().map(|r| r.duration_ms.max(1)).sum();
    let mut done = 0u64;
    let (mut seen_from, mut seen_to) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in &recordings {
        let (state, mut cursor) = r.state_at(0).map_err(|e| ReportError::Recording(e.to_string()))?;
        let start = r.header.started_wall_ms;
        // The first keyframe's state, as messages (what the twin knew when recording began),
        // health first so the clock is set before the lines already done are counted.
        let mut first: Vec<LinkMessage> = state.messages().collect();
        first.sort_by_key(|m| !matches!(m, LinkMessage::Health { .. }));
        for m in &first {
            c.feed(m, start);
        }
        let mut last_progress = 0u64;
        r.advance(&mut cursor, r.duration_ms, |t, m: &LinkMessage| {
            if let Some(clock) = r.clock_at(t) {
                c.advance(f64::from(clock), start + t);
            }
            c.feed(m, start + t);
            if c.in_range() {
                seen_from = seen_from.min(c.ops.now());
                seen_to = seen_to.max(c.ops.now());
            }
            if t >= last_progress + 60_000 {
                last_progress = t;
                progress((done + t) as f64 / total as f64);
            }
        })
        .map_err(|e| ReportError::Recording(e.to_string()))?;
        done += r.duration_ms.max(1);
    }
    progress(1.0);
    c.finish();
    if !seen_from.is_finite() {
        let w = write::clock;
        let (a, b) =
            if from_s.is_finite() { (w(from_s), w(to_s)) } else { ("the start".into(), "the end".into()) };
        return Err(ReportError::Empty(a, b, w(first_clock), w(last_clock)));
    }
    let hours = ((seen_to - seen_from) / 3600.0).max(0.0);
    let facts = Facts::of(&c);
    let mut r = report_of(&site, &c.ops.config().kpi, &facts, hours);
    if !from_s.is_finite() {
        (r.from_s, r.to_s) = (seen_from, seen_to);
    }
    Ok((r, facts, site))
}

/// The clock range `[from, to)` of `range` on the day of `first_clock` (site clock seconds).
fn clock_range(site: &Site, range: Range, first_clock: f64) -> (f64, f64) {
    let day = (first_clock / 86_400.0).floor() * 86_400.0;
    match range {
        Range::All => (f64::NEG_INFINITY, f64::INFINITY),
        Range::Clock(r) => r.on_day(day),
        Range::Shift(a) => {
            let from = day + f64::from(a);
            (from, site.shifts.next_start_after(from).unwrap_or(f64::INFINITY))
        }
    }
}

/// The report for `range` from the history store at `url` (the site's rows; ranges are on the
/// day of its first row). Mis-picks and walking are not in the store: they read 0 and nothing.
pub fn from_store(url: &str, site: &Site, range: Range) -> Result<(Report, Facts), ReportError> {
    let mut store = store::open(url).map_err(ReportError::Recording)?;
    let all = store.read(&site.layout.name, -1e18, 1e18).map_err(ReportError::Recording)?;
    let first = all.lines.iter().map(|l| l.done_clock_s).fold(f64::INFINITY, f64::min);
    let last = all.lines.iter().map(|l| l.done_clock_s).fold(f64::NEG_INFINITY, f64::max);
    let w = write::clock;
    if !first.is_finite() {
        return Err(ReportError::Empty(
            "the start".into(),
            "the end".into(),
            "nothing".into(),
            format!("in {url}"),
        ));
    }
    let (from_s, to_s) = clock_range(site, range, first);
    let inside = |t: f64| t >= from_s && t < to_s;
    let zone = |n: &Option<String>| n.as_deref().and_then(|n| site.zone_index(n)).map(|z| z as u16);
    let picker = |n: &Option<String>| {
        n.as_deref().and_then(|n| site.layout.pickers.iter().position(|p| p.id == n)).map(|p| p as u16)
    };
    let lines: Vec<LineFact> = all
        .lines
        .iter()
        .filter(|l| inside(l.done_clock_s))
        // Ids past u32 were not written by picktwin: skipped, not wrapped onto another order.
        .filter_map(|l| Some((l, u32::try_from(l.order_id).ok()?, u32::try_from(l.line_id).ok()?)))
        .map(|(l, order, line_id)| LineFact {
            order,
            line_id,
            module: l
                .module_id
                .and_then(|id| site.module_by_id(twin_model::ModuleId(u32::try_from(id).ok()?)))
                .map_or(twin_link::NO_MODULE, |(i, _)| i),
            zone: zone(&l.zone),
            picker: picker(&l.picker),
            asked: l.asked.clamp(0, i32::from(u16::MAX)) as u16,
            confirmed: l.confirmed.clamp(0, i32::from(u16::MAX)) as u16,
            short: l.short,
            done_s: l.done_clock_s,
            lit_s: l.lit_clock_s,
            done_ms: l.done_ms.max(0) as u64,
        })
        .collect();
    if lines.is_empty() {
        return Err(ReportError::Empty(w(from_s), w(to_s), w(first), w(last)));
    }
    let orders = all
        .orders
        .iter()
        .map(|o| figures::OrderFact {
            priority: o.priority.clamp(0, 2) as u16,
            release_s: o.release_clock_s,
            done_s: Some(o.done_clock_s),
        })
        .collect();
    let mut downtime_s = vec![0.0; site.layout.controllers.len()];
    for i in &all.incidents {
        if let Some(c) = site.controller_index(&i.controller) {
            let end = i.ended_clock_s.unwrap_or(last).min(to_s);
            downtime_s[c] += (end - i.started_clock_s.max(from_s)).max(0.0);
        }
    }
    let seen_from = lines.iter().map(|l| l.done_s).fold(f64::INFINITY, f64::min);
    let seen_to = lines.iter().map(|l| l.done_s).fold(f64::NEG_INFINITY, f64::max);
    let facts =
        Facts { lines, orders, downtime_s, mispicks: None, walked_m: None, now_s: last, from_s, to_s };
    let hours = ((seen_to - seen_from) / 3600.0).max(0.0);
    let kpi = twin_ops::OpsConfig::for_site(site).kpi;
    let mut r = report_of(site, &kpi, &facts, hours);
    if !from_s.is_finite() {
        (r.from_s, r.to_s) = (seen_from, seen_to);
    }
    Ok((r, facts))
}
