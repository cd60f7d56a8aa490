//! The connector's two queries, built once from the layout's table and column names (plain
//! identifiers only: `twin_model::sources::is_sql_identifier`, checked by validation and again
//! here) in the dialect of the database. Every value is cast in SQL to one of three shapes
//! (64-bit integer, text, epoch milliseconds), so both backends decode rows the same way and a
//! site's `INT4` or `VARCHAR` column reads like the reference schema's.

use twin_model::sources::{LineTable, OrderTable, WmsSchema, is_sql_identifier};

/// Which SQL the database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: `$n` parameters, `EXTRACT(EPOCH ...)`.
    Postgres,
    /// SQLite: `?n` parameters, `julianday(...)`.
    Sqlite,
}

/// The two incremental queries: rows changed after a `(revision, id)` cursor, oldest change
/// first, at most a batch. Parameters: revision, id, limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queries {
    /// Order headers: id, priority, zone, released (ms), due (ms), status, picker, revision.
    pub orders: String,
    /// Lines: id, order id, location, sku, quantity, confirmed, status, revision.
    pub lines: String,
    /// The same order columns for a list of ids (parameter 1: the ids).
    pub orders_by_id: String,
    /// The same line columns for a list of order ids.
    pub lines_of_orders: String,
}

impl Queries {
    /// Builds both queries; `Err` names the first name that is not a plain identifier.
    pub fn new(schema: &WmsSchema, dialect: Dialect) -> Result<Self, String> {
        check(&schema.orders, &schema.lines)?;
        let (o, l) = (&schema.orders, &schema.lines);
        let (orders_sel, lines_sel) = (select_orders(o, dialect), select_lines(l, dialect));
        Ok(Self {
            orders: format!("{orders_sel} {}", cursor(dialect, &o.revision, &o.id)),
            lines: format!("{lines_sel} {}", cursor(dialect, &l.revision, &l.id)),
            orders_by_id: format!("{orders_sel} WHERE {}", in_list(dialect, &o.id)),
            lines_of_orders: format!("{lines_sel} WHERE {}", in_list(dialect, &l.order_id)),
        })
    }
}

fn check(o: &OrderTable, l: &LineTable) -> Result<(), String> {
    let names = [
        &o.table,
        &o.id,
        &o.priority,
        &o.zone,
        &o.released_at,
        &o.due_at,
        &o.status,
        &o.picker,
        &o.revision,
        &l.table,
        &l.id,
        &l.order_id,
        &l.location,
        &l.sku,
        &l.quantity,
        &l.confirmed,
        &l.status,
        &l.revision,
    ];
    match names.into_iter().find(|n| !is_sql_identifier(n)) {
        Some(bad) => Err(format!("{bad:?} is not a plain SQL name")),
        None => Ok(()),
    }
}

fn int(d: Dialect, col: &str) -> String {
    match d {
        Dialect::Postgres => format!("CAST({col} AS BIGINT)"),
        Dialect::Sqlite => format!("CAST({col} AS INTEGER)"),
    }
}

fn text(col: &str) -> String {
    format!("CAST({col} AS TEXT)")
}

/// A timestamp with time zone as milliseconds since the Unix epoch (NULL stays NULL). SQLite
/// keeps timestamps as ISO-8601 text (`2026-12-01T08:00:00.000+01:00`); `julianday` honours
/// the offset.
fn epoch_ms(d: Dialect, col: &str) -> String {
    match d {
        Dialect::Postgres => format!("CAST(ROUND(EXTRACT(EPOCH FROM {col}) * 1000) AS BIGINT)"),
        Dialect::Sqlite => format!("CAST(ROUND((julianday({col}) - 2440587.5) * 86400000.0) AS INTEGER)"),
    }
}

