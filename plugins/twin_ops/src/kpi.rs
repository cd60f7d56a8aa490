//! Shift KPIs: orders, lines and picks per hour, picker utilisation, time per line, short-pick
//! and mis-pick rates, orders on track vs. late, and their series over the shift for the plots.
//!
//! Definitions (docs/overlay.md repeats them for the people who read the numbers):
//! - a shift starts at one of the site calendar's times (the layout's `shifts`: 06:00, 14:00 and
//!   22:00 by default) of the site clock; counts reset when the next starts. Rates divide by the hours observed
//!   in this shift (from its start, or from when the twin started if later);
//! - a *line* is an order line done on the order board (full or short); *picks/h per picker*
//!   credits it to the order's picker;
//! - *utilisation* = picker-seconds walking, picking or packing / picker-seconds present (not on
//!   break, not absent);
//! - *time per line* = from the module lighting to its confirmation, averaged over the lines
//!   whose module was seen lit (a line lit and confirmed between two polls has no time);
//! - *short-pick rate* = short lines / lines, among lines whose module was seen lit and
//!   confirmed; *mis-pick rate* = presses on unlit modules / lines;
//! - an order is *late* when its age (release to done, or to now while open) exceeds the
//!   service level for its priority (2 h normal, 30 min express, 15 min emergency by default).

use std::collections::VecDeque;

use super::orders::OrderBook;
use twin_model::ShiftCalendar;
use twin_model::codes::{OrderStatus, PickerState};

/// KPI settings.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiConfig {
    /// Service level (release to done, seconds) by priority: normal, express, emergency.
    pub sla_s: [f64; 3],
    /// When shifts start (the site's calendar; KPIs reset there).
    pub shifts: ShiftCalendar,
    /// Seconds of clock between points of the plotted series.
    pub sample_s: f64,
}

impl Default for KpiConfig {
    fn default() -> Self {
        Self { sla_s: [7200.0, 1800.0, 900.0], shifts: ShiftCalendar::default(), sample_s: 60.0 }
    }
}

impl KpiConfig {
    /// Start of the shift containing clock time `t` (seconds, day 0 starts at 0).
    pub fn shift_start(&self, t: f64) -> f64 {
        self.shifts.start_of(t)
    }

    /// Service level for a priority.
    pub fn sla(&self, priority: u16) -> f64 {
        self.sla_s[usize::from(priority.min(2))]
    }
}

/// Pickers busy and present right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PickerCounts {
    /// Walking, picking or packing.
    pub busy: u32,
    /// Not on break and not absent (idle included).
    pub present: u32,
}

impl PickerCounts {
    /// Counts pickers by their state registers (unknown states count as absent).
    pub fn of(states: impl IntoIterator<Item = u16>) -> Self {
        let mut c = Self::default();
        for s in states {
            match PickerState::from_register(s) {
                Some(PickerState::Walking | PickerState::Picking | PickerState::Packing) => {
                    c.busy += 1;
                    c.present += 1;
                }
                Some(PickerState::Idle) => c.present += 1,
                _ => {}
            }
        }
        c
    }
}

/// One point of the shift's series.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct KpiPoint {
    /// Clock time, seconds.
    pub t: f64,
    /// Orders done in the last hour (or per hour over a shorter observed time).
    pub orders_per_h: f64,
    /// Lines in the last hour, likewise.
    pub lines_per_h: f64,
    /// Utilisation since the previous point (0–1).
    pub utilisation: f64,
    /// Orders not done.
    pub open_orders: u32,
    /// Orders late (open past, or finished after, their service level) in this shift.
    pub late: u32,
}

/// A picker's lines this shift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PickerRate {
    /// Picker index.
    pub picker: u16,
    /// Lines credited.
    pub lines: u32,
    /// Lines per hour.
    pub per_h: f64,
}

