-- picktwin WMS reference schema, SQLite (docs/sources.md). The simulator writes it; the
-- connector reads it. Timestamps are ISO-8601 text with offset.
CREATE TABLE IF NOT EXISTS wms_order (
    order_id    INTEGER PRIMARY KEY,
    priority    INTEGER NOT NULL DEFAULT 0,
    zone        TEXT,
    released_at TEXT NOT NULL,
    due_at      TEXT,
    status      TEXT NOT NULL,
    picker      TEXT,
    revision    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS wms_order_revision ON wms_order (revision, order_id);
CREATE TABLE IF NOT EXISTS wms_line (
    line_id       INTEGER PRIMARY KEY,
    order_id      INTEGER NOT NULL,
    location      TEXT NOT NULL,
    sku           TEXT,
    qty_asked     INTEGER NOT NULL,
    qty_confirmed INTEGER,
    status        TEXT NOT NULL,
    revision      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS wms_line_revision ON wms_line (revision, line_id);
CREATE INDEX IF NOT EXISTS wms_line_order ON wms_line (order_id);
