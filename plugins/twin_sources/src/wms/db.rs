//! The two database backends behind one trait: PostgreSQL (a real site: read-only session,
//! connect and statement timeouts, optional TLS) and SQLite (the simulator's WMS, opened
//! read-only). Rows come back in the shapes [`super::sql`] casts them to.

use std::time::Duration;

use twin_model::sources::{SqlTls, WmsSql};

use super::sql::{Dialect, Queries};

/// One order header row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderRow {
    /// Order id.
    pub id: i64,
    /// Priority.
    pub priority: Option<i64>,
    /// Zone name.
    pub zone: Option<String>,
    /// Release time, Unix epoch milliseconds.
    pub released_ms: Option<i64>,
    /// Due time, Unix epoch milliseconds.
    pub due_ms: Option<i64>,
    /// Status text.
    pub status: Option<String>,
    /// Picker id.
    pub picker: Option<String>,
    /// Change counter.
    pub revision: i64,
}

/// One line row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineRow {
    /// Line id.
    pub id: i64,
    /// Order id.
    pub order_id: Option<i64>,
    /// Location code of its module.
    pub location: Option<String>,
    /// Article.
    pub sku: Option<String>,
    /// Quantity asked.
    pub quantity: Option<i64>,
    /// Quantity confirmed.
    pub confirmed: Option<i64>,
    /// Status text.
    pub status: Option<String>,
    /// Change counter.
    pub revision: i64,
}

/// A `(revision, id)` keyset cursor: the last row read.
pub type Cursor = (i64, i64);

/// A database the connector reads.
pub trait Db: Send {
    /// Order rows changed after `after`, oldest change first, at most `limit`.
    fn orders(&mut self, after: Cursor, limit: u32) -> Result<Vec<OrderRow>, String>;
    /// Line rows changed after `after`.
    fn lines(&mut self, after: Cursor, limit: u32) -> Result<Vec<LineRow>, String>;
    /// The order rows with these ids (the periodic re-read of open orders).
    fn orders_by_id(&mut self, ids: &[i64]) -> Result<Vec<OrderRow>, String>;
    /// Every line row of these orders.
    fn lines_of_orders(&mut self, ids: &[i64]) -> Result<Vec<LineRow>, String>;
}

/// Opens the database `cfg` names; `Err` says what failed, naming the table where it can.
pub fn open(cfg: &WmsSql, timeout: Duration) -> Result<Box<dyn Db>, String> {
    if let Some(path) = cfg.url.strip_prefix("sqlite:") {
        let q = Queries::new(&cfg.schema, Dialect::Sqlite)?;
        return Ok(Box::new(Sqlite::open(path, q, timeout)?));
    }
    let q = Queries::new(&cfg.schema, Dialect::Postgres)?;
    Ok(Box::new(Postgres::connect(cfg, q, timeout)?))
}

/// SQLite, read-only: the writer (the simulator) owns the file.
struct Sqlite {
    conn: rusqlite::Connection,
    q: Queries,
}

impl Sqlite {
    fn open(path: &str, q: Queries, timeout: Duration) -> Result<Self, String> {
        use rusqlite::OpenFlags;
        let flags =
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn =
            rusqlite::Connection::open_with_flags(path, flags).map_err(|e| format!("sqlite {path}: {e}"))?;
        conn.busy_timeout(timeout).map_err(|e| format!("sqlite {path}: {e}"))?;
        // Keyset reads touch the newest pages: a 256 KiB page cache holds them, and a reader
        // running for months stays at that instead of SQLite's default 2 MB per connection.
        conn.pragma_update(None, "cache_size", -256).map_err(|e| format!("sqlite {path}: {e}"))?;
        let s = Self { conn, q };
        // Prepare both now: a missing table or column is reported on connect, by name.
        s.conn.prepare_cached(&s.q.orders).map_err(|e| format!("sqlite {path}: orders query: {e}"))?;
        s.conn.prepare_cached(&s.q.lines).map_err(|e| format!("sqlite {path}: lines query: {e}"))?;
        Ok(s)
    }
}

