//! What the link says about controllers, as alarms: offline, refused (wrong map), stale (with
//! the data's age), frozen heartbeat, missing blocks, host watchdog, Modbus exceptions.

use twin_link::Block;

use super::*;

const BLOCKS: [Block; 10] = [
    Block::Header,
    Block::Commands,
    Block::Status,
    Block::ConfirmLatch,
    Block::ShortageLatch,
    Block::Online,
    Block::Changes,
    Block::ChangeGroups,
    Block::Pickers,
    Block::Orders,
];

/// The names of the blocks a health report lists as missing.
pub fn missing_names(h: &ControllerHealth) -> String {
    let names: Vec<&str> = BLOCKS.iter().filter(|b| h.is_missing(**b)).map(|b| b.name()).collect();
    names.join(", ")
}

impl Ops {
    fn seen(&mut self, c: u16) -> &mut ControllerSeen {
        let i = usize::from(c);
        if i >= self.controllers.len() {
            self.controllers.resize(i + 1, ControllerSeen::default());
        }
        &mut self.controllers[i]
    }

    /// A controller's health report.
    pub fn health(&mut self, c: u16, h: &ControllerHealth) {
        let seen = *self.seen(c);
        let place = Place::Controller(c);
        let (now, wall) = (self.now, self.wall_ms);
        if h.connection != seen.connection {
            match h.connection {
                ConnectionState::Disconnected => {
                    self.alarms.raise(AlarmKind::ControllerOffline, place, "not answering".into(), now, wall);
                }
                ConnectionState::Connected => {
                    self.alarms.clear(AlarmKind::ControllerOffline, place, now);
                }
                ConnectionState::Refused | ConnectionState::Connecting => {}
            }
            let refused = h.connection == ConnectionState::Refused;
            let detail = "map version or module count differ from the layout: data not applied";
            if refused != (seen.connection == ConnectionState::Refused) {
                self.alarms.set(AlarmKind::ControllerRefused, place, refused, detail, now, wall);
            }
        }
        if h.stale != seen.stale {
            let age = h
                .age_ms(wall)
                .map_or("never read".to_owned(), |ms| format!("data {:.1} s old", ms as f64 / 1000.0));
            let detail = format!("{age}: no complete read for three poll intervals");
            self.alarms.set(AlarmKind::ControllerStale, place, h.stale, &detail, now, wall);
        }
        if h.frozen != seen.frozen {
            let detail = "heartbeat stands still: the controller's program is not running";
            self.alarms.set(AlarmKind::ControllerFrozen, place, h.frozen, detail, now, wall);
        }
        if h.missing_blocks != seen.missing_blocks {
            let detail = format!("missing block(s): {}", missing_names(h));
            self.alarms.set(AlarmKind::BlockMissing, place, h.missing_blocks != 0, &detail, now, wall);
        }
        let watchdog = h.status & 0b10 != 0;
        if watchdog != seen.watchdog {
            let detail = "host watchdog tripped: lights blanked";
            self.alarms.set(AlarmKind::HostWatchdog, place, watchdog, detail, now, wall);
        }
        *self.seen(c) = ControllerSeen {
            connection: h.connection,
            stale: h.stale,
            frozen: h.frozen,
            missing_blocks: h.missing_blocks,
            watchdog,
        };
    }

    /// A controller's connection failed, for this reason.
    pub fn disconnected(&mut self, c: u16, reason: &str) {
        self.alarms.raise(
            AlarmKind::ControllerOffline,
            Place::Controller(c),
            reason.to_owned(),
            self.now,
            self.wall_ms,
        );
        self.seen(c).connection = ConnectionState::Disconnected;
    }

    /// A controller was refused: it reports another map or module count than the layout.
    pub fn refused(&mut self, c: u16, reason: &str) {
        self.alarms.raise(
            AlarmKind::ControllerRefused,
            Place::Controller(c),
            reason.to_owned(),
            self.now,
            self.wall_ms,
        );
        self.seen(c).connection = ConnectionState::Refused;
    }

    /// A block of a controller's map answered with an exception.
    pub fn block_missing(&mut self, c: u16, block: Block, function: u8, code: u8, address: u16) {
        let detail = format!(
            "block `{}` missing: FC{function:02} at {address}: exception {code:02X}; working without it",
            block.name()
        );
        self.alarms.raise(AlarmKind::BlockMissing, Place::Controller(c), detail, self.now, self.wall_ms);
        self.seen(c).missing_blocks |= 1 << block as u16;
    }

    /// A controller answered with a Modbus exception.
    pub fn exception(&mut self, c: u16, function: u8, code: u8, address: u16) {
        let detail = format!("FC{function:02} at {address}: exception {code:02X}");
        self.alarms.raise(AlarmKind::ModbusException, Place::Controller(c), detail, self.now, self.wall_ms);
    }
}
