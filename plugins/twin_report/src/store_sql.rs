//! The history store's two backends: SQLite (rusqlite, a file) and PostgreSQL (the sync
//! `postgres` client, reconnecting after a failure). One set of statements, written with
//! PostgreSQL's `$n` placeholders and turned into SQLite's `?n`.

use std::time::Duration;

use crate::store::{Batch, IncidentRow, LineRow, OrderRow, SCHEMA, Store};

const INSERT_LINE: &str = "INSERT INTO picktwin_line (site, order_id, line_id, module_id, location, zone, picker, \
     asked, confirmed, short, lit_clock_s, done_clock_s, done_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING";
const INSERT_ORDER: &str = "INSERT INTO picktwin_order (site, order_id, priority, zone, release_clock_s, \
     done_clock_s, done_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
const UPSERT_INCIDENT: &str = "INSERT INTO picktwin_incident (site, controller, started_ms, started_clock_s, \
     ended_ms, ended_clock_s) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (site, controller, started_ms) DO UPDATE SET \
     ended_ms = COALESCE(excluded.ended_ms, picktwin_incident.ended_ms), \
     ended_clock_s = COALESCE(excluded.ended_clock_s, picktwin_incident.ended_clock_s)";
const SELECT_LINES: &str = "SELECT order_id, line_id, module_id, location, zone, picker, asked, confirmed, short, \
     lit_clock_s, done_clock_s, done_ms FROM picktwin_line \
     WHERE site = $1 AND done_clock_s >= $2 AND done_clock_s < $3 ORDER BY done_clock_s, order_id, line_id";
const SELECT_ORDERS: &str = "SELECT order_id, priority, zone, release_clock_s, done_clock_s, done_ms FROM picktwin_order \
     WHERE site = $1 AND done_clock_s >= $2 AND done_clock_s < $3 ORDER BY done_clock_s, order_id";
const SELECT_INCIDENTS: &str = "SELECT controller, started_ms, started_clock_s, ended_ms, ended_clock_s \
     FROM picktwin_incident WHERE site = $1 AND started_clock_s < $3 \
     AND (ended_clock_s IS NULL OR ended_clock_s >= $2) ORDER BY started_clock_s";

/// A statement with SQLite's numbered placeholders.
fn sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

/// SQLite: one file, opened for reading and writing.
pub struct Sqlite(rusqlite::Connection);

impl Sqlite {
    /// Opens (creates) the file and its tables.
    pub fn open(path: &str) -> Result<Self, String> {
        let c = rusqlite::Connection::open(path).map_err(|e| format!("history store {path}: {e}"))?;
        c.busy_timeout(Duration::from_secs(5)).map_err(|e| e.to_string())?;
        c.execute_batch(SCHEMA).map_err(|e| format!("history store {path}: {e}"))?;
        Ok(Self(c))
    }
}

impl Store for Sqlite {
    fn write(&mut self, b: &Batch) -> Result<(), String> {
        let tx = self.0.transaction().map_err(|e| e.to_string())?;
        {
            let mut line = tx.prepare_cached(&sqlite(INSERT_LINE)).map_err(|e| e.to_string())?;
            for l in &b.lines {
                line.execute(rusqlite::params![
                    b.site,
                    l.order_id,
                    l.line_id,
                    l.module_id,
                    l.location,
                    l.zone,
                    l.picker,
                    l.asked,
                    l.confirmed,
                    i32::from(l.short),
                    l.lit_clock_s,
                    l.done_clock_s,
                    l.done_ms
                ])
                .map_err(|e| e.to_string())?;
            }
            let mut order = tx.prepare_cached(&sqlite(INSERT_ORDER)).map_err(|e| e.to_string())?;
            for o in &b.orders {
                order
                    .execute(rusqlite::params![
                        b.site,
                        o.order_id,
                        o.priority,
                        o.zone,
                        o.release_clock_s,
                        o.done_clock_s,
                        o.done_ms
                    ])
                    .map_err(|e| e.to_string())?;
            }
            let mut inc = tx.prepare_cached(&sqlite(UPSERT_INCIDENT)).map_err(|e| e.to_string())?;
            for i in &b.incidents {
                inc.execute(rusqlite::params![
                    b.site,
                    i.controller,
                    i.started_ms,
                    i.started_clock_s,
                    i.ended_ms,
                    i.ended_clock_s
                ])
                .map_err(|e| e.to_string())?;
            }
        }
        tx.commit().map_err(|e| e.to_string())
    }