fn sqlite_err(what: &str, e: rusqlite::Error) -> String {
    format!("sqlite {what}: {e}")
}

fn sqlite_order(r: &rusqlite::Row<'_>) -> rusqlite::Result<OrderRow> {
    Ok(OrderRow {
        id: r.get::<_, Option<i64>>(0)?.unwrap_or(0),
        priority: r.get(1)?,
        zone: r.get(2)?,
        released_ms: r.get(3)?,
        due_ms: r.get(4)?,
        status: r.get(5)?,
        picker: r.get(6)?,
        revision: r.get::<_, Option<i64>>(7)?.unwrap_or(0),
    })
}

fn sqlite_line(r: &rusqlite::Row<'_>) -> rusqlite::Result<LineRow> {
    Ok(LineRow {
        id: r.get::<_, Option<i64>>(0)?.unwrap_or(0),
        order_id: r.get(1)?,
        location: r.get(2)?,
        sku: r.get(3)?,
        quantity: r.get(4)?,
        confirmed: r.get(5)?,
        status: r.get(6)?,
        revision: r.get::<_, Option<i64>>(7)?.unwrap_or(0),
    })
}

/// Ids as the JSON array SQLite's `json_each` reads (SQLite has no array parameters).
fn json_ids(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("[{}]", list.join(","))
}

/// Runs a cached statement (prepared once per connection).
fn sqlite_query<T>(
    conn: &rusqlite::Connection,
    what: &str,
    sql: &str,
    params: impl rusqlite::Params,
    row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, String> {
    let mut st = conn.prepare_cached(sql).map_err(|e| sqlite_err(what, e))?;
    let rows = st.query_map(params, row).map_err(|e| sqlite_err(what, e))?;
    rows.collect::<Result<_, _>>().map_err(|e| sqlite_err(what, e))
}

impl Db for Sqlite {
    fn orders(&mut self, after: Cursor, limit: u32) -> Result<Vec<OrderRow>, String> {
        sqlite_query(&self.conn, "orders", &self.q.orders, (after.0, after.1, i64::from(limit)), sqlite_order)
    }

    fn lines(&mut self, after: Cursor, limit: u32) -> Result<Vec<LineRow>, String> {
        sqlite_query(&self.conn, "lines", &self.q.lines, (after.0, after.1, i64::from(limit)), sqlite_line)
    }

    fn orders_by_id(&mut self, ids: &[i64]) -> Result<Vec<OrderRow>, String> {
        sqlite_query(&self.conn, "orders", &self.q.orders_by_id, [json_ids(ids)], sqlite_order)
    }

    fn lines_of_orders(&mut self, ids: &[i64]) -> Result<Vec<LineRow>, String> {
        sqlite_query(&self.conn, "lines", &self.q.lines_of_orders, [json_ids(ids)], sqlite_line)
    }
}

/// PostgreSQL in a read-only session.
struct Postgres {
    client: postgres::Client,
    orders: postgres::Statement,
    lines: postgres::Statement,
    orders_by_id: postgres::Statement,
    lines_of_orders: postgres::Statement,
}

impl Postgres {
    fn connect(cfg: &WmsSql, q: Queries, timeout: Duration) -> Result<Self, String> {
        let mut pg: postgres::Config = cfg.url.parse().map_err(|e| format!("postgres url: {e}"))?;
        if let Some(var) = &cfg.password_env {
            let pw = std::env::var(var)
                .map_err(|_| format!("environment variable {var} (the WMS password) is not set"))?;
            pg.password(pw);
        }
        pg.connect_timeout(timeout).application_name("picktwin");
        // Every statement of this session is read-only and bounded in time: a twin never
        // writes to the WMS and a slow query becomes an alarm, not a hung connector.
        pg.options(&format!(
            "-c default_transaction_read_only=on -c statement_timeout={}",
            timeout.as_millis()
        ));
        let mut client = match &cfg.tls {
            SqlTls::Disable => pg.connect(postgres::NoTls),
            SqlTls::Require { ca } => {
                pg.ssl_mode(postgres::config::SslMode::Require);
                pg.connect(tls_connector(ca)?)
            }
        }
        .map_err(|e| format!("postgres connect: {}", pg_text(&e)))?;
        let orders = client.prepare(&q.orders).map_err(|e| format!("orders query: {}", pg_text(&e)))?;
        let lines = client.prepare(&q.lines).map_err(|e| format!("lines query: {}", pg_text(&e)))?;
        let orders_by_id =
            client.prepare(&q.orders_by_id).map_err(|e| format!("orders query: {}", pg_text(&e)))?;
        let lines_of_orders =
            client.prepare(&q.lines_of_orders).map_err(|e| format!("lines query: {}", pg_text(&e)))?;
        Ok(Self { client, orders, lines, orders_by_id, lines_of_orders })
    }
}

/// The server's message when there is one ("column \"x\" does not exist"), else the error.
fn pg_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(inner) = src {
                s = format!("{s}: {inner}");
                src = inner.source();
            }
            s
        }
    }
}

