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

/// `HH:MM` → seconds of the day.
/// `HH:MM` (00:00 to 23:59) as seconds of the day.
pub fn parse_hhmm(t: &str) -> Option<u32> {
    let (h, m) = t.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 3600 + m * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

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
