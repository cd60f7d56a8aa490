-- picktwin WMS reference schema, PostgreSQL (docs/sources.md): `psql -f` it into the WMS
-- database, or map your own tables onto it with a view. A sequence and triggers keep
-- `revision` growing with every insert and update, so writers need not know about it.
CREATE SEQUENCE IF NOT EXISTS wms_revision;
CREATE TABLE IF NOT EXISTS wms_order (
    order_id    BIGINT PRIMARY KEY,
    priority    SMALLINT NOT NULL DEFAULT 0,
    zone        TEXT,
    released_at TIMESTAMPTZ NOT NULL,
    due_at      TIMESTAMPTZ,
    status      TEXT NOT NULL,
    picker      TEXT,
    revision    BIGINT NOT NULL DEFAULT nextval('wms_revision')
);
CREATE INDEX IF NOT EXISTS wms_order_revision ON wms_order (revision, order_id);
CREATE TABLE IF NOT EXISTS wms_line (
    line_id       BIGINT PRIMARY KEY,
    order_id      BIGINT NOT NULL REFERENCES wms_order,
    location      TEXT NOT NULL,
    sku           TEXT,
    qty_asked     INTEGER NOT NULL,
    qty_confirmed INTEGER,
    status        TEXT NOT NULL,
    revision      BIGINT NOT NULL DEFAULT nextval('wms_revision')
);
CREATE INDEX IF NOT EXISTS wms_line_revision ON wms_line (revision, line_id);
CREATE INDEX IF NOT EXISTS wms_line_order ON wms_line (order_id);
CREATE OR REPLACE FUNCTION wms_bump_revision() RETURNS trigger AS $$
BEGIN NEW.revision := nextval('wms_revision'); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE OR REPLACE TRIGGER wms_order_revision BEFORE UPDATE ON wms_order
    FOR EACH ROW EXECUTE FUNCTION wms_bump_revision();
CREATE OR REPLACE TRIGGER wms_line_revision BEFORE UPDATE ON wms_line
    FOR EACH ROW EXECUTE FUNCTION wms_bump_revision();
