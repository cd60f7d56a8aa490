//! The report's figures from the collected facts: totals, rates per zone and per picker, pick
//! accuracy, order cycle times and late orders by priority, controller downtime, lines per hour.
//! Definitions are docs/reports.md's; rates divide by the hours of the range the data covers.

use twin_model::codes::OrderStatus;

use crate::collect::Collector;

/// Lines and rate of one zone or picker.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    /// Zone or picker name.
    pub name: String,
    /// Lines completed.
    pub lines: u32,
    /// Units confirmed.
    pub units: u32,
    /// Lines per hour over the hours covered.
    pub per_h: f64,
    /// Metres walked (pickers, from their positions; None for zones).
    pub walked_m: Option<f64>,
}

/// Order cycle times and lateness of one priority.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// `normal`, `express`, `emergency`.
    pub priority: &'static str,
    /// Orders released in the range and done.
    pub done: u32,
    /// Release to done, seconds: median.
    pub p50_s: Option<f64>,
    /// 90th percentile.
    pub p90_s: Option<f64>,
    /// Done orders past their service level, plus open ones already past it at the end.
    pub late: u32,
}

/// A whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Site name.
    pub site: String,
    /// Range, site clock seconds.
    pub from_s: f64,
    /// End of the range (exclusive).
    pub to_s: f64,
    /// Hours of the range the data covered (from the first to the last clock seen in it).
    pub hours: f64,
    /// Lines completed.
    pub lines: u32,
    /// Units confirmed.
    pub units: u32,
    /// Orders done in the range.
    pub orders: u32,
    /// Lines picked short.
    pub short: u32,
    /// Presses on unlit modules.
    pub mispicks: u32,
    /// Per zone (layout order; zones without lines included).
    pub zones: Vec<Rate>,
    /// Per picker with lines (roster order).
    pub pickers: Vec<Rate>,
    /// By priority.
    pub cycles: Vec<Cycle>,
    /// Seconds each controller's data was not current: name, seconds.
    pub downtime: Vec<(String, f64)>,
    /// Lines per clock hour of the day: (hour, lines), hours with data.
    pub hourly: Vec<(u32, u32)>,
}

impl Report {
    /// Short lines / lines (0 without lines).
    pub fn short_rate(&self) -> f64 {
        ratio(self.short, self.lines)
    }

    /// Mis-picks / lines.
    pub fn mispick_rate(&self) -> f64 {
        ratio(self.mispicks, self.lines)
    }

    /// The hour with most lines.
    pub fn busiest_hour(&self) -> Option<(u32, u32)> {
        self.hourly.iter().copied().max_by_key(|&(h, n)| (n, std::cmp::Reverse(h)))
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 { 0.0 } else { f64::from(a) / f64::from(b) }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// An order as the figures need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderFact {
    /// 0 normal, 1 express, 2 emergency.
    pub priority: u16,
    /// Release, site clock seconds.
    pub release_s: f64,
    /// Done, site clock seconds (None: still open at the end).
    pub done_s: Option<f64>,
}

/// Everything the figures are computed from, whether played from recordings or read from the
/// history store: one rule for both.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Completed lines in the range.
    pub lines: Vec<crate::LineFact>,
    /// Orders seen.
    pub orders: Vec<OrderFact>,
    /// Seconds each controller's data was not current, by layout index.
    pub downtime_s: Vec<f64>,
    /// Presses on unlit modules (None: not known, e.g. from the store).
    pub mispicks: Option<u32>,
    /// Metres each picker walked, by roster index (None: not known).
    pub walked_m: Option<Vec<f64>>,
    /// The clock at the end.
    pub now_s: f64,
    /// The range.
    pub from_s: f64,
    /// End of the range (exclusive).
    pub to_s: f64,
}

impl Facts {
    /// What a collector gathered.
    pub fn of(c: &Collector) -> Self {
        let (from_s, to_s) = c.range();
        Self {
            lines: c.lines.clone(),
            orders: c
                .ops
                .orders
                .orders()
                .iter()
                .map(|o| OrderFact {
                    priority: o.priority,
                    release_s: f64::from(o.release_s),
                    // Done before the twin saw when: neither in a range nor late.
                    done_s: if o.status == OrderStatus::Done {
                        Some(o.done_s.unwrap_or(f64::NEG_INFINITY))
                    } else {
                        o.done_s
                    },
                })
                .collect(),
            downtime_s: c.downtime_s.clone(),
            mispicks: Some(c.mispicks()),
            walked_m: Some(c.walked_m.clone()),
            now_s: c.ops.now(),
            from_s,
            to_s,
        }
    }
}