/// The KPIs at one moment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KpiSnapshot {
    /// Clock time of the shift's start.
    pub shift_start_s: f64,
    /// Hours observed in this shift.
    pub observed_h: f64,
    /// Orders done this shift.
    pub orders_done: u32,
    /// Orders done per hour.
    pub orders_per_h: f64,
    /// Lines confirmed this shift.
    pub lines: u32,
    /// Lines per hour.
    pub lines_per_h: f64,
    /// Per picker, by index (only pickers with lines).
    pub per_picker: Vec<PickerRate>,
    /// Utilisation over the shift (0–1; None before any picker was present).
    pub utilisation: Option<f64>,
    /// Mean seconds from lighting to confirmation (None before the first timed line).
    pub avg_line_s: Option<f64>,
    /// Short lines / lines, among lines seen at their module.
    pub short_rate: f64,
    /// Mis-picks / lines.
    pub mispick_rate: f64,
    /// Short lines.
    pub short_lines: u32,
    /// Mis-picks.
    pub mispicks: u32,
    /// Orders of this shift within their service level (done in time, or open and not yet
    /// past it).
    pub on_track: u32,
    /// Orders of this shift past their service level.
    pub late: u32,
    /// Orders not done.
    pub open_orders: u32,
}

/// Accumulates one shift's KPIs.
#[derive(Debug, Clone, Default)]
pub struct KpiTracker {
    config: KpiConfig,
    started: bool,
    now: f64,
    shift_start: f64,
    observed_from: f64,
    orders_done: u32,
    lines: u32,
    short: u32,
    mispicks: u32,
    line_time_sum: f64,
    line_time_n: u32,
    per_picker: Vec<u32>,
    counts: PickerCounts,
    busy_s: f64,
    present_s: f64,
    /// Clock times of completions and lines in the last hour (for the rolling rates).
    recent_orders: VecDeque<f64>,
    recent_lines: VecDeque<f64>,
    series: Vec<KpiPoint>,
    next_sample: f64,
    sampled_busy: f64,
    sampled_present: f64,
}

impl KpiTracker {
    /// A tracker with these settings.
    pub fn new(config: KpiConfig) -> Self {
        Self { config, ..Self::default() }
    }

    /// Settings.
    pub fn config(&self) -> &KpiConfig {
        &self.config
    }

    /// The shift's series so far.
    pub fn series(&self) -> &[KpiPoint] {
        &self.series
    }

    /// Moves the clock to `now`: integrates picker time with the counts held since the last
    /// call, starts a new shift when one begins, samples the series.
    pub fn advance(&mut self, now: f64, counts: PickerCounts, book: &OrderBook) {
        if !self.started || (self.config.shift_start(now) != self.shift_start && now > self.now) {
            self.start_shift(now);
        }
        if now > self.now {
            let dt = now - self.now;
            self.busy_s += dt * f64::from(self.counts.busy);
            self.present_s += dt * f64::from(self.counts.present);
            self.now = now;
        }
        self.counts = counts;
        let hour_ago = self.now - 3600.0;
        while self.recent_orders.front().is_some_and(|&t| t < hour_ago) {
            self.recent_orders.pop_front();
        }
        while self.recent_lines.front().is_some_and(|&t| t < hour_ago) {
            self.recent_lines.pop_front();
        }
        if self.now >= self.next_sample {
            self.sample(book);
            // A jump in the clock (a paused simulator) skips points rather than filling them.
            while self.next_sample <= self.now {
                self.next_sample += self.config.sample_s.max(1.0);
            }
        }
    }

    fn start_shift(&mut self, now: f64) {
        let shift_start = self.config.shift_start(now);
        *self = Self {
            config: std::mem::take(&mut self.config),
            started: true,
            now,
            shift_start,
            observed_from: now.max(shift_start),
            counts: self.counts,
            next_sample: now,
            per_picker: std::mem::take(&mut self.per_picker),
            ..Self::default()
        };
        self.per_picker.fill(0);
    }

    fn sample(&mut self, book: &OrderBook) {
        let window = (self.now - self.observed_from).clamp(1.0, 3600.0) / 3600.0;
        let (open, late) = self.order_counts(book).1;
        let busy = self.busy_s - self.sampled_busy;
        let present = self.present_s - self.sampled_present;
        self.sampled_busy = self.busy_s;
        self.sampled_present = self.present_s;
        self.series.push(KpiPoint {
            t: self.now,
            orders_per_h: self.recent_orders.len() as f64 / window,
            lines_per_h: self.recent_lines.len() as f64 / window,
            utilisation: if present > 0.0 { busy / present } else { 0.0 },
            open_orders: open,
            late,
        });
    }

