//! The report on disk: CSV tables for spreadsheets and one self-contained HTML page whose plots
//! are SVG drawn by plotters (no scripts, no network: it opens from a USB stick).

use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;
use twin_model::shifts::format_hhmm;

use crate::collect::LineFact;
use crate::figures::Report;
use crate::slotting::{Class, Slotting};

/// A CSV field, quoted when it needs to be.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

/// `HH:MM` of a site clock time (seconds since day 0's midnight; days beyond 0 as `+Nd`).
pub fn clock(s: f64) -> String {
    let s = s.max(0.0) as u64;
    let (day, hm) = (s / 86_400, format_hhmm(s));
    if day == 0 { hm } else { format!("{hm} +{day}d") }
}

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v:.0}"))
}

/// The CSV tables: name and content.
pub fn csv_tables(r: &Report, lines: &[LineFact], site: &twin_model::Site) -> Vec<(&'static str, String)> {
    let mut summary = String::from("figure,value\n");
    for (k, v) in [
        ("site", field(&r.site)),
        ("from", clock(r.from_s)),
        ("to", clock(r.to_s)),
        ("hours", format!("{:.2}", r.hours)),
        ("lines", r.lines.to_string()),
        ("units", r.units.to_string()),
        ("orders", r.orders.to_string()),
        ("short_lines", r.short.to_string()),
        ("short_rate", format!("{:.4}", r.short_rate())),
        ("mispicks", r.mispicks.to_string()),
        ("mispick_rate", format!("{:.4}", r.mispick_rate())),
        ("lines_per_h", format!("{:.1}", if r.hours > 0.0 { f64::from(r.lines) / r.hours } else { 0.0 })),
        ("busiest_hour", r.busiest_hour().map_or(String::new(), |(h, n)| format!("{h:02}:00 ({n} lines)"))),
    ] {
        let _ = writeln!(summary, "{k},{v}");
    }
    let rates = |rows: &[crate::figures::Rate], what: &str| {
        let walking = rows.iter().any(|r| r.walked_m.is_some());
        let mut s =
            format!("{what},lines,units,lines_per_h{}\n", if walking { ",walked_m,m_per_line" } else { "" });
        for z in rows {
            let _ = write!(s, "{},{},{},{:.1}", field(&z.name), z.lines, z.units, z.per_h);
            if let Some(w) = z.walked_m {
                let per = if z.lines > 0 { format!("{:.1}", w / f64::from(z.lines)) } else { String::new() };
                let _ = write!(s, ",{w:.0},{per}");
            }
            s.push('\n');
        }
        s
    };
    let mut cycles = String::from("priority,orders_done,cycle_p50_s,cycle_p90_s,late\n");
    for c in &r.cycles {
        let _ = writeln!(cycles, "{},{},{},{},{}", c.priority, c.done, opt(c.p50_s), opt(c.p90_s), c.late);
    }
    let mut downtime = String::from("controller,seconds_not_current\n");
    for (n, s) in &r.downtime {
        let _ = writeln!(downtime, "{},{s:.0}", field(n));
    }
    let mut hours = String::from("hour,lines\n");
    for (h, n) in &r.hourly {
        let _ = writeln!(hours, "{h:02}:00,{n}");
    }
    let mut rows = String::from("order,line,module,location,zone,picker,asked,confirmed,short,done\n");
    for l in lines {
        let m = site.modules.get(l.module as usize);
        let zone = l.zone.and_then(|z| site.layout.zones.get(usize::from(z))).map_or("", |z| z.name.as_str());
        let picker =
            l.picker.and_then(|p| site.layout.pickers.get(usize::from(p))).map_or("", |p| p.id.as_str());
        let _ = writeln!(
            rows,
            "{},{},{},{},{},{},{},{},{},{}",
            l.order,
            l.line_id,
            m.map_or(String::new(), |m| m.id.0.to_string()),
            field(m.map_or("", |m| &m.location)),
            field(zone),
            field(picker),
            l.asked,
            l.confirmed,
            u8::from(l.short),
            clock(l.done_s)
        );
    }
    vec![
        ("summary.csv", summary),
        ("zones.csv", rates(&r.zones, "zone")),
        ("pickers.csv", rates(&r.pickers, "picker")),
        ("cycles.csv", cycles),
        ("downtime.csv", downtime),
        ("hours.csv", hours),
        ("lines.csv", rows),
    ]
}