/// The figures of `f` on `site`, with the service levels of `kpi`; `hours` is the time the
/// data covered.
pub fn report_of(site: &twin_model::Site, kpi: &twin_ops::KpiConfig, f: &Facts, hours: f64) -> Report {
    let (from_s, to_s) = (f.from_s, f.to_s);
    let per_h = |n: u32| if hours > 0.0 { f64::from(n) / hours } else { 0.0 };
    let mut zones: Vec<Rate> = site
        .layout
        .zones
        .iter()
        .map(|z| Rate { name: z.name.clone(), lines: 0, units: 0, per_h: 0.0, walked_m: None })
        .collect();
    let mut pickers: Vec<Rate> = site
        .layout
        .pickers
        .iter()
        .enumerate()
        .map(|(i, p)| Rate {
            name: p.name.clone(),
            lines: 0,
            units: 0,
            per_h: 0.0,
            walked_m: f.walked_m.as_ref().map(|w| w.get(i).copied().unwrap_or(0.0)),
        })
        .collect();
    let mut hourly = std::collections::BTreeMap::<u32, u32>::new();
    let (mut units, mut short) = (0u32, 0u32);
    // Lines the source never tied to a zone or a picker (an order done between two polls of a
    // WMS that forgets its picker) get a row of their own, so every table sums to the total.
    let mut unknown = [
        Rate { name: "(no zone)".into(), lines: 0, units: 0, per_h: 0.0, walked_m: None },
        Rate { name: "(no picker)".into(), lines: 0, units: 0, per_h: 0.0, walked_m: None },
    ];
    for l in &f.lines {
        units += u32::from(l.confirmed);
        short += u32::from(l.short);
        for (i, (table, k)) in [(&mut zones, l.zone), (&mut pickers, l.picker)].into_iter().enumerate() {
            let r = match k.and_then(|k| table.get_mut(usize::from(k))) {
                Some(r) => r,
                None => &mut unknown[i],
            };
            r.lines += 1;
            r.units += u32::from(l.confirmed);
        }
        *hourly.entry(((l.done_s / 3600.0).floor() as u32) % 24).or_default() += 1;
    }
    let [no_zone, no_picker] = unknown;
    zones.extend((no_zone.lines > 0).then_some(no_zone));
    pickers.extend((no_picker.lines > 0).then_some(no_picker));
    for r in zones.iter_mut().chain(pickers.iter_mut()) {
        r.per_h = per_h(r.lines);
    }
    pickers.retain(|p| p.lines > 0 || p.walked_m.is_some_and(|w| w > 0.0));
    let now = f.now_s;
    let mut cycles = Vec::new();
    let mut orders = 0;
    for (priority, name) in ["normal", "express", "emergency"].into_iter().enumerate() {
        let sla = kpi.sla(priority as u16);
        let mut times = Vec::new();
        let mut late = 0;
        for o in f.orders.iter().filter(|o| usize::from(o.priority.min(2)) == priority) {
            let released = o.release_s;
            match o.done_s {
                Some(done) if done >= from_s && done < to_s => {
                    orders += 1;
                    if released >= from_s {
                        times.push(done - released);
                    }
                    late += u32::from(done - released > sla);
                }
                None if released < to_s && now - released > sla => late += 1,
                _ => {}
            }
        }
        times.sort_by(f64::total_cmp);
        cycles.push(Cycle {
            priority: name,
            done: times.len() as u32,
            p50_s: percentile(&times, 0.5),
            p90_s: percentile(&times, 0.9),
            late,
        });
    }
    let downtime = site
        .layout
        .controllers
        .iter()
        .enumerate()
        .map(|(i, ctl)| (ctl.name.clone(), f.downtime_s.get(i).copied().unwrap_or(0.0)))
        .collect();
    Report {
        site: site.layout.name.clone(),
        from_s,
        to_s,
        hours,
        lines: f.lines.len() as u32,
        units,
        orders,
        short,
        mispicks: f.mispicks.unwrap_or(0),
        zones,
        pickers,
        cycles,
        downtime,
        hourly: hourly.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!((percentile(&v, 0.5), percentile(&v, 0.9)), (Some(5.0), Some(9.0)));
        assert_eq!(percentile(&[7.0], 0.9), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn lines_without_a_zone_or_picker_keep_the_tables_summing_to_the_total() {
        let site =
            twin_model::Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")).unwrap();
        let line = |zone, picker, confirmed| crate::LineFact {
            order: 1,
            line_id: 1,
            module: 0,
            zone,
            picker,
            asked: confirmed,
            confirmed,
            short: false,
            done_s: 21_700.0,
            lit_s: None,
            done_ms: 0,
        };
        let f = Facts {
            lines: vec![line(Some(0), Some(1), 2), line(None, None, 3), line(Some(0), None, 4)],
            from_s: 21_600.0,
            to_s: 25_200.0,
            ..Facts::default()
        };
        let r = report_of(&site, &twin_ops::KpiConfig::default(), &f, 2.0);
        let rows = |t: &[Rate]| t.iter().map(|r| (r.name.clone(), r.lines, r.units)).collect::<Vec<_>>();
        assert_eq!(
            rows(&r.zones),
            [("PICK".into(), 2, 6), ("PACK".into(), 0, 0), ("(no zone)".into(), 1, 3)]
        );
        assert_eq!(rows(&r.pickers), [("Ben".into(), 1, 2), ("(no picker)".into(), 2, 7)]);
        assert_eq!(r.pickers[1].per_h, 1.0, "two lines in two hours");
    }
}
