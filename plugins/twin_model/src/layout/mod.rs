//! The site layout as written in a RON file: the hand-editable schema (see docs/layout-format.md).
//!
//! Plan coordinates are metres on the floor: `x` along the floor's width (east), `y` along its
//! depth (north), origin at the floor's south-west corner. Racks are parametric (bays × levels ×
//! slots) so a 100,000-module site stays a short file; `crate::Site` expands them.

use serde::{Deserialize, Serialize};

use crate::register_map::RegisterMap;

mod controller;
mod geometry;

pub use controller::Controller;
pub use geometry::{Point2, Rect, Rgb, Size2, Units};

/// The default green location text: rack, bay, level and slot.
pub const DEFAULT_LOCATION_FORMAT: &str = "{rack}-{bay:02}-{level}{slot}";

/// A whole site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Site", deny_unknown_fields)]
pub struct SiteLayout {
    /// Site name shown in the overlay.
    pub name: String,
    /// Length unit of every coordinate; only metres.
    #[serde(default)]
    pub units: Units,
    /// Floor size; the floor spans `0..width` × `0..depth`.
    pub floor: Size2,
    /// Template of the green location text every module shows (placeholders in docs).
    #[serde(default = "default_location_format")]
    pub location_format: String,
    /// Times of day shifts start (`HH:MM` on the site clock): shift KPIs reset and recordings
    /// rotate there. Default 06:00, 14:00, 22:00.
    #[serde(default = "default_shifts", skip_serializing_if = "is_default_shifts")]
    pub shifts: Vec<String>,
    /// Register maps beyond the built-in `picktwin-v1`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub register_maps: Vec<RegisterMap>,
    /// Zones: areas of the floor with a purpose (cold chain, fast movers, packing).
    pub zones: Vec<Zone>,
    /// Aisles: the walkways pickers use, each in a zone.
    #[serde(default)]
    pub aisles: Vec<Aisle>,
    /// Racks of light modules.
    pub racks: Vec<Rack>,
    /// PTL controllers driving the modules.
    pub controllers: Vec<Controller>,
    /// Picker roster.
    #[serde(default)]
    pub pickers: Vec<Picker>,
    /// Pack and dispatch stations.
    #[serde(default)]
    pub stations: Vec<Station>,
    /// Where orders and picker positions come from (default: the first controller's order
    /// board and picker block).
    #[serde(default, skip_serializing_if = "crate::sources::Sources::is_default")]
    pub sources: crate::sources::Sources,
}

fn default_shifts() -> Vec<String> {
    crate::shifts::DEFAULT_SHIFTS.iter().map(|s| (*s).to_owned()).collect()
}

fn is_default_shifts(shifts: &[String]) -> bool {
    shifts.iter().map(String::as_str).eq(crate::shifts::DEFAULT_SHIFTS)
}

fn default_location_format() -> String {
    DEFAULT_LOCATION_FORMAT.to_owned()
}

/// What a zone is for; the scene and the simulator use it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ZoneKind {
    /// Ambient storage (15–25 °C).
    #[default]
    Ambient,
    /// Cold chain (2–8 °C).
    ColdChain,
    /// Fast movers close to packing.
    FastMover,
    /// Controlled drugs in a secured cage.
    Secure,
    /// Packing stations.
    Packing,
    /// Dispatch and loading.
    Dispatch,
}

/// An area of the floor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// Unique name (aisles, pickers and stations refer to it).
    pub name: String,
    /// What the zone is for.
    #[serde(default)]
    pub kind: ZoneKind,
    /// Display colour.
    pub colour: Rgb,
    /// Floor area.
    pub area: Rect,
}

/// A walkway between racks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aisle {
    /// Unique name; `{aisle}` in location formats.
    pub name: String,
    /// Zone the aisle belongs to.
    pub zone: String,
    /// The walkway's floor area (racks must not stand on it).
    pub area: Rect,
}

/// Which way a rack's pick face looks (towards its aisle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Facing {
    /// Towards +y.
    North,
    /// Towards +x.
    East,
    /// Towards -y.
    South,
    /// Towards -x.
    West,
}

impl Facing {
    /// Unit vector of the facing direction on the plan.
    pub fn normal(self) -> [f32; 2] {
        match self {
            Facing::North => [0.0, 1.0],
            Facing::East => [1.0, 0.0],
            Facing::South => [0.0, -1.0],
            Facing::West => [-1.0, 0.0],
        }
    }

    /// Whether the rack's length runs along x (faces north or south).
    pub fn runs_along_x(self) -> bool {
        matches!(self, Facing::North | Facing::South)
    }
}