/// A bar chart as SVG text.
fn bars(title: &str, bars: &[(String, f64)], y_label: &str) -> String {
    let mut svg = String::new();
    {
        let width = (120 + 48 * bars.len() as u32).clamp(480, 1100);
        let root = SVGBackend::with_string(&mut svg, (width, 300)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let top = bars.iter().map(|b| b.1).fold(1.0, f64::max) * 1.1;
        let n = bars.len().max(1) as u32;
        let chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d((0u32..n).into_segmented(), 0.0..top);
        if let Ok(mut chart) = chart {
            let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
            let _ = chart
                .configure_mesh()
                .disable_x_mesh()
                .y_desc(y_label)
                .x_labels(bars.len().max(1))
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .draw();
            let style = RGBColor(0x2e, 0x7d, 0x32).filled();
            let _ = chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
                let x0 = SegmentValue::Exact(i as u32);
                let x1 = SegmentValue::Exact(i as u32 + 1);
                let mut r = Rectangle::new([(x0, 0.0), (x1, b.1)], style);
                r.set_margin(0, 0, 6, 6);
                r
            }));
        }
        let _ = root.present();
    }
    svg
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The report's range as the twin's and the replay's `--heat HH:MM-HH:MM`, when it is shorter
/// than a day.
pub fn heat_range(from_s: f64, to_s: f64) -> Option<String> {
    let span = to_s - from_s;
    let hm = |s: f64| format_hhmm(s.max(0.0) as u64);
    (span.is_finite() && (60.0..86_400.0).contains(&span)).then(|| format!("{}-{}", hm(from_s), hm(to_s)))
}

/// The HTML page.
pub fn html(r: &Report) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{site} {from}–{to}</title>\
         <style>body{{font-family:sans-serif;margin:2em;max-width:1150px}}table{{border-collapse:collapse;margin:1em 0}}\
         td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}th{{background:#eee}}td:first-child{{text-align:left}}</style>\
         </head><body><h1>{site}: {from}–{to}</h1><p>{hours:.2} h of data · generated by picktwin report</p>",
        site = esc(&r.site),
        from = clock(r.from_s),
        to = clock(r.to_s),
        hours = r.hours
    );
    if let Some(range) = heat_range(r.from_s, r.to_s) {
        let _ = write!(
            h,
            "<p>These picks on the floor: <code>picktwin replay RECORDING --heat {range}</code> \
             colours every module by them.</p>"
        );
    }
    let per_h = if r.hours > 0.0 { f64::from(r.lines) / r.hours } else { 0.0 };
    let _ = write!(
        h,
        "<table><tr><th>lines</th><th>units</th><th>orders</th><th>lines/h</th><th>short</th><th>mis-picks</th><th>busiest hour</th></tr>\
         <tr><td>{}</td><td>{}</td><td>{}</td><td>{per_h:.1}</td><td>{} ({:.1} %)</td><td>{} ({:.1} %)</td><td>{}</td></tr></table>",
        r.lines,
        r.units,
        r.orders,
        r.short,
        100.0 * r.short_rate(),
        r.mispicks,
        100.0 * r.mispick_rate(),
        r.busiest_hour().map_or("–".to_owned(), |(h, n)| format!("{h:02}:00 ({n} lines)"))
    );
    let hourly: Vec<(String, f64)> =
        r.hourly.iter().map(|(hr, n)| (format!("{hr:02}"), f64::from(*n))).collect();
    h.push_str(&bars("Lines per hour of the day", &hourly, "lines"));
    let zones: Vec<(String, f64)> = r.zones.iter().map(|z| (z.name.clone(), z.per_h)).collect();
    h.push_str(&bars("Lines per hour by zone", &zones, "lines/h"));
    let pickers: Vec<(String, f64)> = r.pickers.iter().map(|p| (p.name.clone(), p.per_h)).collect();
    h.push_str(&bars("Lines per hour by picker", &pickers, "lines/h"));
    h.push_str("<h2>Orders by priority</h2><table><tr><th>priority</th><th>done</th><th>cycle p50</th><th>cycle p90</th><th>late</th></tr>");
    let min = |v: Option<f64>| v.map_or("–".to_owned(), |s| format!("{:.1} min", s / 60.0));
    for c in &r.cycles {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.priority,
            c.done,
            min(c.p50_s),
            min(c.p90_s),
            c.late
        );
    }
    h.push_str(
        "</table><h2>Controllers: time not current</h2><table><tr><th>controller</th><th>minutes</th></tr>",
    );
    for (n, s) in &r.downtime {
        let _ = write!(h, "<tr><td>{}</td><td>{:.1}</td></tr>", esc(n), s / 60.0);
    }
    h.push_str(
        "</table><p>Tables as CSV beside this page. Definitions: docs/reports.md.</p></body></html>\n",
    );
    h
}

