//! The site's shift calendar: the times of day shifts start (the layout's `shifts`, default
//! 06:00, 14:00 and 22:00). Shift KPIs reset and recordings rotate at these times of the site
//! clock; both ask this calendar.

/// Seconds in a day.
const DAY_S: u32 = 86_400;

/// The layout's default shift starts.
pub const DEFAULT_SHIFTS: [&str; 3] = ["06:00", "14:00", "22:00"];

/// Times of day shifts start, ascending; empty means one "shift" per day from midnight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftCalendar {
    starts_s: Vec<u32>,
}

impl Default for ShiftCalendar {
    fn default() -> Self {
        Self::from_hours(&[6, 14, 22])
    }
}

impl ShiftCalendar {
    /// Shifts starting on the full hours given (taken modulo 24).
    pub fn from_hours(hours: &[u32]) -> Self {
        let mut starts_s: Vec<u32> = hours.iter().map(|h| h % 24 * 3600).collect();
        starts_s.sort_unstable();
        starts_s.dedup();
        Self { starts_s }
    }

    /// Shifts from `HH:MM` texts; the error names the index of the first bad or repeated one
    /// and what is wrong with it.
    pub fn parse<S: AsRef<str>>(texts: &[S]) -> Result<Self, (usize, String)> {
        let mut starts_s = Vec::with_capacity(texts.len());
        for (i, t) in texts.iter().enumerate() {
            let t = t.as_ref();
            let s = parse_hhmm(t)
                .ok_or_else(|| (i, format!("bad shift start {t:?}: expected HH:MM from 00:00 to 23:59")))?;
            if starts_s.contains(&s) {
                return Err((i, format!("shift start {t:?} is listed twice")));
            }
            starts_s.push(s);
        }
        starts_s.sort_unstable();
        Ok(Self { starts_s })
    }

    /// Start times, seconds of the day, ascending.
    pub fn starts_s(&self) -> &[u32] {
        &self.starts_s
    }

    /// Clock time (seconds, day 0 from 0) at which the shift containing `t` started.
    pub fn start_of(&self, t: f64) -> f64 {
        let day_s = f64::from(DAY_S);
        let day = (t / day_s).floor();
        let in_day = t - day * day_s;
        match self.starts_s.iter().rev().find(|&&s| f64::from(s) <= in_day) {
            Some(&s) => day * day_s + f64::from(s),
            None => match self.starts_s.last() {
                // Before the first start of the day: the previous day's last shift.
                Some(&last) => (day - 1.0) * day_s + f64::from(last),
                None => day * day_s,
            },
        }
    }

    /// The first shift start after `t` (clock seconds), None for a calendar without starts.
    pub fn next_start_after(&self, t: f64) -> Option<f64> {
        let day = (t / f64::from(DAY_S)).floor() * f64::from(DAY_S);
        let today = self.starts_s.iter().map(|&s| day + f64::from(s));
        let tomorrow = self.starts_s.iter().map(|&s| day + f64::from(DAY_S + s));
        today.chain(tomorrow).find(|&s| s > t)
    }

    /// A number that changes exactly when a new shift starts (for rotating files): shifts are
    /// counted from day 0's first.
    pub fn index_of(&self, t: u32) -> i64 {
        let n = self.starts_s.len().max(1) as i64;
        let day = i64::from(t / DAY_S);
        let in_day = t % DAY_S;
        match self.starts_s.iter().rposition(|&s| s <= in_day) {
            Some(k) => day * n + k as i64,
            None if self.starts_s.is_empty() => day,
            None => day * n - 1,
        }
    }
}

/// `HH:MM` (00:00 to 23:59) as seconds of the day.
pub fn parse_hhmm(t: &str) -> Option<u32> {
    let (h, m) = t.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 3600 + m * 60)
}

/// Seconds of the day (taken modulo a day) as `HH:MM`: [`parse_hhmm`]'s inverse.
pub fn format_hhmm(s: u64) -> String {
    let s = s % u64::from(DAY_S);
    format!("{:02}:{:02}", s / 3600, s / 60 % 60)
}

/// A clock range of the day, `[from_s, to_s)` in seconds since midnight; `to_s` ≤ `from_s`
/// ends the next day (a night range, or a whole day when equal). A report's `--from`/`--to` and
/// the heatmap's window both are one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClockRange {
    /// Start, seconds since midnight.
    pub from_s: u32,
    /// End, seconds since midnight.
    pub to_s: u32,
}

