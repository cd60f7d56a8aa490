//! The simulated WMS database: the WCS's orders and lines written into SQLite in the
//! reference schema (docs/sources.md), as a site's WMS fills its tables, so the twin reads
//! them through the same SQL connector a real site uses. Times are ISO-8601 with the layout's
//! UTC offset; every write takes the next revision.

use std::path::Path;

use twin_model::Site;
use twin_model::codes::LineStatus;
use twin_model::sources::{OrderSource, parse_utc_offset};

use super::{LineState, Order};

/// The reference schema for SQLite: the same file the connector's tests and docs use.
const SCHEMA: &str = include_str!("../../../twin_sources/sql/reference_sqlite.sql");

/// The simulator's own record of when each order was released and finished, beside the
/// reference tables (which, like a real WMS's, keep no completion time the connector needs):
/// ground truth for tests of the report's cycle times. The connector never reads it.
const TRUTH: &str = "CREATE TABLE IF NOT EXISTS sim_order_truth (\
    order_id INTEGER PRIMARY KEY, priority INTEGER NOT NULL, zone TEXT, picker TEXT, \
    lines INTEGER NOT NULL, released_ms INTEGER NOT NULL, done_ms INTEGER NOT NULL)";

/// Minutes an order may take before it is due, by priority (normal, express, emergency).
const DUE_MIN: [u64; 3] = [240, 120, 60];

/// Writes orders into a SQLite WMS.
pub struct WmsWriter {
    conn: rusqlite::Connection,
    revision: i64,
    anchor_day: i64,
    offset_s: i32,
}

impl WmsWriter {
    /// Opens (creating if needed) the database at `path`; `anchor_day` is the civil day (days
    /// since 1970-01-01) of simulated day 0.
    pub fn create(path: &Path, anchor_day: i64, site: &Site) -> Result<Self, String> {
        let err = |e: rusqlite::Error| format!("{}: {e}", path.display());
        let conn = rusqlite::Connection::open(path).map_err(err)?;
        // WAL: the twin's reader never blocks the writer; synchronous off: simulated data.
        conn.pragma_update(None, "journal_mode", "wal").map_err(err)?;
        conn.pragma_update(None, "synchronous", "off").map_err(err)?;
        // A small page cache (SQLite's default is 2 MB a connection): the writer only appends.
        conn.pragma_update(None, "cache_size", -256).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        conn.execute_batch(TRUTH).map_err(err)?;
        let revision: i64 = conn
            .query_row(
                "SELECT MAX(COALESCE((SELECT MAX(revision) FROM wms_order), 0), \
                 COALESCE((SELECT MAX(revision) FROM wms_line), 0))",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        let offset_s = match &site.layout.sources.orders {
            OrderSource::WmsSql(w) => parse_utc_offset(&w.utc_offset).unwrap_or(0),
            _ => 0,
        };
        Ok(Self { conn, revision, anchor_day, offset_s })
    }

    /// Local time `ms` after midnight of simulated day 0, as ISO-8601 with the offset.
    #[cfg(test)]
    fn timestamp(&self, ms: u64) -> String {
        timestamp(self.anchor_day, self.offset_s, ms)
    }

    /// Upserts these orders and all their lines in one transaction.
    pub(super) fn write(&mut self, site: &Site, orders: &[&Order]) -> Result<(), String> {
        let (anchor, offset) = (self.anchor_day, self.offset_s);
        let mut revision = self.revision;
        let tx = self.conn.transaction().map_err(|e| e.to_string())?;
        write_rows(&tx, site, orders, &mut revision, &|ms| timestamp(anchor, offset, ms))?;
        tx.commit().map_err(|e| e.to_string())?;
        self.revision = revision;
        Ok(())
    }
}

/// Local time `ms` after midnight of day `anchor_day`, ISO-8601 with the offset.
fn timestamp(anchor_day: i64, offset_s: i32, ms: u64) -> String {
    {
        let day = anchor_day + (ms / 86_400_000) as i64;
        let (y, m, d) = civil_date(day);
        let t = ms % 86_400_000;
        let (sign, off) = if offset_s < 0 { ('-', -offset_s) } else { ('+', offset_s) };
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}{sign}{:02}:{:02}",
            t / 3_600_000,
            t / 60_000 % 60,
            t / 1000 % 60,
            t % 1000,
            off / 3600,
            off / 60 % 60
        )
    }
}