/// A rack of shelves, described parametrically: one light module per slot.
///
/// Slots are numbered from 1: bays along the rack from its origin, levels from the floor up,
/// slots along each shelf. The n-th slot (bay, then level, then slot; from 0) gets module id
/// `first_module_id + n` and address `first_address + n` on `controller`, unless overridden.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rack {
    /// Unique id; `{rack}` in location formats.
    pub id: String,
    /// Aisle the rack is picked from.
    pub aisle: String,
    /// Corner of the footprint with the smallest x and y.
    pub origin: Point2,
    /// Direction the pick face looks; bays run along x for north/south, along y for east/west.
    pub facing: Facing,
    /// Number of bays.
    pub bays: u16,
    /// Shelf levels per bay.
    pub levels: u16,
    /// Slots (light modules) per shelf level.
    pub slots_per_level: u16,
    /// Width of one bay in metres.
    pub bay_width: f32,
    /// Vertical distance between shelf levels in metres.
    pub level_height: f32,
    /// Rack depth in metres.
    pub depth: f32,
    /// Height of the lowest shelf's front edge, where its modules sit.
    #[serde(default = "default_bottom_shelf")]
    pub bottom_shelf_height: f32,
    /// Controller driving the rack's modules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<String>,
    /// Address of the rack's first module on its controller; default: right after the previous
    /// rack on the same controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_address: Option<u16>,
    /// Id of the rack's first module; default: right after the previous rack's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_module_id: Option<u32>,
    /// Location text template for this rack instead of the site's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_format: Option<String>,
    /// Exceptions for single slots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<SlotOverride>,
}

fn default_bottom_shelf() -> f32 {
    0.3
}

impl Rack {
    /// Slots in the rack (absent ones included).
    pub fn slot_count(&self) -> u64 {
        u64::from(self.bays) * u64::from(self.levels) * u64::from(self.slots_per_level)
    }

    /// Length along the pick face.
    pub fn length(&self) -> f32 {
        f32::from(self.bays) * self.bay_width
    }

    /// The rack's floor footprint.
    pub fn footprint(&self) -> Rect {
        let (width, depth) = if self.facing.runs_along_x() {
            (self.length(), self.depth)
        } else {
            (self.depth, self.length())
        };
        Rect { x: self.origin.x, y: self.origin.y, width, depth }
    }

    /// Total height of the rack frame.
    pub fn height(&self) -> f32 {
        self.bottom_shelf_height + f32::from(self.levels) * self.level_height
    }
}

/// An exception for one slot of a rack (bay, level and slot from 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Slot", deny_unknown_fields)]
pub struct SlotOverride {
    /// Bay, from 1.
    pub bay: u16,
    /// Level, from 1 (floor up).
    pub level: u16,
    /// Slot, from 1.
    pub slot: u16,
    /// The slot has no module.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub absent: bool,
    /// Module id instead of the rule's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// Controller instead of the rack's (then `address` is required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<String>,
    /// Address instead of the rule's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<u16>,
    /// Location text instead of the format's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A picker on the roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Picker {
    /// Unique id (badge).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Zone the picker usually works in.
    pub home_zone: String,
}

/// What a station is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StationKind {
    /// Orders are checked and packed here.
    Pack,
    /// Packed orders leave here.
    Dispatch,
}

/// A pack or dispatch station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Station {
    /// Unique id.
    pub id: String,
    /// Pack or dispatch.
    pub kind: StationKind,
    /// Zone the station stands in.
    pub zone: String,
    /// Floor area.
    pub area: Rect,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgb_parses_and_prints() {
        assert_eq!(Rgb::parse("#2F80ed"), Ok(Rgb([0x2f, 0x80, 0xed])));
        assert_eq!(Rgb([1, 2, 255]).to_string(), "#0102ff");
        assert!(Rgb::parse("2f80ed").is_err());
        assert!(Rgb::parse("#2f80e").is_err());
        assert!(Rgb::parse("#2f80eg").is_err());
        assert!(Rgb::parse("#é2f80e").is_err());
    }

    #[test]
    fn footprint_follows_facing() {
        let mut rack = Rack {
            id: "A".into(),
            aisle: "1".into(),
            origin: Point2 { x: 2.0, y: 3.0 },
            facing: Facing::North,
            bays: 4,
            levels: 5,
            slots_per_level: 3,
            bay_width: 1.5,
            level_height: 0.4,
            depth: 0.6,
            bottom_shelf_height: 0.3,
            controller: None,
            first_address: None,
            first_module_id: None,
            location_format: None,
            overrides: vec![],
        };
        assert_eq!(rack.footprint(), Rect { x: 2.0, y: 3.0, width: 6.0, depth: 0.6 });
        rack.facing = Facing::West;
        assert_eq!(rack.footprint(), Rect { x: 2.0, y: 3.0, width: 0.6, depth: 6.0 });
        assert_eq!(rack.slot_count(), 60);
    }

    #[test]
    fn rect_overlap_ignores_touching() {
        let a = Rect { x: 0.0, y: 0.0, width: 2.0, depth: 1.0 };
        let touching = Rect { x: 2.0, y: 0.0, width: 2.0, depth: 1.0 };
        let overlapping = Rect { x: 1.5, y: 0.5, width: 2.0, depth: 1.0 };
        assert!(!a.overlaps(&touching, 1e-3));
        assert!(a.overlaps(&overlapping, 1e-3));
        assert!(overlapping.overlaps(&a, 1e-3));
    }
}