fn cursor(d: Dialect, rev: &str, id: &str) -> String {
    // The parameters are cast, not the columns: an `INT4` column compares with a `BIGINT`
    // parameter and its index still serves the query.
    let (p1, p2, p3) = match d {
        Dialect::Postgres => ("CAST($1 AS BIGINT)", "CAST($2 AS BIGINT)", "$3"),
        Dialect::Sqlite => ("?1", "?2", "?3"),
    };
    // Keyset on (revision, id): rows sharing a revision (one transaction) are neither skipped
    // nor read twice at a batch boundary; with an index on (revision, id) it reads only the
    // changed rows, never the table.
    format!("WHERE {rev} > {p1} OR ({rev} = {p1} AND {id} > {p2}) ORDER BY {rev}, {id} LIMIT {p3}")
}

/// `column IN (ids)`: a `BIGINT[]` parameter in PostgreSQL, a JSON array in SQLite (which has no
/// array parameters); one statement for any number of ids.
fn in_list(d: Dialect, col: &str) -> String {
    match d {
        Dialect::Postgres => format!("{col} = ANY(CAST($1 AS BIGINT[]))"),
        Dialect::Sqlite => format!("{col} IN (SELECT value FROM json_each(?1))"),
    }
}

fn select_orders(o: &OrderTable, d: Dialect) -> String {
    format!(
        "SELECT {}, {}, {}, {}, {}, {}, {}, {} FROM {}",
        int(d, &o.id),
        int(d, &o.priority),
        text(&o.zone),
        epoch_ms(d, &o.released_at),
        epoch_ms(d, &o.due_at),
        text(&o.status),
        text(&o.picker),
        int(d, &o.revision),
        o.table,
    )
}

fn select_lines(l: &LineTable, d: Dialect) -> String {
    format!(
        "SELECT {}, {}, {}, {}, {}, {}, {}, {} FROM {}",
        int(d, &l.id),
        int(d, &l.order_id),
        text(&l.location),
        text(&l.sku),
        int(d, &l.quantity),
        int(d, &l.confirmed),
        text(&l.status),
        int(d, &l.revision),
        l.table,
    )
}

/// The reference schema (docs/sources.md) for SQLite: what the simulator's WMS writes and
/// what a test database is made of.
pub const SQLITE_REFERENCE_SCHEMA: &str = include_str!("../../sql/reference_sqlite.sql");

/// The reference schema for PostgreSQL: one sequence gives every insert and update a new
/// revision (a trigger), so writers need not know about it.
pub const POSTGRES_REFERENCE_SCHEMA: &str = include_str!("../../sql/reference_postgres.sql");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_orders_query_reads_changed_rows_only() {
        let q = Queries::new(&WmsSchema::default(), Dialect::Postgres).unwrap();
        assert_eq!(
            q.orders,
            "SELECT CAST(order_id AS BIGINT), CAST(priority AS BIGINT), CAST(zone AS TEXT), \
             CAST(ROUND(EXTRACT(EPOCH FROM released_at) * 1000) AS BIGINT), \
             CAST(ROUND(EXTRACT(EPOCH FROM due_at) * 1000) AS BIGINT), CAST(status AS TEXT), \
             CAST(picker AS TEXT), CAST(revision AS BIGINT) FROM wms_order \
             WHERE revision > CAST($1 AS BIGINT) OR (revision = CAST($1 AS BIGINT) AND order_id > CAST($2 AS BIGINT)) \
             ORDER BY revision, order_id LIMIT $3"
        );
        assert!(q.lines.starts_with("SELECT CAST(line_id AS BIGINT), CAST(order_id AS BIGINT)"));
        assert!(Queries::new(&WmsSchema::default(), Dialect::Sqlite).unwrap().lines.contains("?3"));
        assert!(q.lines_of_orders.ends_with("FROM wms_line WHERE order_id = ANY(CAST($1 AS BIGINT[]))"));
        let s = Queries::new(&WmsSchema::default(), Dialect::Sqlite).unwrap();
        assert!(
            s.orders_by_id.ends_with("FROM wms_order WHERE order_id IN (SELECT value FROM json_each(?1))")
        );
    }

    #[test]
    fn names_are_checked_again() {
        let mut s = WmsSchema::default();
        s.lines.sku = "sku; DROP TABLE x".into();
        assert_eq!(
            Queries::new(&s, Dialect::Sqlite).unwrap_err(),
            "\"sku; DROP TABLE x\" is not a plain SQL name"
        );
    }
}
