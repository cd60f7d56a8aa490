//! Unit tests of the order book and the queue view.

use super::*;

fn slot(id: u32, zone: u16, status: OrderStatus, done: u16, total: u16, release: u32) -> OrderSlot {
    OrderSlot {
        order_id: id,
        zone,
        lines_total: total,
        lines_done: done,
        priority: 0,
        status: status as u16,
        picker: codes::NO_PICKER,
        release_s: release,
        due_s: 0,
        first_job: id * 100,
    }
}

#[test]
fn tracks_start_and_finish_and_keeps_orders_after_the_slot_frees() {
    let mut book = OrderBook::with_capacity(100);
    assert_eq!(book.apply_slot(0, &slot(7, 0, OrderStatus::Pending, 0, 3, 100), 110.0).completed, None);
    book.apply_slot(0, &OrderSlot { picker: 2, ..slot(7, 0, OrderStatus::Active, 1, 3, 100) }, 130.0);
    let c = book.apply_slot(0, &slot(7, 0, OrderStatus::Done, 3, 3, 100), 190.0);
    assert_eq!(c.completed, Some(7));
    // Seen done again: not completed twice.
    assert_eq!(book.apply_slot(0, &slot(7, 0, OrderStatus::Done, 3, 3, 100), 191.0).completed, None);
    let o = book.get(7).unwrap();
    assert_eq!((o.started_s, o.done_s, o.picker, o.slot), (Some(130.0), Some(190.0), Some(2), Some(0)));
    assert_eq!(o.age_s(1000.0), 90.0);
    // Slot freed, then reused by another order.
    book.apply_slot(0, &OrderSlot::default(), 400.0);
    book.apply_slot(0, &slot(8, 1, OrderStatus::Pending, 0, 2, 390), 400.0);
    assert_eq!(book.get(7).unwrap().slot, None);
    assert_eq!(book.orders().len(), 2);
    assert!(book.get(8).unwrap().has_job(801) && !book.get(8).unwrap().has_job(802));
    assert_eq!(book.order_for_job(800).map(|o| o.id), Some(8));
}

#[test]
fn orders_already_done_at_first_sight_are_not_completions() {
    let mut book = OrderBook::with_capacity(10);
    assert_eq!(book.apply_slot(0, &slot(5, 0, OrderStatus::Done, 2, 2, 0), 50.0).completed, None);
    assert_eq!(book.get(5).unwrap().done_s, Some(50.0));
}

#[test]
fn cap_drops_the_oldest_finished_orders_only() {
    let mut book = OrderBook::with_capacity(2);
    book.apply_slot(0, &slot(1, 0, OrderStatus::Done, 1, 1, 0), 1.0);
    book.apply_slot(0, &OrderSlot::default(), 2.0);
    book.apply_slot(1, &slot(2, 0, OrderStatus::Pending, 0, 1, 0), 2.0);
    book.apply_slot(2, &slot(3, 0, OrderStatus::Pending, 0, 1, 0), 3.0);
    let ids: Vec<u32> = book.orders().iter().map(|o| o.id).collect();
    assert_eq!(ids, [2, 3]);
    assert_eq!(book.get(3).unwrap().id, 3);
    assert!(book.get(1).is_none());
}

#[test]
fn orders_leaving_the_board_unfinished_never_grow_the_book_past_its_cap() {
    let mut book = OrderBook::with_capacity(50);
    // A week of orders that each sit in a slot and are replaced before they finish.
    for id in 1..=10_000u32 {
        book.apply_slot((id % 8) as u16, &slot(id, 0, OrderStatus::Pending, 0, 1, 0), f64::from(id));
        assert!(book.orders().len() <= 50, "{} orders after {id}", book.orders().len());
    }
    // The newest are kept, and lookups still work after trimming.
    assert_eq!(book.get(10_000).unwrap().id, 10_000);
    assert!(book.get(1).is_none());
}

#[test]
fn view_filters_searches_and_sorts() {
    let mut book = OrderBook::with_capacity(100);
    book.apply_slot(0, &slot(1201, 0, OrderStatus::Pending, 0, 4, 300), 0.0);
    book.apply_slot(1, &slot(1302, 1, OrderStatus::Active, 2, 4, 100), 0.0);
    book.apply_slot(2, &slot(1403, 0, OrderStatus::Done, 3, 3, 200), 0.0);
    book.apply_slot(3, &OrderSlot { priority: 2, ..slot(2512, 1, OrderStatus::Pending, 0, 2, 400) }, 0.0);
    let ids = |v: &QueueView| {
        let mut rows = Vec::new();
        v.rows(&book, &mut rows);
        rows.iter().map(|&i| book.orders()[i as usize].id).collect::<Vec<_>>()
    };
    let mut v = QueueView { sort: SortKey::Age, ..QueueView::default() };
    assert_eq!(ids(&v), [1302, 1403, 1201, 2512], "oldest release first");
    v.descending = true;
    assert_eq!(ids(&v), [2512, 1201, 1403, 1302]);
    v = QueueView { sort: SortKey::Priority, ..QueueView::default() };
    assert_eq!(ids(&v)[0], 2512, "emergency first");
    v = QueueView { sort: SortKey::Progress, ..QueueView::default() };
    assert_eq!(ids(&v), [1201, 2512, 1302, 1403]);
    v = QueueView { done: false, zone: Some(0), ..QueueView::default() };
    assert_eq!(ids(&v), [1201]);
    v = QueueView { search: "12".into(), ..QueueView::default() };
    assert_eq!(ids(&v), [1201, 2512]);
    v = QueueView { search: "99".into(), ..QueueView::default() };
    assert!(ids(&v).is_empty());
    v = QueueView::default();
    assert_eq!(ids(&v), [1302, 1201, 2512, 1403], "active, pending, done by default");
}

#[test]
fn digit_search() {
    assert!(contains_digits(1234, "23"));
    assert!(contains_digits(1234, ""));
    assert!(contains_digits(0, "0"));
    assert!(!contains_digits(1234, "43"));
    assert!(!contains_digits(12, "123"));
    assert!(!contains_digits(12, "1a"));
}