    /// Counts an order done now.
    pub fn order_done(&mut self) {
        self.orders_done += 1;
        self.recent_orders.push_back(self.now);
    }

    /// Counts lines done (from the order board), credited to a picker.
    pub fn lines(&mut self, n: u16, picker: Option<u16>) {
        self.lines += u32::from(n);
        for _ in 0..n {
            self.recent_lines.push_back(self.now);
        }
        if let Some(p) = picker {
            let p = usize::from(p);
            if p >= self.per_picker.len() {
                self.per_picker.resize(p + 1, 0);
            }
            self.per_picker[p] += u32::from(n);
        }
    }

    /// Counts a line seen from lighting to confirmation (module state), and whether it was short.
    pub fn line_time(&mut self, seconds: f64, short: bool) {
        self.short += u32::from(short);
        self.line_time_sum += seconds;
        self.line_time_n += 1;
    }

    /// Counts a mis-pick.
    pub fn mispick(&mut self) {
        self.mispicks += 1;
    }

    /// ((on track, late) among this shift's orders, (open, late among open and this shift)).
    fn order_counts(&self, book: &OrderBook) -> ((u32, u32), (u32, u32)) {
        let (mut on_track, mut late, mut open) = (0, 0, 0);
        for o in book.orders() {
            // A cancelled order is neither open work nor a delivery: not counted at all.
            if o.status == OrderStatus::Cancelled {
                continue;
            }
            let done = o.status == OrderStatus::Done;
            // This shift's orders: still open, or finished since the shift began.
            if done && o.done_s.is_none_or(|d| d < self.shift_start) {
                continue;
            }
            open += u32::from(!done);
            if o.age_s(self.now) > self.config.sla(o.priority) {
                late += 1;
            } else {
                on_track += 1;
            }
        }
        ((on_track, late), (open, late))
    }

    /// The KPIs now.
    pub fn snapshot(&self, book: &OrderBook) -> KpiSnapshot {
        let hours = (self.now - self.observed_from).max(0.0) / 3600.0;
        let per_h = |n: u32| if hours > 0.0 { f64::from(n) / hours } else { 0.0 };
        let ratio = |n: u32| if self.lines > 0 { f64::from(n) / f64::from(self.lines) } else { 0.0 };
        let ((on_track, late), (open, _)) = self.order_counts(book);
        KpiSnapshot {
            shift_start_s: self.shift_start,
            observed_h: hours,
            orders_done: self.orders_done,
            orders_per_h: per_h(self.orders_done),
            lines: self.lines,
            lines_per_h: per_h(self.lines),
            per_picker: self
                .per_picker
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(p, &n)| PickerRate { picker: p as u16, lines: n, per_h: per_h(n) })
                .collect(),
            utilisation: (self.present_s > 0.0).then(|| self.busy_s / self.present_s),
            avg_line_s: (self.line_time_n > 0).then(|| self.line_time_sum / f64::from(self.line_time_n)),
            short_rate: if self.line_time_n > 0 {
                f64::from(self.short) / f64::from(self.line_time_n)
            } else {
                0.0
            },
            mispick_rate: ratio(self.mispicks),
            short_lines: self.short,
            mispicks: self.mispicks,
            on_track,
            late,
            open_orders: open,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_boundaries() {
        let c = KpiConfig::default();
        let h = 3600.0;
        assert_eq!(c.shift_start(6.0 * h), 6.0 * h);
        assert_eq!(c.shift_start(13.99 * h), 6.0 * h);
        assert_eq!(c.shift_start(14.0 * h), 14.0 * h);
        assert_eq!(c.shift_start(23.0 * h), 22.0 * h);
        // 03:00 on day 1 belongs to day 0's night shift.
        assert_eq!(c.shift_start(27.0 * h), 22.0 * h);
        assert_eq!(c.shift_start(2.0 * h), -2.0 * h);
        assert_eq!(c.sla(0), 7200.0);
        assert_eq!(c.sla(9), 900.0);
    }
}
