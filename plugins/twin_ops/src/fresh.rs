//! How old the data on screen is, for the whole floor: every controller's last complete poll
//! against three of its poll intervals, and, for a twin fed through a broker, the feed's last
//! good payload against its own limit. One rule for the top bar, the kiosk's banner and the
//! greyed floor, so a frozen source can never look healthy anywhere.

use twin_link::ControllerHealth;
use twin_model::Site;

/// A feed between the controllers and this twin (a gateway through a broker): when its last
/// good payload arrived and how old that may get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedAge {
    /// What the feed is ("broker mqtt://...").
    pub label: String,
    /// Wall clock of its last good payload (ms since the Unix epoch); None: nothing yet.
    pub last_good_ms: Option<u64>,
    /// Older than this is stale (3× the gateway's keyframe period by default).
    pub stale_after_ms: u64,
}

/// The floor's data age.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Freshness {
    /// The oldest data on screen: the earliest of the controllers' last good polls (and the
    /// feed's last payload), ms since the Unix epoch; None before anything arrived.
    pub last_ms: Option<u64>,
    /// Its age now.
    pub age_ms: Option<u64>,
    /// What is past its limit: controller names, or the feed's label.
    pub stale: Vec<String>,
}

impl Freshness {
    /// Whether anything on screen is past its limit.
    pub fn is_stale(&self) -> bool {
        !self.stale.is_empty()
    }

    /// "data age 0.4 s", "no data yet".
    pub fn age_text(&self) -> String {
        self.age_ms.map_or("no data yet".to_owned(), |a| format!("data age {:.1} s", a as f64 / 1000.0))
    }
}

/// A controller's data is stale past three of its poll intervals (as the link's own rule),
/// measured here from its last good poll so a link that stopped reporting ages too.
pub const STALE_POLLS: u64 = 3;

/// How a controller's staleness is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judge {
    /// Live: by the age of its last good poll (and the link's own flags).
    Age,
    /// A replay: by the flags the link recorded at the time (health reports are thinned to
    /// one per 10 s in recordings, so their age says nothing about the data then).
    Recorded,
}

/// Whether one controller's data (polled every `poll_interval_ms`) is past its limit at wall
/// time `now_ms`: marked stale or frozen by the link, or (live) older than [`STALE_POLLS`] polls.
pub fn is_stale(poll_interval_ms: u32, h: &ControllerHealth, now_ms: u64, judge: Judge) -> bool {
    let limit = STALE_POLLS * u64::from(poll_interval_ms.max(1));
    let old = judge == Judge::Age && now_ms.saturating_sub(h.last_good_poll_ms) > limit;
    h.stale || h.frozen || old
}

/// Whether a controller's data is current at `now_ms`: connected, polled at least once, and
/// not past its limit ([`is_stale`]); what the gateway's Sparkplug devices are alive by.
pub fn is_current(poll_interval_ms: u32, h: &ControllerHealth, now_ms: u64) -> bool {
    h.connection == twin_link::ConnectionState::Connected
        && h.last_good_poll_ms != 0
        && !is_stale(poll_interval_ms, h, now_ms, Judge::Age)
}

/// The floor's freshness at wall time `now_ms` from the controllers' health and the feed.
pub fn freshness(
    site: &Site,
    health: &[ControllerHealth],
    now_ms: u64,
    feed: Option<&FeedAge>,
    judge: Judge,
) -> Freshness {
    let mut f = Freshness::default();
    let mut oldest: Option<u64> = None;
    for (c, h) in site.layout.controllers.iter().zip(health) {
        if h.last_good_poll_ms == 0 {
            continue;
        }
        oldest = Some(oldest.map_or(h.last_good_poll_ms, |o| o.min(h.last_good_poll_ms)));
        if is_stale(c.poll_interval_ms, h, now_ms, judge) {
            f.stale.push(c.name.clone());
        }
    }
    if let Some(feed) = feed {
        match feed.last_good_ms {
            Some(t) => {
                oldest = Some(oldest.map_or(t, |o| o.min(t)));
                if now_ms.saturating_sub(t) > feed.stale_after_ms {
                    f.stale.push(feed.label.clone());
                }
            }
            None => oldest = None,
        }
    }
    f.last_ms = oldest;
    f.age_ms = oldest.map(|t| now_ms.saturating_sub(t));
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use twin_link::ConnectionState;

    fn site() -> Site {
        Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")).unwrap()
    }

    fn polled(at: u64) -> ControllerHealth {
        ControllerHealth {
            connection: ConnectionState::Connected,
            last_good_poll_ms: at,
            ..Default::default()
        }
    }

    #[test]
    fn data_older_than_three_polls_is_stale_even_if_the_link_says_nothing() {
        let s = site();
        // demo.ron polls ptl-1 every 200 ms: 600 ms is the limit.
        let f = freshness(&s, &[polled(10_000)], 10_400, None, Judge::Age);
        assert_eq!((f.age_ms, f.is_stale(), f.age_text().as_str()), (Some(400), false, "data age 0.4 s"));
        // The health report still says fresh, but it is 5 s old: the link (or feed) froze.
        let f = freshness(&s, &[polled(10_000)], 15_000, None, Judge::Age);
        assert_eq!((f.last_ms, f.stale.as_slice()), (Some(10_000), ["ptl-1".to_owned()].as_slice()));
        assert_eq!(
            freshness(&s, &[ControllerHealth::default()], 1, None, Judge::Age).age_text(),
            "no data yet"
        );
        // A replay judges by what the link recorded: a thinned 5 s old report is not stale...
        assert!(!freshness(&s, &[polled(10_000)], 15_000, None, Judge::Recorded).is_stale());
        // ... a report the link marked stale is.
        let stale = ControllerHealth { stale: true, ..polled(10_000) };
        assert!(freshness(&s, &[stale], 10_100, None, Judge::Recorded).is_stale());
    }

    #[test]
    fn a_silent_feed_is_stale_whatever_the_health_it_relayed_last() {
        let s = site();
        let feed = FeedAge { label: "broker".into(), last_good_ms: Some(9_000), stale_after_ms: 30_000 };
        let f = freshness(&s, &[polled(10_000)], 10_100, Some(&feed), Judge::Age);
        assert_eq!((f.last_ms, f.is_stale()), (Some(9_000), false));
        let f = freshness(&s, &[polled(10_000)], 40_000, Some(&feed), Judge::Age);
        assert_eq!(f.stale, ["ptl-1".to_owned(), "broker".to_owned()]);
        let waiting = FeedAge { last_good_ms: None, ..feed };
        assert_eq!(freshness(&s, &[polled(10_000)], 10_100, Some(&waiting), Judge::Age).age_ms, None);
    }
}
