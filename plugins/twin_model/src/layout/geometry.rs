//! The layout's geometry and colours: the length unit, sizes, points and rectangles in plan
//! metres, and `#rrggbb` colours.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Units {
    /// Metres.
    #[default]
    Metres,
}

/// A width and a depth in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Size2 {
    /// Extent along x.
    pub width: f32,
    /// Extent along y.
    pub depth: f32,
}

/// A point on the floor plan in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point2 {
    /// East.
    pub x: f32,
    /// North.
    pub y: f32,
}

/// An axis-aligned rectangle on the floor: its south-west corner and size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rect {
    /// West edge.
    pub x: f32,
    /// South edge.
    pub y: f32,
    /// Extent along x.
    pub width: f32,
    /// Extent along y.
    pub depth: f32,
}

impl Rect {
    /// East edge.
    pub fn max_x(&self) -> f32 {
        self.x + self.width
    }

    /// North edge.
    pub fn max_y(&self) -> f32 {
        self.y + self.depth
    }

    /// The centre point `[x, y]`.
    pub fn centre(&self) -> [f32; 2] {
        [self.x + self.width / 2.0, self.y + self.depth / 2.0]
    }

    /// Whether the two overlap by more than `tolerance` on both axes (touching is no overlap).
    pub fn overlaps(&self, other: &Rect, tolerance: f32) -> bool {
        self.x < other.max_x() - tolerance
            && other.x < self.max_x() - tolerance
            && self.y < other.max_y() - tolerance
            && other.y < self.max_y() - tolerance
    }

    /// Whether the plan point `(x, y)` lies inside this rectangle (edges included).
    pub fn contains_point(&self, x: f32, y: f32) -> bool {
        x >= self.x && x <= self.max_x() && y >= self.y && y <= self.max_y()
    }

    /// Whether `other` lies inside this rectangle, allowing `tolerance`.
    pub fn contains(&self, other: &Rect, tolerance: f32) -> bool {
        other.x >= self.x - tolerance
            && other.y >= self.y - tolerance
            && other.max_x() <= self.max_x() + tolerance
            && other.max_y() <= self.max_y() + tolerance
    }
}

impl fmt::Display for Rect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "x {}..{} m, y {}..{} m", self.x, self.max_x(), self.y, self.max_y())
    }
}

/// An sRGB colour written `"#rrggbb"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub [u8; 3]);

impl Rgb {
    /// Parses `#rrggbb`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let hex = s
            .strip_prefix('#')
            .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| format!("colour {s:?} is not of the form \"#rrggbb\" (e.g. \"#2f80ed\")"))?;
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or_default();
        Ok(Self([byte(0), byte(2), byte(4)]))
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

impl Serialize for Rgb {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rgb {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Rgb::parse(&s).map_err(serde::de::Error::custom)
    }
}