fn tls_connector(ca: &str) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let pem = std::fs::read(ca).map_err(|e| format!("{ca}: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    let mut found = 0;
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
        let cert: rustls::pki_types::CertificateDer<'static> = cert.map_err(|e| format!("{ca}: {e}"))?;
        roots.add(cert).map_err(|e| format!("{ca}: {e}"))?;
        found += 1;
    }
    if found == 0 {
        return Err(format!("{ca}: no certificate in the file"));
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn pg_order(r: &postgres::Row) -> Result<OrderRow, postgres::Error> {
    Ok(OrderRow {
        id: r.try_get::<_, Option<i64>>(0)?.unwrap_or(0),
        priority: r.try_get(1)?,
        zone: r.try_get(2)?,
        released_ms: r.try_get(3)?,
        due_ms: r.try_get(4)?,
        status: r.try_get(5)?,
        picker: r.try_get(6)?,
        revision: r.try_get::<_, Option<i64>>(7)?.unwrap_or(0),
    })
}

fn pg_line(r: &postgres::Row) -> Result<LineRow, postgres::Error> {
    Ok(LineRow {
        id: r.try_get::<_, Option<i64>>(0)?.unwrap_or(0),
        order_id: r.try_get(1)?,
        location: r.try_get(2)?,
        sku: r.try_get(3)?,
        quantity: r.try_get(4)?,
        confirmed: r.try_get(5)?,
        status: r.try_get(6)?,
        revision: r.try_get::<_, Option<i64>>(7)?.unwrap_or(0),
    })
}

/// Runs a prepared statement.
fn pg_query<T>(
    client: &mut postgres::Client,
    what: &str,
    st: &postgres::Statement,
    params: &[&(dyn postgres::types::ToSql + Sync)],
    row: fn(&postgres::Row) -> Result<T, postgres::Error>,
) -> Result<Vec<T>, String> {
    let rows = client.query(st, params).map_err(|e| format!("{what} query: {}", pg_text(&e)))?;
    rows.iter().map(|r| row(r).map_err(|e| format!("{what} query: {e}"))).collect()
}

impl Db for Postgres {
    fn orders(&mut self, after: Cursor, limit: u32) -> Result<Vec<OrderRow>, String> {
        pg_query(&mut self.client, "orders", &self.orders, &[&after.0, &after.1, &i64::from(limit)], pg_order)
    }

    fn lines(&mut self, after: Cursor, limit: u32) -> Result<Vec<LineRow>, String> {
        pg_query(&mut self.client, "lines", &self.lines, &[&after.0, &after.1, &i64::from(limit)], pg_line)
    }

    fn orders_by_id(&mut self, ids: &[i64]) -> Result<Vec<OrderRow>, String> {
        pg_query(&mut self.client, "orders", &self.orders_by_id, &[&ids], pg_order)
    }

    fn lines_of_orders(&mut self, ids: &[i64]) -> Result<Vec<LineRow>, String> {
        pg_query(&mut self.client, "lines", &self.lines_of_orders, &[&ids], pg_line)
    }
}
