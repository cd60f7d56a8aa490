//! Where a site's orders and picker positions come from, declared in the layout's `sources`
//! (docs/sources.md): the WMS database, the PLC's own register blocks, an RTLS feed over MQTT,
//! inference from button presses, or nothing. The modules always come from the controllers.

use serde::{Deserialize, Serialize};

use crate::layout::Point2;

/// The site's order and picker sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    /// Where orders and their lines come from.
    #[serde(default)]
    pub orders: OrderSource,
    /// Where picker positions come from.
    #[serde(default)]
    pub pickers: PickerSource,
}

impl Default for Sources {
    /// What worked before sources were declared: both from the first controller's blocks.
    fn default() -> Self {
        Self { orders: OrderSource::ModbusBoard, pickers: PickerSource::ModbusBlock }
    }
}

impl Sources {
    /// Whether this is the default (layouts written back leave it out).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Where orders come from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum OrderSource {
    /// No order source: the twin shows modules and presses only, and says so.
    None,
    /// The order board the first controller's register map names (`orders` block).
    #[default]
    ModbusBoard,
    /// Tables or views in the WMS database, polled read-only.
    WmsSql(Box<WmsSql>),
}

/// A WMS database connection and the tables the connector reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WmsSql {
    /// `postgres://user@host:port/database` or `sqlite:path/to/file` (read-only).
    pub url: String,
    /// Environment variable holding the password (never the password itself in the layout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// TLS to the database server (PostgreSQL only).
    #[serde(default, skip_serializing_if = "is_default")]
    pub tls: SqlTls,
    /// Milliseconds between polls.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u32,
    /// Most rows read per table per poll.
    #[serde(default = "default_batch")]
    pub batch: u32,
    /// Seconds between re-reads of every open order and its lines (0: never): a row committed
    /// late with a revision below the cursor is found this way.
    #[serde(default = "default_reread_s")]
    pub reread_s: u32,
    /// Most orders open at once (the twin's order board).
    #[serde(default = "default_max_open")]
    pub max_open: u16,
    /// Most lines kept per order.
    #[serde(default = "default_max_lines")]
    pub max_lines: u16,
    /// The site clock's offset from UTC, `+HH:MM` or `-HH:MM`: WMS timestamps become times of
    /// day on the site clock with it.
    #[serde(default = "default_utc_offset")]
    pub utc_offset: String,
    /// Table and column names (the reference schema by default).
    #[serde(default, skip_serializing_if = "is_default")]
    pub schema: WmsSchema,
}

/// TLS towards a PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SqlTls {
    /// Plain TCP (a server on the same host or a trusted network).
    #[default]
    Disable,
    /// TLS required; the server's certificate checked against this CA file (PEM).
    Require {
        /// CA certificate file.
        ca: String,
    },
}

/// Table and column names of the order and line tables (or views).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WmsSchema {
    /// The order header table.
    #[serde(default)]
    pub orders: OrderTable,
    /// The order line table.
    #[serde(default)]
    pub lines: LineTable,
}

/// The order header table's columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrderTable {
    /// Table or view name (optionally `schema.table`).
    pub table: String,
    /// Order id (integer, unique).
    pub id: String,
    /// Priority (integer: 0 normal, 1 express, 2 emergency).
    pub priority: String,
    /// Zone name as the layout names it (text, may be NULL).
    pub zone: String,
    /// Release time (timestamp with time zone).
    pub released_at: String,
    /// Due time (timestamp with time zone, may be NULL).
    pub due_at: String,
    /// Status text: `released`, `picking`, `done` or `cancelled`.
    pub status: String,
    /// Assigned picker as the layout's roster names them (text, may be NULL).
    pub picker: String,
    /// Change counter: an integer that grows with every insert and update of the row.
    pub revision: String,
}

impl Default for OrderTable {
    fn default() -> Self {
        Self {
            table: "wms_order".into(),
            id: "order_id".into(),
            priority: "priority".into(),
            zone: "zone".into(),
            released_at: "released_at".into(),
            due_at: "due_at".into(),
            status: "status".into(),
            picker: "picker".into(),
            revision: "revision".into(),
        }
    }
}

/// The order line table's columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LineTable {
    /// Table or view name.
    pub table: String,
    /// Line id (integer, unique).
    pub id: String,
    /// The order it belongs to.
    pub order_id: String,
    /// The light module it lights: its location code as the layout's modules show it.
    pub location: String,
    /// Article (text, up to 16 characters kept).
    pub sku: String,
    /// Quantity asked (integer).
    pub quantity: String,
    /// Quantity confirmed (integer, may be NULL).
    pub confirmed: String,
    /// Status text: `open`, `lit`, `done` or `short`.
    pub status: String,
    /// Change counter, as for orders.
    pub revision: String,
}

impl Default for LineTable {
    fn default() -> Self {
        Self {
            table: "wms_line".into(),
            id: "line_id".into(),
            order_id: "order_id".into(),
            location: "location".into(),
            sku: "sku".into(),
            quantity: "qty_asked".into(),
            confirmed: "qty_confirmed".into(),
            status: "status".into(),
            revision: "revision".into(),
        }
    }
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn default_poll_ms() -> u32 {
    1000
}
fn default_batch() -> u32 {
    500
}
fn default_reread_s() -> u32 {
    30
}
fn default_max_open() -> u16 {
    1024
}
fn default_max_lines() -> u16 {
    64
}
fn default_utc_offset() -> String {
    "+00:00".into()
}

impl WmsSql {
    /// A connection to `url` with the reference schema and default timing.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            password_env: None,
            tls: SqlTls::Disable,
            poll_ms: default_poll_ms(),
            batch: default_batch(),
            reread_s: default_reread_s(),
            max_open: default_max_open(),
            max_lines: default_max_lines(),
            utc_offset: default_utc_offset(),
            schema: WmsSchema::default(),
        }
    }

    /// The UTC offset in seconds, if it reads `±HH:MM`.
    pub fn utc_offset_s(&self) -> Option<i32> {
        parse_utc_offset(&self.utc_offset)
    }
}

