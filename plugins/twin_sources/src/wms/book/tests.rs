//! The order book with exact values: slots, lines tied to modules by location, bounds,
//! refusals, lingering and freeing.

use twin_link::{LinkMessage, NO_MODULE, OrderSlot};
use twin_model::Site;
use twin_model::codes::{LineStatus, NO_PICKER, OrderStatus};

use super::*;

fn site() -> Site {
    Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")).unwrap()
}

fn order(id: i64, status: &str, rev: i64) -> OrderRow {
    OrderRow {
        id,
        priority: Some(1),
        zone: None,
        // 2026-12-01T07:30:00Z
        released_ms: Some(1_764_574_200_000),
        due_ms: None,
        status: Some(status.into()),
        picker: None,
        revision: rev,
    }
}

fn line(id: i64, order: i64, location: &str, status: &str, rev: i64) -> LineRow {
    LineRow {
        id,
        order_id: Some(order),
        location: Some(location.into()),
        sku: Some("PZN-01234567".into()),
        quantity: Some(3),
        confirmed: None,
        status: Some(status.into()),
        revision: rev,
    }
}

fn slots(out: &[LinkMessage]) -> Vec<(u16, u32, u16, u16)> {
    out.iter()
        .filter_map(|m| match m {
            LinkMessage::Order { slot, order } => {
                Some((*slot, order.order_id, order.lines_total, order.lines_done))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn orders_take_slots_and_lines_name_their_modules() {
    let site = site();
    let names = Names::of(&site);
    let loc = |i: usize| site.modules[i].location.to_string();
    let mut book = Book::new(2, 8, 3600);
    let mut out = Vec::new();
    book.orders(
        &names,
        &[order(10, "released", 1), order(11, "picking", 2), order(12, "released", 3)],
        &mut out,
    );
    // Two slots: order 12 waits.
    assert_eq!(slots(&out), vec![(0, 10, 0, 0), (1, 11, 0, 0), (0, 10, 0, 0), (1, 11, 0, 0)]);
    assert_eq!(book.waiting(), 1);
    let LinkMessage::Order { order: o, .. } = &out[0] else { panic!() };
    // 07:30 UTC at +01:00 is 08:30 on the site clock.
    assert_eq!((o.release_s, o.due_s, o.priority, o.picker), (8 * 3600 + 1800, 0, 1, NO_PICKER));
    out.clear();
    book.lines(&names, &[line(100, 10, &loc(5), "lit", 4), line(101, 10, "NOWHERE", "open", 5)], &mut out);
    assert_eq!(slots(&out), vec![(0, 10, 2, 0)]);
    let lines: Vec<_> = out
        .iter()
        .filter_map(|m| match m {
            LinkMessage::Line { index, line, .. } => Some((*index, line.line_id, line.module, line.status)),
            _ => None,
        })
        .collect();
    assert_eq!(
        lines,
        vec![(0, 100, 5, LineStatus::Lit as u16), (1, 101, NO_MODULE, LineStatus::Open as u16)]
    );
    assert_eq!(
        (book.rejected, book.first_problem.as_deref()),
        (1, Some("line 101: no module shows location \"NOWHERE\""))
    );
    let LinkMessage::Line { line: l, .. } = &out[1] else { panic!() };
    assert_eq!((l.sku.as_str(), l.quantity, l.order_id), ("PZN-01234567", 3, 10));
}

#[test]
fn finished_orders_linger_then_free_their_slot_for_the_next() {
    let site = site();
    let names = Names::of(&site);
    let loc = site.modules[0].location.to_string();
    let mut book = Book::new(1, 8, 0);
    let mut out = Vec::new();
    book.orders(&names, &[order(1, "picking", 1), order(2, "released", 2)], &mut out);
    book.lines(&names, &[line(1, 1, &loc, "done", 3)], &mut out);
    out.clear();
    book.orders(&names, &[order(1, "done", 4)], &mut out);
    assert_eq!(slots(&out), vec![(0, 1, 1, 1)]);
    out.clear();
    book.expire(1_000, &mut out);
    assert!(out.is_empty(), "done at 1 s: stays {LINGER_MS} ms");
    book.expire(1_000 + LINGER_MS, &mut out);
    assert_eq!(slots(&out), vec![(0, 0, 0, 0), (0, 2, 0, 0)], "freed, then order 2 placed");
    assert_eq!(out[0], LinkMessage::Order { slot: 0, order: OrderSlot::default() });
    // A late line of order 1 is dropped quietly; an order first seen done is not shown.
    out.clear();
    book.lines(&names, &[line(9, 1, &loc, "done", 5)], &mut out);
    book.orders(&names, &[order(3, "done", 6)], &mut out);
    assert!(out.is_empty() && book.rejected == 0);
    assert_eq!(OrderStatus::from_wms("done"), Some(OrderStatus::Done));
}

#[test]
fn bad_rows_are_refused_one_by_one_and_bounds_hold() {
    let site = site();
    let names = Names::of(&site);
    let loc = site.modules[0].location.to_string();
    let mut book = Book::new(1, 2, 0);
    let mut out = Vec::new();
    let mut weird = order(5, "shipped", 1);
    book.orders(&names, &[order(-1, "released", 1), order(0, "released", 2), weird.clone()], &mut out);
    assert_eq!(book.rejected, 3);
    assert!(out.is_empty());
    weird.status = Some("released".into());
    weird.picker = Some("nobody".into());
    book.rejected = 0;
    book.orders(&names, &[weird], &mut out);
    assert_eq!(
        (book.rejected, slots(&out)),
        (1, vec![(0, 5, 0, 0), (0, 5, 0, 0)]),
        "unknown picker: shown unassigned"
    );
    book.rejected = 0;
    let three: Vec<LineRow> = (1..=3).map(|i| line(i, 5, &loc, "open", 10 + i)).collect();
    book.lines(&names, &three, &mut out);
    assert_eq!(book.rejected, 1, "max_lines 2: the third is refused");
    // Lines of an order not read yet wait (bounded by max_open × max_lines = 2).
    book.rejected = 0;
    let early: Vec<LineRow> = (20..23).map(|i| line(i, 77, &loc, "open", i)).collect();
    book.lines(&names, &early, &mut out);
    assert_eq!(book.rejected, 1);
}

#[test]
fn a_cancelled_order_shows_cancelled_then_leaves_and_is_not_throughput() {
    let site = site();
    let names = Names::of(&site);
    let mut book = Book::new(2, 8, 0);
    let mut out = Vec::new();
    book.orders(&names, &[order(1, "picking", 1)], &mut out);
    out.clear();
    book.orders(&names, &[order(1, "cancelled", 2)], &mut out);
    let LinkMessage::Order { order: o, .. } = out[0] else { panic!("{out:?}") };
    assert_eq!(OrderStatus::from_register(o.status), Some(OrderStatus::Cancelled));
    out.clear();
    book.expire(5_000, &mut out);
    book.expire(5_000 + LINGER_MS, &mut out);
    assert_eq!(slots(&out), vec![(0, 0, 0, 0)], "the slot is freed after the linger");
    // Reopened before it left: it keeps its slot and no longer lingers.
    book.orders(&names, &[order(2, "picking", 3)], &mut out);
    book.orders(&names, &[order(2, "cancelled", 4)], &mut out);
    book.expire(10_000, &mut out);
    book.orders(&names, &[order(2, "picking", 5)], &mut out);
    out.clear();
    book.expire(10_000 + LINGER_MS, &mut out);
    assert!(out.is_empty(), "{out:?}");
    // A cancelled order first seen cancelled is not shown.
    book.orders(&names, &[order(3, "cancelled", 6)], &mut out);
    assert!(out.is_empty());
}