impl ClockRange {
    /// `HH:MM-HH:MM`.
    pub fn parse(t: &str) -> Option<Self> {
        let (a, b) = t.split_once('-')?;
        Some(Self { from_s: parse_hhmm(a)?, to_s: parse_hhmm(b)? })
    }

    /// Its length, seconds.
    pub fn len_s(self) -> u32 {
        if self.to_s > self.from_s { self.to_s - self.from_s } else { self.to_s + DAY_S - self.from_s }
    }

    /// `[start, end)` on the clock for the day whose midnight is `day_s`.
    pub fn on_day(self, day_s: f64) -> (f64, f64) {
        let start = day_s + f64::from(self.from_s);
        (start, start + f64::from(self.len_s()))
    }

    /// Its latest occurrence that has started by clock time `now`.
    pub fn latest_by(self, now: f64) -> (f64, f64) {
        let day = (now / f64::from(DAY_S)).floor() * f64::from(DAY_S);
        let today = self.on_day(day);
        if today.0 <= now { today } else { self.on_day(day - f64::from(DAY_S)) }
    }

    /// "06:00–08:30".
    pub fn label(self) -> String {
        format!("{}–{}", format_hhmm(self.from_s.into()), format_hhmm(self.to_s.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_ranges_and_next_starts() {
        let morning = ClockRange::parse("06:00-08:30").unwrap();
        assert_eq!((morning.from_s, morning.to_s, morning.len_s()), (21_600, 30_600, 9_000));
        assert_eq!(morning.on_day(86_400.0), (108_000.0, 117_000.0));
        assert_eq!(morning.label(), "06:00–08:30");
        let night = ClockRange::parse("22:00-06:00").unwrap();
        assert_eq!(night.latest_by(3600.0), (-7_200.0, 21_600.0), "01:00: last night's");
        assert_eq!(night.latest_by(23.0 * 3600.0), (79_200.0, 108_000.0), "23:00: tonight's");
        assert_eq!(ClockRange { from_s: 0, to_s: 0 }.len_s(), 86_400, "equal ends: a whole day");
        assert_eq!(ClockRange::parse("06:00"), None);
        assert_eq!(ClockRange::parse("06:00-24:00"), None);
        assert_eq!(format_hhmm(86_400 + 3_660), "01:01");
        let s = ShiftCalendar::default();
        assert_eq!(s.next_start_after(6.0 * 3600.0), Some(14.0 * 3600.0));
        assert_eq!(s.next_start_after(23.0 * 3600.0), Some(30.0 * 3600.0), "tomorrow's 06:00");
        assert_eq!(ShiftCalendar::from_hours(&[]).next_start_after(0.0), None);
    }

    #[test]
    fn shift_start_and_index() {
        let s = ShiftCalendar::default();
        assert_eq!(s.start_of(7.0 * 3600.0), 6.0 * 3600.0);
        assert_eq!(s.start_of(23.0 * 3600.0), 22.0 * 3600.0);
        assert_eq!(s.start_of(86_400.0 + 3600.0), 22.0 * 3600.0, "01:00 next day: the night shift");
        assert_eq!(s.index_of(6 * 3600), 0);
        assert_eq!(s.index_of(14 * 3600 - 1), 0);
        assert_eq!(s.index_of(14 * 3600), 1);
        assert_eq!(s.index_of(23 * 3600), 2);
        assert_eq!(s.index_of(86_400 + 3600), 2, "01:00 next day: still the night shift");
        assert_eq!(s.index_of(86_400 + 6 * 3600), 3);
        let none = ShiftCalendar::parse::<&str>(&[]).unwrap();
        assert_eq!((none.start_of(90_000.0), none.index_of(90_000)), (86_400.0, 1));
    }

    #[test]
    fn parses_hours_and_minutes_and_says_what_is_wrong() {
        let s = ShiftCalendar::parse(&["22:30", "06:00", "14:15"]).unwrap();
        assert_eq!(s.starts_s(), [6 * 3600, 14 * 3600 + 900, 22 * 3600 + 1800]);
        assert_eq!(ShiftCalendar::parse(&DEFAULT_SHIFTS).unwrap(), ShiftCalendar::default());
        assert_eq!(ShiftCalendar::parse(&["06:00", "24:00"]).unwrap_err().0, 1);
        assert_eq!(ShiftCalendar::parse(&["6:00"]).unwrap_err().0, 0);
        let (i, why) = ShiftCalendar::parse(&["06:00", "06:00"]).unwrap_err();
        assert_eq!((i, why.as_str()), (1, "shift start \"06:00\" is listed twice"));
    }
}