/// The re-slotting tables: every picked module with its class and distance, the swaps.
pub fn slotting_tables(a: &Slotting, site: &twin_model::Site) -> Vec<(&'static str, String)> {
    let loc = |m: u32| site.modules.get(m as usize).map_or(String::new(), |m| field(&m.location));
    let mut slots = String::from("module,location,picks,class,round_trip_m\n");
    for s in a.slots.iter().filter(|s| s.picks > 0) {
        let _ = writeln!(
            slots,
            "{},{},{},{:?},{:.1}",
            site.modules[s.module as usize].id.0,
            loc(s.module),
            s.picks,
            s.class,
            s.distance_m
        );
    }
    let mut swaps = String::from("step,move_from,move_to,walking_saved_m_so_far\n");
    for (k, w) in a.swaps.iter().enumerate() {
        let _ = writeln!(swaps, "{},{},{},{:.0}", k + 1, loc(w.fast), loc(w.near), w.saved_m);
    }
    vec![("slotting.csv", slots), ("swaps.csv", swaps)]
}

/// The page's re-slotting section.
fn slotting_html(a: &Slotting, site: &twin_model::Site) -> String {
    let mut h = String::from("<h2>Where the walking goes</h2>");
    let picks: u32 = a.slots.iter().map(|s| s.picks).sum();
    h.push_str(
        "<table><tr><th>class</th><th>modules</th><th>share of picks</th><th>mean round trip</th></tr>",
    );
    for class in [Class::A, Class::B, Class::C] {
        let of: Vec<&crate::slotting::Slot> = a.slots.iter().filter(|s| s.class == class).collect();
        let p: u32 = of.iter().map(|s| s.picks).sum();
        let mean = of.iter().map(|s| f64::from(s.distance_m)).sum::<f64>() / of.len().max(1) as f64;
        let _ = write!(
            h,
            "<tr><td>{class:?}</td><td>{}</td><td>{:.0} %</td><td>{mean:.1} m</td></tr>",
            of.len(),
            100.0 * f64::from(p) / f64::from(picks.max(1))
        );
    }
    let saved = a.walked_m - a.after_m;
    let _ = write!(
        h,
        "</table><p>{} orders walked {:.1} km as slotted; with the {} swaps below {:.1} km: <b>{:.1} km ({:.0} %) less</b> over this range.</p>",
        a.orders,
        a.walked_m / 1000.0,
        a.swaps.len(),
        a.after_m / 1000.0,
        saved / 1000.0,
        100.0 * saved / a.walked_m.max(1e-9)
    );
    h.push_str("<table><tr><th>step</th><th>move the articles at</th><th>to</th><th>saved so far</th></tr>");
    let loc = |m: u32| site.modules.get(m as usize).map_or(String::new(), |m| esc(&m.location));
    for (k, w) in a.swaps.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.0} m</td></tr>",
            k + 1,
            loc(w.fast),
            loc(w.near),
            w.saved_m
        );
    }
    h.push_str("</table><p>Estimated by replaying this range's orders through the simulator's walking paths; assumptions in docs/reports.md.</p>");
    h
}

/// Writes the CSV tables and `report.html` into `dir` (created); the files written.
pub fn write_all(
    dir: &Path,
    r: &Report,
    lines: &[LineFact],
    slotting: &Slotting,
    site: &twin_model::Site,
) -> Result<Vec<std::path::PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut out = Vec::new();
    let mut files = csv_tables(r, lines, site);
    files.extend(slotting_tables(slotting, site));
    let page = html(r).replace("</body></html>", &format!("{}</body></html>", slotting_html(slotting, site)));
    files.push(("report.html", page));
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        out.push(path);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_clock_times_are_written_plainly() {
        assert_eq!(field("A1, left"), "\"A1, left\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("FAST"), "FAST");
        assert_eq!(
            (clock(6.0 * 3600.0), clock(86_400.0 + 90.0)),
            ("06:00".to_owned(), "00:01 +1d".to_owned())
        );
        assert_eq!(heat_range(6.0 * 3600.0, 14.0 * 3600.0).as_deref(), Some("06:00-14:00"));
        assert_eq!(heat_range(22.0 * 3600.0, 30.0 * 3600.0).as_deref(), Some("22:00-06:00"));
        assert_eq!(heat_range(f64::NEG_INFINITY, f64::INFINITY), None, "everything: no clock range");
        assert_eq!(heat_range(0.0, 3.0 * 86_400.0), None, "days: no clock range");
        let svg = bars("t", &[("06".into(), 3.0), ("07".into(), 5.0)], "lines");
        assert!(svg.starts_with("<svg") && svg.contains("<rect"), "{}", &svg[..svg.len().min(200)]);
    }
}
