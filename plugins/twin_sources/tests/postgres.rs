//! The WMS connector against a real PostgreSQL server the test starts on loopback: rows the
//! test inserts and updates reach the overlay's model within a poll, a line whose module a
//! controller lights is tied to its order, a stopped and restarted server raises an alarm and
//! recovers with nothing lost, and a wrong column is named in the alarm.

use std::sync::Arc;
use std::time::{Duration, Instant};

use twin_model::codes::{Mode, OrderStatus};
use twin_model::sources::WmsSql;
use twin_overlay::ops::{AlarmKind, Place};
use twin_sim::Command;
use twin_sources::{POSTGRES_REFERENCE_SCHEMA, SourceOverrides};

mod common;
use common::{Postgres, Twin, layout};

const POLL_MS: u32 = 100;

fn open_alarm(t: &Twin, kind: AlarmKind) -> Option<String> {
    t.ops
        .alarms
        .newest_first()
        .find(|a| a.kind == kind && a.place == Place::Source(twin_link::SourceKind::Orders) && a.is_open())
        .map(|a| a.detail.clone())
}

#[test]
fn rows_reach_the_twin_within_a_poll_lit_lines_tie_to_their_order_and_an_outage_loses_nothing() {
    let pg = Postgres::start();
    let mut db = pg.client();
    db.batch_execute(POSTGRES_REFERENCE_SCHEMA).unwrap();
    let site = Arc::new(layout("demo.ron"));
    let (rt, sim, endpoints) = common::still_sim(&site, twin_sim::SimExtras::default());
    let wms = WmsSql { poll_ms: POLL_MS, ..WmsSql::new(pg.url()) };
    let mut twin = Twin::start(&site, &endpoints, &SourceOverrides { wms: Some(wms), ..Default::default() });
    let (m5, m9) = (&site.modules[5], &site.modules[9]);

    // Insert an order with two lines; it appears within one poll (plus the twin's own pass).
    db.execute(
        "INSERT INTO wms_order (order_id, priority, zone, released_at, due_at, status, picker) \
         VALUES (4711, 1, 'PICK', '2026-12-01 08:30:00+01', '2026-12-01 10:00:00+01', 'released', NULL)",
        &[],
    )
    .unwrap();
    db.execute(
        "INSERT INTO wms_line (line_id, order_id, location, sku, qty_asked, status) \
         VALUES (1, 4711, $1, 'PZN-111', 3, 'open'), (2, 4711, $2, 'PZN-222', 1, 'open')",
        &[&&*m5.location, &&*m9.location],
    )
    .unwrap();
    let inserted = Instant::now();
    assert!(
        twin.until(Duration::from_secs(5), |t| t.ops.orders.get(4711).is_some_and(|o| o.modules.len() == 2))
    );
    let took = inserted.elapsed();
    eprintln!("insert to overlay model: {took:?} (poll {POLL_MS} ms)");
    assert!(
        took < Duration::from_millis(u64::from(POLL_MS) * 2 + 400),
        "{took:?} for one poll of {POLL_MS} ms"
    );
    let o = twin.ops.orders.get(4711).unwrap().clone();
    // 07:30 UTC on the site clock (offset +00:00), due 09:00.
    assert_eq!(
        (o.release_s, o.due_s, o.priority, o.lines_total, o.status),
        (27_000, 32_400, 1, 2, OrderStatus::Pending)
    );
    assert_eq!(o.modules, vec![5, 9]);

    // The controller lights module 5 (no job ids tie it): the order finds it by its line.
    {
        let mut c = sim.controllers()[0].lock().unwrap();
        let cmd =
            Command { mode: Mode::Pick, quantity: 3, location: &m5.location, colour: 1, job: 0, sequence: 1 };
        c.command(m5.address, cmd).unwrap();
    }
    assert!(
        twin.until(Duration::from_secs(5), |t| t.ops.order_modules(4711) == [5]),
        "selecting the order highlights module 5"
    );

    // Updates: picking, then the first line done.
    db.execute(
        "UPDATE wms_order SET status = 'picking', picker = $1 WHERE order_id = 4711",
        &[&site.layout.pickers[0].id],
    )
    .unwrap();
    db.execute("UPDATE wms_line SET status = 'done', qty_confirmed = 3 WHERE line_id = 1", &[]).unwrap();
    assert!(twin.until(Duration::from_secs(5), |t| {
        t.ops
            .orders
            .get(4711)
            .is_some_and(|o| o.lines_done == 1 && o.status == OrderStatus::Active && o.picker == Some(0))
    }));

    // A row written just before the server goes away, then the outage.
    db.execute("UPDATE wms_line SET status = 'short', qty_confirmed = 0 WHERE line_id = 2", &[]).unwrap();
    drop(db);
    pg.stop();
    assert!(
        twin.until(Duration::from_secs(10), |t| open_alarm(t, AlarmKind::SourceDown).is_some()),
        "an alarm while down"
    );
    let detail = open_alarm(&twin, AlarmKind::SourceDown).unwrap();
    assert!(detail.contains("postgres://twin@127.0.0.1"), "the alarm names the database: {detail}");
    // The rest of the twin carries on: the controller's data still flows.
    let before = twin.seen.len();
    assert!(twin.until(Duration::from_secs(5), |t| t.seen.len() > before + 2));
    pg.restart();
    let mut db = pg.client();
    db.execute(
        "INSERT INTO wms_order (order_id, released_at, status) VALUES (4712, '2026-12-01 09:00:00+00', 'released')",
        &[],
    )
    .unwrap();
    assert!(
        twin.until(Duration::from_secs(40), |t| open_alarm(t, AlarmKind::SourceDown).is_none()
            && t.ops.orders.get(4711).is_some_and(|o| o.lines_done == 2)
            && t.ops.orders.get(4712).is_some()),
        "recovered: the alarm cleared, the update from before the outage and the new order read"
    );
    drop(twin);
    rt.block_on(sim.shutdown());
}