    fn read(&mut self, site: &str, from_s: f64, to_s: f64) -> Result<Batch, String> {
        let e = |e: rusqlite::Error| e.to_string();
        let p = rusqlite::params![site, from_s, to_s];
        let mut s = self.0.prepare(&sqlite(SELECT_LINES)).map_err(e)?;
        let lines = s
            .query_map(p, |r| {
                Ok(LineRow {
                    order_id: r.get(0)?,
                    line_id: r.get(1)?,
                    module_id: r.get(2)?,
                    location: r.get(3)?,
                    zone: r.get(4)?,
                    picker: r.get(5)?,
                    asked: r.get(6)?,
                    confirmed: r.get(7)?,
                    short: r.get::<_, i32>(8)? != 0,
                    lit_clock_s: r.get(9)?,
                    done_clock_s: r.get(10)?,
                    done_ms: r.get(11)?,
                })
            })
            .map_err(e)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(e)?;
        let mut s = self.0.prepare(&sqlite(SELECT_ORDERS)).map_err(e)?;
        let orders = s
            .query_map(p, |r| {
                Ok(OrderRow {
                    order_id: r.get(0)?,
                    priority: r.get(1)?,
                    zone: r.get(2)?,
                    release_clock_s: r.get(3)?,
                    done_clock_s: r.get(4)?,
                    done_ms: r.get(5)?,
                })
            })
            .map_err(e)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(e)?;
        let mut s = self.0.prepare(&sqlite(SELECT_INCIDENTS)).map_err(e)?;
        let incidents = s
            .query_map(p, |r| {
                Ok(IncidentRow {
                    controller: r.get(0)?,
                    started_ms: r.get(1)?,
                    started_clock_s: r.get(2)?,
                    ended_ms: r.get(3)?,
                    ended_clock_s: r.get(4)?,
                })
            })
            .map_err(e)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(e)?;
        Ok(Batch { site: site.to_owned(), lines, orders, incidents })
    }
}

/// PostgreSQL: connected on first use and again after any failure.
pub struct Postgres {
    url: String,
    client: Option<postgres::Client>,
}

impl Postgres {
    /// Connects and creates the tables.
    pub fn open(url: &str) -> Result<Self, String> {
        let mut p = Self { url: url.to_owned(), client: None };
        p.client()?;
        Ok(p)
    }

    fn client(&mut self) -> Result<&mut postgres::Client, String> {
        if self.client.is_none() {
            let mut config: postgres::Config = self.url.parse().map_err(|e| format!("history store: {e}"))?;
            config.connect_timeout(Duration::from_secs(5));
            let mut c = config.connect(postgres::NoTls).map_err(|e| format!("history store: {e}"))?;
            c.batch_execute(SCHEMA).map_err(|e| format!("history store: {e}"))?;
            self.client = Some(c);
        }
        self.client.as_mut().ok_or_else(|| "history store: not connected".to_owned())
    }

    /// Runs `f` on the connection; a failure drops it (the next call reconnects).
    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>,
    ) -> Result<T, String> {
        let r = f(self.client()?);
        if r.is_err() {
            self.client = None;
        }
        r.map_err(|e| format!("history store: {e}"))
    }
}

impl Store for Postgres {
    fn write(&mut self, b: &Batch) -> Result<(), String> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            for l in &b.lines {
                let short = i32::from(l.short);
                tx.execute(
                    INSERT_LINE,
                    &[
                        &b.site,
                        &l.order_id,
                        &l.line_id,
                        &l.module_id,
                        &l.location,
                        &l.zone,
                        &l.picker,
                        &l.asked,
                        &l.confirmed,
                        &short,
                        &l.lit_clock_s,
                        &l.done_clock_s,
                        &l.done_ms,
                    ],
                )?;
            }
            for o in &b.orders {
                tx.execute(
                    INSERT_ORDER,
                    &[
                        &b.site,
                        &o.order_id,
                        &o.priority,
                        &o.zone,
                        &o.release_clock_s,
                        &o.done_clock_s,
                        &o.done_ms,
                    ],
                )?;
            }
            for i in &b.incidents {
                tx.execute(
                    UPSERT_INCIDENT,
                    &[
                        &b.site,
                        &i.controller,
                        &i.started_ms,
                        &i.started_clock_s,
                        &i.ended_ms,
                        &i.ended_clock_s,
                    ],
                )?;
            }
            tx.commit()
        })
    }

    fn read(&mut self, site: &str, from_s: f64, to_s: f64) -> Result<Batch, String> {
        let site_s = site.to_owned();
        self.with(|c| {
            let p: [&(dyn postgres::types::ToSql + Sync); 3] = [&site_s, &from_s, &to_s];
            let lines = c
                .query(SELECT_LINES, &p)?
                .iter()
                .map(|r| LineRow {
                    order_id: r.get(0),
                    line_id: r.get(1),
                    module_id: r.get(2),
                    location: r.get(3),
                    zone: r.get(4),
                    picker: r.get(5),
                    asked: r.get(6),
                    confirmed: r.get(7),
                    short: r.get::<_, i32>(8) != 0,
                    lit_clock_s: r.get(9),
                    done_clock_s: r.get(10),
                    done_ms: r.get(11),
                })
                .collect();
            let orders = c
                .query(SELECT_ORDERS, &p)?
                .iter()
                .map(|r| OrderRow {
                    order_id: r.get(0),
                    priority: r.get(1),
                    zone: r.get(2),
                    release_clock_s: r.get(3),
                    done_clock_s: r.get(4),
                    done_ms: r.get(5),
                })
                .collect();
            let incidents = c
                .query(SELECT_INCIDENTS, &p)?
                .iter()
                .map(|r| IncidentRow {
                    controller: r.get(0),
                    started_ms: r.get(1),
                    started_clock_s: r.get(2),
                    ended_ms: r.get(3),
                    ended_clock_s: r.get(4),
                })
                .collect();
            Ok(Batch { site: site_s.clone(), lines, orders, incidents })
        })
    }
}
