//! The site clock: the time of day every view, KPI and recording uses. It is the PTL
//! controllers' clock when they have one (the simulator's follows `--speed`), else the wall
//! clock (UTC time of day), and it does not move before the first good poll. Live twin, viewer
//! and replay all read it here.

use crate::reading::ControllerHealth;

/// Seconds in a day.
const DAY_S: u64 = 86_400;

/// The wall clock, milliseconds since the Unix epoch (0 if the system clock is before it): the
/// one reading of it that data ages, health reports and payload stamps use.
pub fn wall_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The latest clock of each controller that has been polled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteClock {
    /// By controller index; None until its first good poll.
    clocks: Vec<Option<u32>>,
}

impl SiteClock {
    /// Takes a controller's health report; reports before its first good poll carry no clock.
    pub fn report(&mut self, controller: u16, health: &ControllerHealth) {
        if health.polls == 0 {
            return;
        }
        let c = usize::from(controller);
        if c >= self.clocks.len() {
            self.clocks.resize(c + 1, None);
        }
        self.clocks[c] = Some(health.clock_s);
    }

    /// Seconds on the site clock now (`wall_ms`: milliseconds since the Unix epoch, the
    /// recording's in a replay). None before any controller was polled; a controller without a
    /// clock (it reads 0) gives the wall clock's time of day.
    pub fn now(&self, wall_ms: u64) -> Option<f64> {
        site_time(self.clocks.iter().flatten().copied(), wall_ms)
    }

    /// [`SiteClock::now`] of a whole health table (the ECS keeps one per controller), without
    /// keeping anything.
    pub fn now_of(health: &[ControllerHealth], wall_ms: u64) -> Option<f64> {
        site_time(health.iter().filter(|h| h.polls > 0).map(|h| h.clock_s), wall_ms)
    }
}

/// The rule: the latest controller clock; 0 (no clock) means the wall clock's time of day.
fn site_time(clocks: impl Iterator<Item = u32>, wall_ms: u64) -> Option<f64> {
    match clocks.max()? {
        0 => Some((wall_ms / 1000 % DAY_S) as f64),
        c => Some(f64::from(c)),
    }
}

/// A site-clock time as people read it: `HH:MM:SS`, with the day from the second day on.
pub fn clock_text(t: f64) -> String {
    let t = t.max(0.0) as u64;
    let (day, s) = (t / DAY_S, t % DAY_S);
    let hms = format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    if day > 0 { format!("day {} {hms}", day + 1) } else { hms }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polled(clock_s: u32) -> ControllerHealth {
        ControllerHealth { polls: 1, clock_s, ..Default::default() }
    }

    #[test]
    fn controller_clock_first_wall_clock_without_one_nothing_before_a_poll() {
        let mut c = SiteClock::default();
        assert_eq!(c.now(1_000), None);
        c.report(0, &ControllerHealth { clock_s: 99, ..Default::default() });
        assert_eq!(c.now(1_000), None, "no poll yet: no clock");
        c.report(1, &polled(0));
        // 2026-12-01 10:30:15 UTC.
        let wall = 1_796_121_015_000;
        assert_eq!(c.now(wall), Some(37_815.0), "a controller without a clock: wall time of day");
        c.report(0, &polled(6 * 3600));
        assert_eq!(c.now(wall), Some(21_600.0), "the controllers' clock wins");
        assert_eq!(SiteClock::now_of(&[polled(5), polled(9)], 0), Some(9.0), "the latest controller");
        assert_eq!(SiteClock::now_of(&[ControllerHealth::default()], 0), None);
        assert_eq!(
            (clock_text(3723.0), clock_text(86_400.0 + 60.0)),
            ("01:02:03".into(), "day 2 00:01:00".into())
        );
    }
}
