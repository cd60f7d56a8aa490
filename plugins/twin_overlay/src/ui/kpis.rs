//! Shift KPIs: the figures, per-picker rates and live plots over the shift.

use egui::{Color32, RichText, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::{Frame, clock, duration, picker_name};

/// The KPI panel.
pub fn kpi_panel(ui: &mut Ui, frame: &Frame) {
    let k = frame.ops.kpis();
    ui.label(observed_text(k.shift_start_s, k.observed_h));
    egui::Grid::new("kpi_grid").num_columns(2).striped(true).show(ui, |ui| {
        let mut row = |name: &str, value: String| {
            ui.label(name);
            ui.label(RichText::new(value).strong().monospace());
            ui.end_row();
        };
        // Without an order source nothing is counted as if it were: orders say so, lines come
        // from the button presses.
        if frame.ops.sources.orders == crate::ops::SourceView::NotConfigured {
            row("orders / h", "no order source configured".into());
        } else {
            row("orders / h", format!("{:.1}  ({} done)", k.orders_per_h, k.orders_done));
        }
        row("lines / h", format!("{:.1}  ({} lines)", k.lines_per_h, k.lines));
        row("utilisation", k.utilisation.map_or("–".into(), |u| format!("{:.0} %", u * 100.0)));
        row("time per line", k.avg_line_s.map_or("–".into(), |s| format!("{s:.0} s")));
        row("short picks", format!("{:.2} %  ({})", k.short_rate * 100.0, k.short_lines));
        row("mis-picks", format!("{:.2} %  ({})", k.mispick_rate * 100.0, k.mispicks));
        row("open orders", k.open_orders.to_string());
    });
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!("{} on track", k.on_track)).color(Color32::from_rgb(90, 200, 110)).strong(),
        );
        ui.label(RichText::new(format!("{} late", k.late)).color(if k.late > 0 {
            Color32::from_rgb(240, 70, 60)
        } else {
            Color32::GRAY
        }));
    });
    series_plots(ui, frame, 110.0);
    if !k.per_picker.is_empty() {
        egui::CollapsingHeader::new("picks / h per picker").default_open(false).show(ui, |ui| {
            let mut rates = k.per_picker.clone();
            rates.sort_by(|a, b| b.per_h.total_cmp(&a.per_h));
            egui::Grid::new("picker_rates").striped(true).show(ui, |ui| {
                for r in rates {
                    ui.label(picker_name(frame.site, r.picker));
                    ui.label(format!("{:.1} / h", r.per_h));
                    ui.label(format!("{} lines", r.lines));
                    ui.end_row();
                }
            });
        });
    }
}

/// Orders/h and lines/h (rolling hour) and utilisation over the shift; x in hours of clock.
pub(crate) fn series_plots(ui: &mut Ui, frame: &Frame, height: f32) {
    let series = frame.ops.series();
    if series.len() < 2 {
        ui.label(RichText::new("plots start after two minutes of shift").weak());
        return;
    }
    let h = |t: f64| t / 3600.0;
    let pts = |f: &dyn Fn(&crate::ops::KpiPoint) -> f64| -> PlotPoints<'static> {
        series.iter().map(|p| [h(p.t), f(p)]).collect()
    };
    let hours = |mark: egui_plot::GridMark, _: &std::ops::RangeInclusive<f64>| clock(mark.value * 3600.0);
    Plot::new("rates_plot")
        .height(height)
        .legend(Legend::default())
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .include_y(0.0)
        .x_axis_formatter(hours)
        .show(ui, |p| {
            p.line(Line::new("orders / h", pts(&|q| q.orders_per_h)).color(Color32::from_rgb(90, 200, 110)));
            p.line(
                Line::new("lines / h ÷ 10", pts(&|q| q.lines_per_h / 10.0))
                    .color(Color32::from_rgb(120, 180, 240)),
            );
            p.line(Line::new("late", pts(&|q| f64::from(q.late))).color(Color32::from_rgb(240, 70, 60)));
        });
    Plot::new("util_plot")
        .height(height * 0.6)
        .legend(Legend::default())
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .include_y(0.0)
        .include_y(100.0)
        .x_axis_formatter(hours)
        .show(ui, |p| {
            p.line(
                Line::new("utilisation %", pts(&|q| q.utilisation * 100.0))
                    .color(Color32::from_rgb(240, 190, 60)),
            );
        });
}

/// "shift from 06:00:00 (20 min observed)"; "(just started)" before the first second (and for
/// a figure that is no number).
pub(crate) fn observed_text(shift_start_s: f64, observed_h: f64) -> String {
    let observed_s = observed_h * 3600.0;
    let observed = if observed_s.is_finite() && observed_s >= 1.0 {
        format!("{} observed", duration(observed_s))
    } else {
        "just started".to_owned()
    };
    format!("shift from {} ({observed})", clock(shift_start_s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_observed_time_always_has_a_number_or_says_why_not() {
        assert_eq!(observed_text(21_600.0, 0.0), "shift from 06:00:00 (just started)");
        assert_eq!(observed_text(21_600.0, f64::NAN), "shift from 06:00:00 (just started)");
        assert_eq!(observed_text(21_600.0, 0.5), "shift from 06:00:00 (30 min observed)");
        assert_eq!(observed_text(21_600.0, 5.0 / 3600.0), "shift from 06:00:00 (5 s observed)");
    }
}
