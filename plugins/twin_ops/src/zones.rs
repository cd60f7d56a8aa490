//! Zone activity, for the cards floating over each zone: its lit modules, its open lines (the
//! orders not yet done) and the pickers in it, and a backlog judgement from open lines per
//! picker present, so a zone falling behind stands out from across the room.

use twin_model::codes::{ModuleState, OrderStatus, PickerState};
use twin_model::{ModuleIndex, Site};

use super::OrderBook;

/// Open lines per picker present at which a zone is busy.
pub const BUSY_LINES_PER_PICKER: u32 = 15;
/// Open lines per picker present past which a zone is behind.
pub const BEHIND_LINES_PER_PICKER: u32 = 40;

/// One zone's activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ZoneActivity {
    /// Modules lit (waiting for a pick) now.
    pub lit: u32,
    /// Lines of this zone's pending and active orders not yet picked.
    pub open_lines: u32,
    /// Pickers on shift (not absent, not on a break) standing in the zone.
    pub pickers: u32,
}

/// How a zone keeps up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backlog {
    /// Nothing open.
    Idle,
    /// Open lines the pickers present keep up with.
    Ok,
    /// More than [`BUSY_LINES_PER_PICKER`] open lines per picker.
    Busy,
    /// More than [`BEHIND_LINES_PER_PICKER`] per picker, or open lines and no picker.
    Behind,
}

impl ZoneActivity {
    /// The zone's backlog judgement.
    pub fn backlog(&self) -> Backlog {
        match (self.open_lines, self.pickers) {
            (0, _) => Backlog::Idle,
            (_, 0) => Backlog::Behind,
            (open, p) if open > BEHIND_LINES_PER_PICKER * p => Backlog::Behind,
            (open, p) if open > BUSY_LINES_PER_PICKER * p => Backlog::Busy,
            _ => Backlog::Ok,
        }
    }

    /// The card's second line: `5 lit · 12 open · 2 pickers`.
    pub fn summary(&self) -> String {
        let pickers =
            if self.pickers == 1 { "1 picker".to_owned() } else { format!("{} pickers", self.pickers) };
        format!("{} lit · {} open · {pickers}", self.lit, self.open_lines)
    }
}

/// Every zone's activity: `modules` yields (module, state register) for the modules to count
/// (all of them, or only the changed ones' current states), `pickers` (x m, y m, state
/// register) for every picker.
pub fn zone_activity(
    site: &Site,
    book: &OrderBook,
    modules: impl IntoIterator<Item = (ModuleIndex, u16)>,
    pickers: impl IntoIterator<Item = (f32, f32, u16)>,
) -> Vec<ZoneActivity> {
    let mut zones = vec![ZoneActivity::default(); site.layout.zones.len()];
    for (m, state) in modules {
        let Some(module) = site.modules.get(m as usize) else { continue };
        let Some(&z) = site.rack_zone.get(module.rack as usize) else { continue };
        if state == ModuleState::Lit as u16
            && let Some(zone) = zones.get_mut(usize::from(z))
        {
            zone.lit += 1;
        }
    }
    for o in book.orders() {
        if matches!(o.status, OrderStatus::Pending | OrderStatus::Active)
            && let Some(zone) = zones.get_mut(usize::from(o.zone))
        {
            zone.open_lines += u32::from(o.lines_total.saturating_sub(o.lines_done));
        }
    }
    for (x, y, state) in pickers {
        if matches!(PickerState::from_register(state), Some(PickerState::Absent | PickerState::Break) | None)
        {
            continue;
        }
        if let Some(i) = site.zone_at(x, y)
            && let Some(zone) = zones.get_mut(i)
        {
            zone.pickers += 1;
        }
    }
    zones
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_is_open_lines_per_picker_present() {
        let a = |open_lines, pickers| ZoneActivity { lit: 0, open_lines, pickers }.backlog();
        assert_eq!(a(0, 0), Backlog::Idle);
        assert_eq!(a(3, 0), Backlog::Behind, "work and nobody there");
        assert_eq!(a(30, 2), Backlog::Ok);
        assert_eq!(a(31, 2), Backlog::Busy);
        assert_eq!(a(80, 2), Backlog::Busy);
        assert_eq!(a(81, 2), Backlog::Behind);
        assert_eq!(
            ZoneActivity { lit: 5, open_lines: 12, pickers: 1 }.summary(),
            "5 lit · 12 open · 1 picker"
        );
    }

    #[test]
    fn counts_skip_what_the_layout_does_not_have() {
        let site = Site::from_ron(include_str!("../../../layouts/demo.ron"), "demo.ron").unwrap();
        let lit = ModuleState::Lit as u16;
        let walking = PickerState::Walking as u16;
        let zones = zone_activity(
            &site,
            &OrderBook::default(),
            // A module index past the layout's, one idle, two lit in PICK.
            [(u32::MAX, lit), (0, 0), (0, lit), (1, lit)],
            // Off the floor, on a break, absent, an unknown state, walking in PICK and in PACK.
            [
                (-5.0, 900.0, walking),
                (12.0, 10.0, PickerState::Break as u16),
                (12.0, 10.0, PickerState::Absent as u16),
                (12.0, 10.0, 999),
                (12.0, 10.0, walking),
                (12.0, 2.0, walking),
            ],
        );
        assert_eq!(zones.len(), 2);
        assert_eq!(zones[0], ZoneActivity { lit: 2, open_lines: 0, pickers: 1 });
        assert_eq!(zones[1], ZoneActivity { lit: 0, open_lines: 0, pickers: 1 });
    }
}
