//! The pick heatmap: how many lines each module was picked for within a window (the last
//! hour, this shift, or a clock range as a report's), as levels the floor colours modules by.
//! From the model's confirmed picks (those the twin saw light and confirm), so live and replay
//! agree.

use twin_model::shifts::ClockRange;

use super::Ops;

/// Which picks the heatmap counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeatWindow {
    /// The last hour of the site clock.
    LastHour,
    /// Since the current shift started.
    Shift,
    /// A clock range of the day, as a report's `--from`/`--to`: its latest occurrence that has
    /// started.
    Clock(ClockRange),
}

impl HeatWindow {
    /// Words for the legend: "last hour", "this shift", "06:00–08:00".
    pub fn label(self) -> String {
        match self {
            Self::LastHour => "last hour".into(),
            Self::Shift => "this shift".into(),
            Self::Clock(range) => range.label(),
        }
    }

    /// The window `[start, end)` on the site clock, seconds, at the model's clock.
    pub fn bounds(self, ops: &Ops) -> (f64, f64) {
        match self {
            Self::LastHour => (ops.now() - 3600.0, f64::INFINITY),
            Self::Shift => (ops.kpis().shift_start_s, f64::INFINITY),
            Self::Clock(range) => range.latest_by(ops.now()),
        }
    }
}

/// Picks per module (by index, `modules` long) within the window; picks of modules past the
/// layout are skipped. Counts what the model keeps (`OpsConfig::max_picks`, 20,000 picks).
pub fn heat_counts(ops: &Ops, modules: usize, window: HeatWindow) -> Vec<u32> {
    let (from, to) = window.bounds(ops);
    let mut counts = vec![0u32; modules];
    for p in ops.picks().take_while(|p| p.at_s >= from).filter(|p| p.at_s < to) {
        if let Some(c) = counts.get_mut(p.module as usize) {
            *c += 1;
        }
    }
    counts
}

/// Levels 0–255 for the floor: 0 for a module never picked in the window, else 1 + its share
/// of the busiest module's count (so one pick is never invisible); and that busiest count.
pub fn heat_levels(counts: &[u32]) -> (Vec<u8>, u32) {
    let max = counts.iter().copied().max().unwrap_or(0);
    let level =
        |c: u32| if c == 0 { 0 } else { (1 + (254 * u64::from(c) / u64::from(max)) as u32).min(255) as u8 };
    (counts.iter().map(|&c| level(c)).collect(), max)
}

#[cfg(test)]
mod tests {
    use twin_link::ModuleReading;
    use twin_model::codes::ModuleState;

    use super::*;
    use crate::{OpsConfig, PickerCounts};

    /// A module lit and confirmed at clock `t` (the path a real pick takes through the model).
    fn pick(ops: &mut Ops, m: u32, t: f64) {
        ops.advance(t, 0, PickerCounts::default());
        let lit = ModuleReading { state: ModuleState::Lit as u16, quantity: 2, job: 7, ..Default::default() };
        ops.module(m, &lit);
        ops.advance(t + 1.0, 0, PickerCounts::default());
        let done = ModuleReading {
            state: ModuleState::Confirmed as u16,
            confirmed_quantity: 2,
            press_count: 1,
            ..lit
        };
        ops.module(m, &done);
    }

    #[test]
    fn counts_follow_the_window_and_levels_scale_to_the_busiest() {
        let mut ops = Ops::new(OpsConfig::default());
        for (m, t) in
            [(3, 7.0 * 3600.0), (3, 9.0 * 3600.0), (3, 9.2 * 3600.0), (5, 9.5 * 3600.0), (9, 8.0 * 3600.0)]
        {
            pick(&mut ops, m, t);
        }
        ops.advance(9.9 * 3600.0, 0, PickerCounts::default());
        ops.refresh();
        let hour = heat_counts(&ops, 8, HeatWindow::LastHour);
        assert_eq!(
            hour,
            [0, 0, 0, 2, 0, 1, 0, 0],
            "module 9 is past the layout, 7:00 and 8:00 out of the hour"
        );
        let shift = heat_counts(&ops, 10, HeatWindow::Shift);
        assert_eq!(shift.iter().sum::<u32>(), 5, "the 06:00 shift holds all five");
        let morning = HeatWindow::Clock(ClockRange { from_s: 6 * 3600, to_s: 8 * 3600 + 1800 });
        let c = heat_counts(&ops, 10, morning);
        // Module 9's pick came after 09:30 on the model's clock (which never runs backwards).
        assert_eq!((c[3], c[5], c[9]), (1, 0, 0), "07:00 in 06:00–08:30; 09:00 and later not");
        assert_eq!(morning.label(), "06:00–08:30");
        let late = HeatWindow::Clock(ClockRange { from_s: 22 * 3600, to_s: 7 * 3600 + 1800 });
        assert_eq!(late.bounds(&ops), (-2.0 * 3600.0, 7.5 * 3600.0), "last night's, past midnight");
        assert_eq!(heat_counts(&ops, 10, late)[3], 1);
        let (levels, max) = heat_levels(&hour);
        assert_eq!((max, levels[3], levels[5], levels[0]), (2, 255, 128, 0));
        assert_eq!(heat_levels(&[0, 0]), (vec![0, 0], 0));
    }
}
