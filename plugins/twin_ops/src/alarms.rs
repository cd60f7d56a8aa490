//! The alarm log: conditions (a controller offline or stale, a tripped host watchdog, a stuck
//! light) that raise and clear themselves, and events (shortage, mis-pick, Modbus exception)
//! that stay until acknowledged. One alarm per kind and place at a time; repeats count up.

use std::collections::VecDeque;

use twin_model::ModuleIndex;

/// What an alarm is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlarmKind {
    /// The controller's connection failed or dropped.
    ControllerOffline,
    /// The controller has not answered a complete poll for three intervals.
    ControllerStale,
    /// The controller reports its host watchdog tripped (status bit 1): lights were blanked.
    HostWatchdog,
    /// The controller answered with a Modbus exception.
    ModbusException,
    /// The controller reports another map version or module count: its data is refused.
    ControllerRefused,
    /// The controller's heartbeat stands still: its program is not running.
    ControllerFrozen,
    /// A block of the controller's map is missing: the data depending on it is not read.
    BlockMissing,
    /// A module has been lit longer than the threshold.
    StuckLight,
    /// A picker confirmed less than asked.
    Shortage,
    /// A button was pressed on a module that was not lit.
    MisPick,
    /// A site data source (the WMS database, the RTLS) cannot be read.
    SourceDown,
    /// A site data source has not delivered for longer than its limit.
    SourceStale,
    /// A site data source sent rows or messages the twin refused.
    SourceRejected,
    /// The feed (a gateway through a broker) sent payloads this twin refused: undecodable, too
    /// large, another wire version or layout, indices outside the layout.
    BadPayload,
    /// A recording or feed says messages were lost there (its subscriber fell behind): the
    /// state may be off until the next keyframe.
    DataLost,
}

impl AlarmKind {
    /// Short label.
    pub fn label(self) -> &'static str {
        match self {
            Self::ControllerOffline => "offline",
            Self::ControllerStale => "stale",
            Self::HostWatchdog => "watchdog",
            Self::ModbusException => "exception",
            Self::ControllerRefused => "refused",
            Self::ControllerFrozen => "frozen",
            Self::BlockMissing => "missing block",
            Self::StuckLight => "stuck light",
            Self::Shortage => "shortage",
            Self::MisPick => "mis-pick",
            Self::SourceDown => "source down",
            Self::SourceStale => "source stale",
            Self::SourceRejected => "refused input",
            Self::BadPayload => "bad payload",
            Self::DataLost => "data lost",
        }
    }

    /// Whether the alarm is a condition that clears itself (else an event to acknowledge).
    pub fn is_condition(self) -> bool {
        matches!(
            self,
            Self::ControllerOffline
                | Self::ControllerStale
                | Self::HostWatchdog
                | Self::StuckLight
                | Self::ControllerRefused
                | Self::ControllerFrozen
                | Self::BlockMissing
                | Self::SourceDown
                | Self::SourceStale
        )
    }

    /// Conditions that stop the twin from seeing the floor rank highest.
    pub fn severity(self) -> Severity {
        match self {
            Self::ControllerOffline
            | Self::HostWatchdog
            | Self::ControllerRefused
            | Self::ControllerFrozen
            | Self::SourceDown => Severity::Critical,
            Self::ControllerStale
            | Self::StuckLight
            | Self::ModbusException
            | Self::BlockMissing
            | Self::SourceStale
            | Self::SourceRejected
            | Self::BadPayload
            | Self::DataLost => Severity::Warning,
            Self::Shortage | Self::MisPick => Severity::Notice,
        }
    }
}

/// How urgent an alarm is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Floor events a supervisor follows up.
    Notice,
    /// Something degraded.
    Warning,
    /// The twin or the floor is blind.
    Critical,
}

