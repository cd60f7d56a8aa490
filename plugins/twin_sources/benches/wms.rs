//! What the WMS connector costs against a month of history in SQLite (30,000 orders, 120,000
//! lines, the reference schema with its revision indexes): reading the whole history once in
//! batches (a start), one poll with nothing changed, one poll with 50 changed lines, against the
//! baseline of reading both tables in full (what polling without a cursor would cost every
//! poll). `cargo bench --workspace --profile dev --bench wms [-- --check]`; `--check` fails if
//! an idle poll costs more than 1 % of a full read.

use std::time::{Duration, Instant};

use twin_model::Site;
use twin_model::sources::WmsSql;
use twin_sources::SQLITE_REFERENCE_SCHEMA;
use twin_sources::wms::book::{Book, Names};
use twin_sources::wms::db::{self, Cursor};

const ORDERS: i64 = 30_000;
const LINES_PER_ORDER: i64 = 4;
const OPEN: i64 = 200;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A month of history: every order done but the last `OPEN`, four lines each.
fn fill(w: &mut rusqlite::Connection, site: &Site) -> i64 {
    let mut rev = 0i64;
    let tx = w.transaction().unwrap();
    for o in 1..=ORDERS {
        rev += 1;
        let status = if o > ORDERS - OPEN { "picking" } else { "done" };
        tx.execute(
            "INSERT INTO wms_order VALUES (?1, 0, 'PICK', '2026-11-01T08:00:00+00:00', NULL, ?2, NULL, ?3)",
            rusqlite::params![o, status, rev],
        )
        .unwrap();
        for k in 0..LINES_PER_ORDER {
            rev += 1;
            let loc = &*site.modules[((o * 7 + k) % site.modules.len() as i64) as usize].location;
            let ls = if status == "done" { "done" } else { "lit" };
            tx.execute(
                "INSERT INTO wms_line VALUES (?1, ?2, ?3, 'PZN-1', 2, NULL, ?4, ?5)",
                rusqlite::params![o * 10 + k, o, loc, ls, rev],
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
    rev
}

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    let site = Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")).unwrap();
    let dir = std::env::temp_dir().join(format!("picktwin-wms-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wms.sqlite");
    let _ = std::fs::remove_file(&path);
    let mut w = rusqlite::Connection::open(&path).unwrap();
    w.pragma_update(None, "journal_mode", "wal").unwrap();
    w.execute_batch(SQLITE_REFERENCE_SCHEMA).unwrap();
    let mut rev = fill(&mut w, &site);

    let cfg = WmsSql::new(format!("sqlite:{}", path.display()));
    let mut conn = db::open(&cfg, Duration::from_secs(5)).unwrap();
    let names = Names::of(&site);
    let mut book = Book::new(cfg.max_open, cfg.max_lines, 0);
    let mut out = Vec::new();
    let start: Cursor = (i64::MIN, i64::MIN);
    let (mut oc, mut lc) = (start, start);

    // A start: the whole history in batches, through the book (history skipped, open kept).
    let t = Instant::now();
    let mut polls = 0;
    loop {
        let o = conn.orders(oc, cfg.batch).unwrap();
        let l = conn.lines(lc, cfg.batch).unwrap();
        if let Some(r) = o.last() {
            oc = (r.revision, r.id);
        }
        if let Some(r) = l.last() {
            lc = (r.revision, r.id);
        }
        book.orders(&names, &o, &mut out);
        book.lines(&names, &l, &mut out);
        polls += 1;
        if o.len() < cfg.batch as usize && l.len() < cfg.batch as usize {
            break;
        }
    }
    let catch_up = t.elapsed();
    book.caught_up = true;

    let idle = median(
        (0..200)
            .map(|_| {
                let t = Instant::now();
                let o = conn.orders(oc, cfg.batch).unwrap();
                let l = conn.lines(lc, cfg.batch).unwrap();
                assert!(o.is_empty() && l.is_empty());
                t.elapsed()
            })
            .collect(),
    );

    let changed = median(
        (0..50)
            .map(|i| {
                let tx = w.transaction().unwrap();
                for k in 0..50 {
                    rev += 1;
                    let id = (ORDERS - OPEN + 1 + (i * 50 + k) % OPEN) * 10;
                    tx.execute(
                        "UPDATE wms_line SET status = 'done', revision = ?1 WHERE line_id = ?2",
                        rusqlite::params![rev, id],
                    )
                    .unwrap();
                }
                tx.commit().unwrap();
                let t = Instant::now();
                let o = conn.orders(oc, cfg.batch).unwrap();
                let l = conn.lines(lc, cfg.batch).unwrap();
                if let Some(r) = l.last() {
                    lc = (r.revision, r.id);
                }
                assert_eq!((o.len(), l.len()), (0, 50));
                out.clear();
                book.lines(&names, &l, &mut out);
                t.elapsed()
            })
            .collect(),
    );

    let full = median(
        (0..10)
            .map(|_| {
                let t = Instant::now();
                let o = conn.orders(start, u32::MAX).unwrap();
                let l = conn.lines(start, u32::MAX).unwrap();
                assert!(o.len() as i64 == ORDERS && l.len() as i64 == ORDERS * LINES_PER_ORDER);
                t.elapsed()
            })
            .collect(),
    );
    let ratio = idle.as_secs_f64() / full.as_secs_f64();
    println!("history: {ORDERS} orders, {} lines (SQLite, reference schema)", ORDERS * LINES_PER_ORDER);
    println!("catch-up: {catch_up:.2?} in {polls} polls of {} rows", cfg.batch);
    println!("idle poll (both tables, nothing changed): {idle:.2?}");
    println!("poll with 50 changed lines (read + book): {changed:.2?}");
    println!("full read of both tables (baseline): {full:.2?}");
    println!("idle poll / full read: {ratio:.5} ({:.0}x cheaper)", 1.0 / ratio);
    std::fs::remove_dir_all(&dir).unwrap();
    if check && ratio > 0.01 {
        eprintln!("FAIL: an idle poll costs {:.2} % of a full read (budget 1 %)", ratio * 100.0);
        std::process::exit(1);
    }
}
