//! The history store: one row per completed line, per order done and per controller incident,
//! in SQL — SQLite (a file next to the recording) or PostgreSQL (a URL) — for reports over days
//! and months without replaying recordings. Rows are upserted by their keys, so writing a batch
//! twice changes nothing (what makes catching up after an outage safe). Schema: [`SCHEMA`]
//! (docs/reports.md).

use serde::{Deserialize, Serialize};

/// The tables, in SQL both SQLite and PostgreSQL accept.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS picktwin_line (
    site TEXT NOT NULL, order_id BIGINT NOT NULL, line_id BIGINT NOT NULL,
    module_id BIGINT, location TEXT, zone TEXT, picker TEXT,
    asked INTEGER NOT NULL, confirmed INTEGER NOT NULL, short INTEGER NOT NULL,
    lit_clock_s DOUBLE PRECISION, done_clock_s DOUBLE PRECISION NOT NULL, done_ms BIGINT NOT NULL,
    PRIMARY KEY (site, order_id, line_id));
CREATE TABLE IF NOT EXISTS picktwin_order (
    site TEXT NOT NULL, order_id BIGINT NOT NULL, priority INTEGER NOT NULL, zone TEXT,
    release_clock_s DOUBLE PRECISION NOT NULL, done_clock_s DOUBLE PRECISION NOT NULL, done_ms BIGINT NOT NULL,
    PRIMARY KEY (site, order_id));
CREATE TABLE IF NOT EXISTS picktwin_incident (
    site TEXT NOT NULL, controller TEXT NOT NULL, started_ms BIGINT NOT NULL,
    started_clock_s DOUBLE PRECISION NOT NULL, ended_ms BIGINT, ended_clock_s DOUBLE PRECISION,
    PRIMARY KEY (site, controller, started_ms));
";

/// A completed line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineRow {
    /// Order id.
    pub order_id: i64,
    /// Line id.
    pub line_id: i64,
    /// Module id (the layout's), None for an unknown location.
    pub module_id: Option<i64>,
    /// Layout location.
    pub location: Option<String>,
    /// Zone name.
    pub zone: Option<String>,
    /// Picker id (the roster's).
    pub picker: Option<String>,
    /// Quantity asked.
    pub asked: i32,
    /// Quantity confirmed.
    pub confirmed: i32,
    /// Picked short.
    pub short: bool,
    /// Site clock when lit, seconds.
    pub lit_clock_s: Option<f64>,
    /// Site clock when done, seconds.
    pub done_clock_s: f64,
    /// Wall time when done, ms since the Unix epoch.
    pub done_ms: i64,
}

/// An order done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRow {
    /// Order id.
    pub order_id: i64,
    /// 0 normal, 1 express, 2 emergency.
    pub priority: i32,
    /// Zone name.
    pub zone: Option<String>,
    /// Release, site clock seconds.
    pub release_clock_s: f64,
    /// Done, site clock seconds.
    pub done_clock_s: f64,
    /// Done, wall ms.
    pub done_ms: i64,
}

/// A controller incident (offline, stale or frozen): its start, and its end once it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRow {
    /// Controller name.
    pub controller: String,
    /// Start, wall ms (with the controller, the row's key).
    pub started_ms: i64,
    /// Start, site clock seconds.
    pub started_clock_s: f64,
    /// End, wall ms.
    pub ended_ms: Option<i64>,
    /// End, site clock seconds.
    pub ended_clock_s: Option<f64>,
}

/// Rows written together (one transaction).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// The site (layout name): one store can hold several.
    pub site: String,
    /// Lines.
    pub lines: Vec<LineRow>,
    /// Orders.
    pub orders: Vec<OrderRow>,
    /// Incidents, new or ended.
    pub incidents: Vec<IncidentRow>,
}

impl Batch {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.orders.is_empty() && self.incidents.is_empty()
    }
}

/// A database the store writes to and reads from.
pub trait Store: Send {
    /// Writes a batch in one transaction (idempotent).
    fn write(&mut self, b: &Batch) -> Result<(), String>;
    /// The rows of `site` whose done (or start) clock lies in `[from_s, to_s)`.
    fn read(&mut self, site: &str, from_s: f64, to_s: f64) -> Result<Batch, String>;
}

/// Opens `sqlite:PATH` or `postgres://...` (the schema is created if missing).
pub fn open(url: &str) -> Result<Box<dyn Store>, String> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        Ok(Box::new(crate::store_sql::Sqlite::open(path)?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Box::new(crate::store_sql::Postgres::open(url)?))
    } else {
        Err(format!("{url:?}: write the history store as sqlite:FILE or postgres://USER@HOST:PORT/DB"))
    }
}