#[test]
fn a_wrong_column_is_named_in_the_alarm_and_retried() {
    let pg = Postgres::start();
    pg.client().batch_execute(POSTGRES_REFERENCE_SCHEMA).unwrap();
    let site = Arc::new(layout("demo.ron"));
    let mut wms = WmsSql { poll_ms: POLL_MS, ..WmsSql::new(pg.url()) };
    wms.schema.lines.sku = "article".into();
    // No controller answers here: the WMS side must not need one.
    let mut twin = Twin::start(
        &site,
        &["127.0.0.1:1".into()],
        &SourceOverrides { wms: Some(wms), ..Default::default() },
    );
    assert!(twin.until(Duration::from_secs(10), |t| open_alarm(t, AlarmKind::SourceDown).is_some()));
    let detail = open_alarm(&twin, AlarmKind::SourceDown).unwrap();
    assert!(detail.contains("lines query") && detail.contains("\"article\" does not exist"), "{detail}");
    // One alarm for one cause, however often it retries.
    std::thread::sleep(Duration::from_secs(2));
    twin.pump();
    let raised = twin.ops.alarms.newest_first().filter(|a| a.kind == AlarmKind::SourceDown).count();
    assert_eq!(raised, 1);
}

#[test]
fn tls_to_the_server_is_checked_against_the_site_ca() {
    let pg = Postgres::start_tls();
    let mut db = pg.client();
    db.batch_execute(POSTGRES_REFERENCE_SCHEMA).unwrap();
    db.execute("INSERT INTO wms_order (order_id, released_at, status) VALUES (77, now(), 'released')", &[])
        .unwrap();
    let site = Arc::new(layout("demo.ron"));
    let tls = |ca: &std::path::Path| WmsSql {
        poll_ms: POLL_MS,
        tls: twin_model::sources::SqlTls::Require { ca: ca.display().to_string() },
        ..WmsSql::new(pg.url())
    };
    let mut twin = Twin::start(
        &site,
        &["127.0.0.1:1".into()],
        &SourceOverrides { wms: Some(tls(&pg.ca())), ..Default::default() },
    );
    let read = twin.until(Duration::from_secs(10), |t| t.ops.orders.get(77).is_some());
    assert!(read, "read over TLS: {:?}", open_alarm(&twin, AlarmKind::SourceDown));
    let ssl: bool = db
        .query_one(
            "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = 'picktwin'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ssl, "the connector's session is encrypted");
    drop(twin);
    // A CA that did not sign the server's certificate: refused, and the alarm says why.
    let other = common::temp_dir("other-ca");
    let out = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=someone else"])
        .arg("-keyout")
        .arg(other.join("k.pem"))
        .arg("-out")
        .arg(other.join("ca.pem"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut twin = Twin::start(
        &site,
        &["127.0.0.1:1".into()],
        &SourceOverrides { wms: Some(tls(&other.join("ca.pem"))), ..Default::default() },
    );
    assert!(twin.until(Duration::from_secs(10), |t| open_alarm(t, AlarmKind::SourceDown).is_some()));
    let detail = open_alarm(&twin, AlarmKind::SourceDown).unwrap();
    assert!(detail.to_lowercase().contains("certificate"), "{detail}");
    assert!(twin.ops.orders.get(77).is_none());
    std::fs::remove_dir_all(&other).unwrap();
}

#[test]
fn a_slow_query_becomes_an_alarm_not_a_hung_connector() {
    let pg = Postgres::start();
    let mut db = pg.client();
    db.batch_execute(POSTGRES_REFERENCE_SCHEMA).unwrap();
    // A view that takes longer than the connector's 5 s statement timeout.
    db.batch_execute("CREATE VIEW slow_line AS SELECT * FROM wms_line WHERE pg_sleep(6) IS NOT NULL")
        .unwrap();
    // The view sleeps per row: give it one.
    db.batch_execute(
        "INSERT INTO wms_order (order_id, released_at, status) VALUES (1, now(), 'released'); \
         INSERT INTO wms_line (line_id, order_id, location, qty_asked, status) VALUES (1, 1, 'X', 1, 'open')",
    )
    .unwrap();
    let site = Arc::new(layout("demo.ron"));
    let mut wms = WmsSql { poll_ms: POLL_MS, ..WmsSql::new(pg.url()) };
    wms.schema.lines.table = "slow_line".into();
    let mut twin = Twin::start(
        &site,
        &["127.0.0.1:1".into()],
        &SourceOverrides { wms: Some(wms), ..Default::default() },
    );
    let started = Instant::now();
    assert!(twin.until(Duration::from_secs(15), |t| open_alarm(t, AlarmKind::SourceDown).is_some()));
    let detail = open_alarm(&twin, AlarmKind::SourceDown).unwrap();
    assert!(detail.contains("statement timeout"), "{detail}");
    // The timeout, not the query, decided: the alarm came after about 5 s.
    assert!(started.elapsed() < Duration::from_secs(9), "{:?}", started.elapsed());
}

#[test]
fn a_row_committed_behind_the_cursor_is_found_by_the_reread() {
    let pg = Postgres::start();
    let mut db = pg.client();
    db.batch_execute(POSTGRES_REFERENCE_SCHEMA).unwrap();
    let site = Arc::new(layout("demo.ron"));
    let wms = WmsSql { poll_ms: POLL_MS, reread_s: 1, ..WmsSql::new(pg.url()) };
    let mut twin = Twin::start(
        &site,
        &["127.0.0.1:1".into()],
        &SourceOverrides { wms: Some(wms), ..Default::default() },
    );
    db.batch_execute(
        "INSERT INTO wms_order (order_id, released_at, status) VALUES (1, now(), 'picking');
         INSERT INTO wms_line (line_id, order_id, location, qty_asked, status) VALUES (10, 1, 'X', 1, 'open')",
    )
    .unwrap();
    assert!(twin.until(Duration::from_secs(5), |t| t.ops.orders.get(1).is_some_and(|o| o.lines_total == 1)));
    // A line whose transaction took its revision early and committed late: below the cursor.
    let m = &site.modules[7].location;
    db.execute(
        "INSERT INTO wms_line (line_id, order_id, location, qty_asked, status, revision) VALUES (11, 1, $1, 2, 'lit', 1)",
        &[&&**m],
    )
    .unwrap();
    assert!(
        twin.until(Duration::from_secs(5), |t| t.ops.orders.get(1).is_some_and(|o| o.modules.contains(&7))),
        "the re-read of open orders found it"
    );
}