/// Parses `+HH:MM` / `-HH:MM` (up to ±14:00) into seconds.
pub fn parse_utc_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m < 60 && h * 60 + m <= 14 * 60).then_some(sign * (h * 3600 + m * 60))
}

/// Whether `name` is a plain SQL identifier (`[A-Za-z_][A-Za-z0-9_]*`, optionally
/// `schema.name`): the connector builds its queries from these names, so nothing else passes.
pub fn is_sql_identifier(name: &str) -> bool {
    let part = |p: &str| {
        let mut c = p.chars();
        c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
            && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            && p.len() <= 63
    };
    match name.split_once('.') {
        Some((a, b)) => part(a) && part(b),
        None => part(name),
    }
}

/// `mqtt://host[:port]` as (host, port), port 1883 by default; `None` if it is not that.
pub fn mqtt_host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.strip_prefix("mqtt://")?.trim_end_matches('/');
    let (h, p) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (rest, 1883),
    };
    (!h.is_empty() && !h.contains('/')).then(|| (h.to_owned(), p))
}

/// Where picker positions come from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum PickerSource {
    /// No picker source: no picker is drawn.
    None,
    /// The picker block the first controller's register map names (`pickers` block).
    #[default]
    ModbusBlock,
    /// Inferred from the order lines: at the module a picker last confirmed, walking towards
    /// the next lit module of their order, idle after `idle_after_s` without a press. Drawn as
    /// inferred, never as measured.
    Inferred {
        /// Seconds without a confirmed line before a picker shows idle.
        #[serde(default = "default_idle_after_s")]
        idle_after_s: u32,
    },
    /// Location updates (JSON) from a real-time location system over MQTT.
    RtlsMqtt(Box<RtlsMqtt>),
}

fn default_idle_after_s() -> u32 {
    120
}

/// An RTLS feed over MQTT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtlsMqtt {
    /// Broker URL, `mqtt://host:port`.
    pub broker: String,
    /// Topic filter the location updates arrive on (wildcards allowed).
    pub topic: String,
    /// How RTLS coordinates become plan coordinates.
    #[serde(default)]
    pub frame: RtlsFrame,
    /// Which tag each picker wears.
    pub tags: Vec<TagAssignment>,
    /// Seconds without an update before a picker's position shows stale.
    #[serde(default = "default_stale_after_s")]
    pub stale_after_s: f32,
}

fn default_stale_after_s() -> f32 {
    10.0
}

/// The RTLS frame in the layout's plan frame: plan = origin + rotate(rotation) · (scale · rtls).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RtlsFrame {
    /// Where the RTLS origin lies on the plan, metres.
    pub origin: Point2,
    /// Counter-clockwise angle from the plan's x axis to the RTLS x axis, degrees.
    pub rotation_deg: f32,
    /// Plan metres per RTLS unit (0.001 for an RTLS in millimetres).
    pub scale: f32,
}

impl Default for RtlsFrame {
    fn default() -> Self {
        Self { origin: Point2 { x: 0.0, y: 0.0 }, rotation_deg: 0.0, scale: 1.0 }
    }
}

impl RtlsFrame {
    /// The plan point of an RTLS point.
    pub fn to_plan(&self, x: f64, y: f64) -> [f64; 2] {
        let (s, c) = f64::from(self.rotation_deg).to_radians().sin_cos();
        let k = f64::from(self.scale);
        let (x, y) = (x * k, y * k);
        [f64::from(self.origin.x) + c * x - s * y, f64::from(self.origin.y) + s * x + c * y]
    }
}

impl RtlsFrame {
    /// The RTLS point of a plan point (the inverse of [`RtlsFrame::to_plan`]; the simulator
    /// plays an RTLS with it).
    pub fn to_rtls(&self, x: f64, y: f64) -> [f64; 2] {
        let (s, c) = f64::from(self.rotation_deg).to_radians().sin_cos();
        let (dx, dy) = (x - f64::from(self.origin.x), y - f64::from(self.origin.y));
        let k = f64::from(self.scale);
        [(c * dx + s * dy) / k, (-s * dx + c * dy) / k]
    }
}

impl RtlsMqtt {
    /// The topic a tag's updates are published on: the filter with `+` and `#` replaced by
    /// the tag.
    pub fn topic_for(&self, tag: &str) -> String {
        self.topic
            .split('/')
            .map(|level| if level == "+" || level == "#" { tag } else { level })
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// One tag worn by one picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagAssignment {
    /// Tag id as the RTLS sends it.
    pub tag: String,
    /// Picker name in the layout's roster.
    pub picker: String,
}

impl crate::Site {
    /// How many order slots the site's order source fills: the board's size, the WMS
    /// connection's `max_open`, or none.
    pub fn order_slots(&self) -> usize {
        match &self.layout.sources.orders {
            OrderSource::None => 0,
            OrderSource::ModbusBoard => {
                self.controller_map(0).and_then(|m| m.orders.as_ref()).map_or(0, |o| usize::from(o.max))
            }
            OrderSource::WmsSql(w) => usize::from(w.max_open),
        }
    }
}

#[cfg(test)]
mod tests;