/// Where an alarm is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    /// A controller (index in the layout).
    Controller(u16),
    /// A light module.
    Module(ModuleIndex),
    /// A site data source.
    Source(twin_link::SourceKind),
    /// The feed this twin reads (a gateway through a broker, a recording).
    Feed,
}

/// One alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// Unique id (for acknowledging).
    pub id: u64,
    /// Kind.
    pub kind: AlarmKind,
    /// Place.
    pub place: Place,
    /// Detail (reason, quantities).
    pub detail: String,
    /// Clock time raised (controller clock, seconds).
    pub raised_s: f64,
    /// Wall-clock time raised, milliseconds since the Unix epoch.
    pub raised_wall_ms: u64,
    /// Clock time the condition ended.
    pub cleared_s: Option<f64>,
    /// Acknowledged by an operator.
    pub acknowledged: bool,
    /// Times raised while already raised.
    pub repeats: u32,
}

impl Alarm {
    /// Whether it still needs attention: an active condition, or an unacknowledged event.
    pub fn is_open(&self) -> bool {
        if self.kind.is_condition() { self.cleared_s.is_none() } else { !self.acknowledged }
    }
}

/// Alarms, oldest first.
#[derive(Debug, Clone)]
pub struct AlarmLog {
    alarms: VecDeque<Alarm>,
    next_id: u64,
    cap: usize,
    generation: u64,
}

impl AlarmLog {
    /// A log keeping the newest `cap` alarms.
    pub fn with_capacity(cap: usize) -> Self {
        Self { alarms: VecDeque::new(), next_id: 1, cap: cap.max(1), generation: 0 }
    }

    /// Alarms, newest first.
    pub fn newest_first(&self) -> impl ExactSizeIterator<Item = &Alarm> + DoubleEndedIterator {
        self.alarms.iter().rev()
    }

    /// The `k`-th newest alarm.
    pub fn nth_newest(&self, k: usize) -> Option<&Alarm> {
        self.alarms.len().checked_sub(k + 1).and_then(|i| self.alarms.get(i))
    }

    /// Number of alarms kept.
    pub fn len(&self) -> usize {
        self.alarms.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.alarms.is_empty()
    }

    /// Changes so far.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Alarms needing attention.
    pub fn open_count(&self) -> usize {
        self.alarms.iter().filter(|a| a.is_open()).count()
    }

    /// The most severe open alarm's severity.
    pub fn worst_open(&self) -> Option<Severity> {
        self.alarms.iter().filter(|a| a.is_open()).map(|a| a.kind.severity()).max()
    }

    /// The raised (not cleared) alarm of this kind and place, if any.
    fn raised(&mut self, kind: AlarmKind, place: Place) -> Option<&mut Alarm> {
        self.alarms.iter_mut().rev().find(|a| {
            a.kind == kind
                && a.place == place
                && a.cleared_s.is_none()
                && (kind.is_condition() || !a.acknowledged)
        })
    }

