//! The history store (twin_report) on a real PostgreSQL server this crate's harness starts on
//! loopback: lines completed while the server is down are spooled to disk and written once it
//! is back, in order, with nothing lost or doubled; an incident that started and ended is one
//! row with both times. (It lives here, beside the PostgreSQL harness the WMS tests use.)

use std::time::Duration;

use twin_link::{ConnectionState, ControllerHealth, LinkMessage, OrderLine};
use twin_model::codes::LineStatus;
use twin_report::history::HistoryThread;

mod common;
use common::{Postgres, layout, temp_dir};

fn health(clock_s: u32, connection: ConnectionState) -> LinkMessage {
    LinkMessage::Health {
        controller: 0,
        health: Box::new(ControllerHealth { connection, polls: 1, clock_s, ..Default::default() }),
    }
}

fn line(k: u32) -> LinkMessage {
    let line = OrderLine {
        order_id: 100 + k / 3,
        line_id: k,
        module: k,
        quantity: 2,
        confirmed: 2 - u16::from(k.is_multiple_of(7)),
        status: if k.is_multiple_of(7) { LineStatus::Short } else { LineStatus::Done } as u16,
        ..Default::default()
    };
    LinkMessage::Line { slot: 0, index: (k % 3) as u16, line }
}

#[test]
fn an_outage_spools_lines_and_catches_up_with_nothing_lost_or_doubled() {
    let pg = Postgres::start();
    let site = layout("demo.ron");
    let spool = temp_dir("history-spool").join("north.history.spool");
    let (tx, rx) = crossbeam_channel::unbounded();
    let writer = HistoryThread::spawn(&site, rx, &pg.url(), spool.clone()).unwrap();
    let t0 = 7 * 3600;
    tx.send(health(t0, ConnectionState::Connected)).unwrap();
    for k in 0..10 {
        tx.send(line(k)).unwrap();
    }
    std::thread::sleep(Duration::from_millis(1500));
    // The server goes away; the controller drops out and comes back meanwhile.
    pg.stop();
    tx.send(health(t0 + 60, ConnectionState::Disconnected)).unwrap();
    for k in 10..20 {
        tx.send(line(k)).unwrap();
    }
    tx.send(health(t0 + 120, ConnectionState::Connected)).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert!(spool.exists(), "batches spooled while the server is down");
    pg.restart();
    for k in 20..25 {
        tx.send(line(k)).unwrap();
    }
    std::thread::sleep(Duration::from_millis(2500));
    drop(tx);
    let stats = writer.join();
    assert!(!spool.exists(), "the spool is written and removed: {stats:?}");
    assert!(stats.spooled >= 1 && stats.caught_up >= 1, "{stats:?}");

    let mut db = pg.client();
    let row = db
        .query_one("SELECT count(*), count(DISTINCT (order_id, line_id)), sum(short) FROM picktwin_line", &[])
        .unwrap();
    let (n, distinct, short): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!((n, distinct, short), (25, 25, 4), "every line once (k = 0, 7, 14, 21 short)");
    let inc =
        db.query("SELECT controller, started_clock_s, ended_clock_s FROM picktwin_incident", &[]).unwrap();
    assert_eq!(inc.len(), 1);
    let (c, start, end): (String, f64, Option<f64>) = (inc[0].get(0), inc[0].get(1), inc[0].get(2));
    assert_eq!((c.as_str(), start, end), ("ptl-1", f64::from(t0 + 60), Some(f64::from(t0 + 120))));

    // The report reads the same rows back.
    let (report, _) = twin_report::from_store(&pg.url(), &site, twin_report::Range::All).unwrap();
    assert_eq!((report.lines, report.short, report.units), (25, 4, 46));
    assert_eq!(report.downtime[0], ("ptl-1".to_owned(), 60.0));
}