/// The rows of `orders` and their lines, each write with the next revision.
fn write_rows(
    tx: &rusqlite::Transaction<'_>,
    site: &Site,
    orders: &[&Order],
    revision: &mut i64,
    timestamp: &dyn Fn(u64) -> String,
) -> Result<(), String> {
    {
        let mut order_st = tx
                .prepare_cached(
                    "INSERT INTO wms_order (order_id, priority, zone, released_at, due_at, status, picker, revision) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (order_id) DO UPDATE SET \
                     priority = excluded.priority, zone = excluded.zone, status = excluded.status, \
                     picker = excluded.picker, revision = excluded.revision",
                )
                .map_err(|e| e.to_string())?;
        let mut line_st = tx
                .prepare_cached(
                    "INSERT INTO wms_line (line_id, order_id, location, sku, qty_asked, qty_confirmed, status, revision) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (line_id) DO UPDATE SET \
                     qty_confirmed = excluded.qty_confirmed, status = excluded.status, revision = excluded.revision \
                     WHERE wms_line.status <> excluded.status",
                )
                .map_err(|e| e.to_string())?;
        let mut truth_st = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO sim_order_truth (order_id, priority, zone, picker, lines, released_ms, done_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(|e| e.to_string())?;
        for o in orders {
            *revision += 1;
            let zone = site.layout.zones.get(usize::from(o.zone)).map(|z| z.name.as_str());
            // Like a site's WMS, it remembers who picked an order after it was handed over.
            let picker =
                o.picker.or(o.picked_by).and_then(|p| site.layout.pickers.get(p)).map(|p| p.id.as_str());
            let due = o.released_ms + DUE_MIN[usize::from(o.priority.min(2))] * 60_000;
            order_st
                .execute(rusqlite::params![
                    o.id,
                    o.priority,
                    zone,
                    timestamp(o.released_ms),
                    timestamp(due),
                    o.status.wms_name(),
                    picker,
                    *revision,
                ])
                .map_err(|e| e.to_string())?;
            if let Some(done) = o.done_ms {
                truth_st
                    .execute(rusqlite::params![
                        o.id,
                        o.priority,
                        zone,
                        picker,
                        o.lines.len() as i64,
                        o.released_ms as i64,
                        done as i64
                    ])
                    .map_err(|e| e.to_string())?;
            }
            for l in &o.lines {
                let (status, confirmed) = match l.state {
                    LineState::Waiting => (LineStatus::Open, None),
                    LineState::Lit => (LineStatus::Lit, None),
                    LineState::Done if l.confirmed < l.quantity => (LineStatus::Short, Some(l.confirmed)),
                    LineState::Done => (LineStatus::Done, Some(l.confirmed)),
                };
                let m = &site.modules[l.module as usize];
                // Unchanged lines keep their revision (the WHERE clause): the connector
                // reads only what changed.
                *revision += 1;
                line_st
                    .execute(rusqlite::params![
                        l.job,
                        o.id,
                        &*m.location,
                        format!("PZN-{:08}", m.id.0),
                        l.quantity,
                        confirmed,
                        status.name(),
                        *revision,
                    ])
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// The civil date (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian).
pub fn civil_date(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use twin_model::codes::OrderStatus;

    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(20_423), (2025, 12, 1));
        assert_eq!(civil_date(20_788), (2026, 12, 1));
        assert_eq!(civil_date(-1), (1969, 12, 31));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
    }

    #[test]
    fn orders_and_lines_land_in_the_reference_schema() {
        let site = Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")).unwrap();
        let dir = std::env::temp_dir().join(format!("picktwin-wms-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("wms.sqlite");
        let _ = std::fs::remove_file(&path);
        let mut w = WmsWriter::create(&path, 20_788, &site).unwrap();
        assert_eq!(w.timestamp(6 * 3_600_000 + 1_234), "2026-12-01T06:00:01.234+00:00");
        let line =
            |job, state, confirmed| super::super::Line { module: 3, quantity: 2, job, state, confirmed };
        let order = Order {
            id: 7,
            zone: 0,
            priority: 1,
            released_ms: 6 * 3_600_000,
            lines: vec![line(70, LineState::Done, 1), line(71, LineState::Lit, 0)],
            picker: Some(0),
            status: OrderStatus::Active,
            slot: None,
            done_ms: None,
            picked_by: Some(0),
        };
        w.write(&site, &[&order]).unwrap();
        let row: (String, String, String, i64) = w
            .conn
            .query_row("SELECT status, due_at, picker, revision FROM wms_order WHERE order_id = 7", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!(
            row,
            ("picking".into(), "2026-12-01T08:00:00.000+00:00".into(), site.layout.pickers[0].id.clone(), 1)
        );
        let lines: Vec<(i64, String, Option<i64>)> = w
            .conn
            .prepare("SELECT line_id, status, qty_confirmed FROM wms_line ORDER BY line_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(lines, vec![(70, "short".into(), Some(1)), (71, "lit".into(), None)]);
        let truth = |w: &WmsWriter| -> i64 {
            w.conn.query_row("SELECT COUNT(*) FROM sim_order_truth", [], |r| r.get(0)).unwrap()
        };
        assert_eq!(truth(&w), 0, "an open order has no completion yet");
        // Done and handed over at packing: the board forgets the picker, the WMS does not.
        let done =
            Order { status: OrderStatus::Done, done_ms: Some(6 * 3_600_000 + 90_000), picker: None, ..order };
        w.write(&site, &[&done]).unwrap();
        let picker: String =
            w.conn.query_row("SELECT picker FROM wms_order WHERE order_id = 7", [], |r| r.get(0)).unwrap();
        assert_eq!(picker, site.layout.pickers[0].id);
        let row: (i64, i64, i64) = w
            .conn
            .query_row(
                "SELECT lines, released_ms, done_ms FROM sim_order_truth WHERE order_id = 7",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(row, (2, 6 * 3_600_000, 6 * 3_600_000 + 90_000));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