    /// Raises an alarm; one already raised for the same kind and place counts a repeat instead.
    /// Returns its id.
    pub fn raise(&mut self, kind: AlarmKind, place: Place, detail: String, now_s: f64, wall_ms: u64) -> u64 {
        self.generation += 1;
        if let Some(a) = self.raised(kind, place) {
            a.repeats += 1;
            a.detail = detail;
            return a.id;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.alarms.push_back(Alarm {
            id,
            kind,
            place,
            detail,
            raised_s: now_s,
            raised_wall_ms: wall_ms,
            cleared_s: None,
            acknowledged: false,
            repeats: 0,
        });
        while self.alarms.len() > self.cap {
            // The oldest closed alarm goes first; if all are open, the oldest.
            let k = self.alarms.iter().position(|a| !a.is_open()).unwrap_or(0);
            self.alarms.remove(k);
        }
        id
    }

    /// Ends a condition. Returns whether one was raised.
    pub fn clear(&mut self, kind: AlarmKind, place: Place, now_s: f64) -> bool {
        let Some(a) = self.raised(kind, place) else { return false };
        a.cleared_s = Some(now_s);
        self.generation += 1;
        true
    }

    /// Raises a condition when it holds, clears it when it no longer does.
    pub fn set(
        &mut self,
        kind: AlarmKind,
        place: Place,
        holds: bool,
        detail: &str,
        now_s: f64,
        wall_ms: u64,
    ) {
        if holds {
            self.raise(kind, place, detail.to_owned(), now_s, wall_ms);
        } else {
            self.clear(kind, place, now_s);
        }
    }

    /// Acknowledges one alarm.
    pub fn acknowledge(&mut self, id: u64) {
        if let Some(a) = self.alarms.iter_mut().find(|a| a.id == id) {
            a.acknowledged = true;
            self.generation += 1;
        }
    }

    /// Acknowledges every alarm.
    pub fn acknowledge_all(&mut self) {
        for a in &mut self.alarms {
            a.acknowledged = true;
        }
        self.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_raise_once_and_clear() {
        let mut log = AlarmLog::with_capacity(10);
        let a = log.raise(AlarmKind::ControllerStale, Place::Controller(1), "x".into(), 10.0, 0);
        let b = log.raise(AlarmKind::ControllerStale, Place::Controller(1), "y".into(), 11.0, 0);
        assert_eq!(a, b);
        assert_eq!(log.len(), 1);
        assert_eq!(log.nth_newest(0).unwrap().repeats, 1);
        assert_eq!(log.open_count(), 1);
        // Acknowledging a condition does not close it; clearing does.
        log.acknowledge(a);
        assert_eq!(log.open_count(), 1);
        assert!(log.clear(AlarmKind::ControllerStale, Place::Controller(1), 20.0));
        assert!(!log.clear(AlarmKind::ControllerStale, Place::Controller(1), 21.0));
        assert_eq!(log.open_count(), 0);
        // Raised again after clearing: a new alarm, newest first.
        let c = log.raise(AlarmKind::ControllerStale, Place::Controller(1), "z".into(), 30.0, 0);
        assert_ne!(a, c);
        assert_eq!(log.newest_first().map(|a| a.id).collect::<Vec<_>>(), [c, a]);
    }

    #[test]
    fn events_stay_open_until_acknowledged() {
        let mut log = AlarmLog::with_capacity(10);
        let a = log.raise(AlarmKind::Shortage, Place::Module(5), "3 of 5".into(), 1.0, 0);
        log.raise(AlarmKind::MisPick, Place::Module(6), String::new(), 2.0, 0);
        assert_eq!(log.open_count(), 2);
        assert_eq!(log.worst_open(), Some(Severity::Notice));
        log.acknowledge(a);
        assert_eq!(log.open_count(), 1);
        // A new shortage at the same module after acknowledging is a new alarm.
        let b = log.raise(AlarmKind::Shortage, Place::Module(5), "1 of 2".into(), 3.0, 0);
        assert_ne!(a, b);
        log.raise(AlarmKind::ControllerOffline, Place::Controller(0), "refused".into(), 4.0, 0);
        assert_eq!(log.worst_open(), Some(Severity::Critical));
        log.acknowledge_all();
        assert_eq!(log.open_count(), 1, "the offline condition stays open until it clears");
    }

    #[test]
    fn cap_drops_closed_alarms_first() {
        let mut log = AlarmLog::with_capacity(2);
        let open = log.raise(AlarmKind::ControllerOffline, Place::Controller(0), String::new(), 0.0, 0);
        let closed = log.raise(AlarmKind::Shortage, Place::Module(1), String::new(), 1.0, 0);
        log.acknowledge(closed);
        let newest = log.raise(AlarmKind::Shortage, Place::Module(2), String::new(), 2.0, 0);
        assert_eq!(log.newest_first().map(|a| a.id).collect::<Vec<_>>(), [newest, open]);
    }
}
