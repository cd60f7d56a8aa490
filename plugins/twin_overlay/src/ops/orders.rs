//! The order book: every order the board has shown this session, with when it started and
//! finished, and the queue view (filter, sort, search) the order table draws.
//!
//! The board holds at most a few thousand slots and frees a slot some minutes after its order
//! is done; the book keeps the order after that, so the shift's history and KPIs survive.

use std::collections::HashMap;

use twin_link::OrderSlot;
use twin_model::codes::{self, OrderStatus};

/// One order as the twin knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    /// Order id.
    pub id: u32,
    /// Zone index in the layout.
    pub zone: u16,
    /// 0 normal, 1 express, 2 emergency.
    pub priority: u16,
    /// Lines in the order.
    pub lines_total: u16,
    /// Lines done.
    pub lines_done: u16,
    /// Status as last published.
    pub status: OrderStatus,
    /// Picker working on it.
    pub picker: Option<u16>,
    /// Release time on the controller clock, seconds.
    pub release_s: u32,
    /// Job id of its first line (0: not published).
    pub first_job: u32,
    /// Clock time the twin first saw it active.
    pub started_s: Option<f64>,
    /// Clock time the twin first saw it done.
    pub done_s: Option<f64>,
    /// Board slot it occupies (None once the slot was freed).
    pub slot: Option<u16>,
}

impl OrderRecord {
    /// Seconds since release at `now` (frozen when done).
    pub fn age_s(&self, now: f64) -> f64 {
        (self.done_s.unwrap_or(now) - f64::from(self.release_s)).max(0.0)
    }

    /// Whether the order's line jobs include `job`.
    pub fn has_job(&self, job: u32) -> bool {
        self.first_job != 0 && job >= self.first_job && job - self.first_job < u32::from(self.lines_total)
    }
}

/// What one board update changed, for the KPIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlotChange {
    /// An order was seen done for the first time.
    pub completed: Option<u32>,
    /// Lines newly done (0 for an order first seen: its lines were done before we watched).
    pub lines: u16,
}

/// Every order seen, by first sight.
#[derive(Debug, Default, Clone)]
pub struct OrderBook {
    orders: Vec<OrderRecord>,
    by_id: HashMap<u32, usize>,
    /// Board slot → order id in it (0: empty).
    slots: Vec<u32>,
    /// Bumped on every change, so views re-sort only when something changed.
    generation: u64,
    /// Most orders kept; the oldest finished ones go first.
    cap: usize,
}

impl OrderBook {
    /// A book keeping at most `cap` orders.
    pub fn with_capacity(cap: usize) -> Self {
        Self { cap: cap.max(1), ..Self::default() }
    }

    /// Orders, in the order first seen.
    pub fn orders(&self) -> &[OrderRecord] {
        &self.orders
    }

    /// The order with this id.
    pub fn get(&self, id: u32) -> Option<&OrderRecord> {
        self.by_id.get(&id).map(|&i| &self.orders[i])
    }

    /// Changes so far.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The open (not done) order whose lines carry `job`.
    pub fn order_for_job(&self, job: u32) -> Option<&OrderRecord> {
        // Open orders are few (the board's slots) and at the end of the list: search backwards.
        self.orders.iter().rev().find(|o| o.has_job(job))
    }

    /// Applies a board slot's new contents at clock time `now`.
    pub fn apply_slot(&mut self, slot: u16, s: &OrderSlot, now: f64) -> SlotChange {
        let mut change = SlotChange::default();
        let k = usize::from(slot);
        if k >= self.slots.len() {
            self.slots.resize(k + 1, 0);
        }
        let before = self.slots[k];
        if before != 0 && before != s.order_id {
            // The slot was freed or reused: the old order leaves the board, not the book.
            if let Some(&i) = self.by_id.get(&before)
                && self.orders[i].slot == Some(slot)
            {
                self.orders[i].slot = None;
            }
        }
        self.slots[k] = s.order_id;
        self.generation += 1;
        if s.order_id == 0 || !s.is_used() {
            return change;
        }
        let status = OrderStatus::from_register(s.status).unwrap_or(OrderStatus::Pending);
        let picker = (s.picker != codes::NO_PICKER).then_some(s.picker);
        let new = !self.by_id.contains_key(&s.order_id);
        let i = match self.by_id.get(&s.order_id) {
            Some(&i) => i,
            None => {
                self.orders.push(OrderRecord {
                    id: s.order_id,
                    zone: s.zone,
                    priority: s.priority,
                    lines_total: s.lines_total,
                    lines_done: s.lines_done,
                    status,
                    picker,
                    release_s: s.release_s,
                    first_job: s.first_job,
                    started_s: None,
                    done_s: None,
                    slot: Some(slot),
                });
                self.by_id.insert(s.order_id, self.orders.len() - 1);
                self.orders.len() - 1
            }
        };
        let o = &mut self.orders[i];
        if !new {
            change.lines = s.lines_done.saturating_sub(o.lines_done);
        }
        o.zone = s.zone;
        o.priority = s.priority;
        o.lines_total = s.lines_total;
        o.lines_done = s.lines_done;
        o.status = status;
        o.release_s = s.release_s;
        o.first_job = s.first_job;
        o.slot = Some(slot);
        if picker.is_some() {
            o.picker = picker;
        }
        if matches!(status, OrderStatus::Active | OrderStatus::Done) && o.started_s.is_none() {
            o.started_s = Some(now);
        }
        if status == OrderStatus::Done && o.done_s.is_none() {
            o.done_s = Some(now);
            // An order already done when the twin first sees it finished before we watched:
            // it is not this session's throughput.
            if !new {
                change.completed = Some(o.id);
            }
        }
        self.trim();
        change
    }

    /// Drops the oldest finished, off-board orders beyond the cap.
    fn trim(&mut self) {
        if self.orders.len() <= self.cap {
            return;
        }
        let excess = self.orders.len() - self.cap;
        let mut dropped = 0;
        self.orders.retain(|o| {
            let drop = dropped < excess && o.status == OrderStatus::Done && o.slot.is_none();
            dropped += usize::from(drop);
            !drop
        });
        if dropped > 0 {
            self.by_id = self.orders.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
        }
    }
}

/// Column the queue sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Order id.
    Id,
    /// Status: active, then pending, then done (the default: open work on top).
    #[default]
    Status,
    /// Zone.
    Zone,
    /// Lines done / total.
    Progress,
    /// Picker.
    Picker,
    /// Priority.
    Priority,
    /// Age (oldest first when ascending).
    Age,
}

/// What the order table shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueView {
    /// Show pending orders.
    pub pending: bool,
    /// Show active orders.
    pub active: bool,
    /// Show done orders.
    pub done: bool,
    /// Only this zone.
    pub zone: Option<u16>,
    /// Order ids containing this text.
    pub search: String,
    /// Sort column.
    pub sort: SortKey,
    /// Reverse the sort.
    pub descending: bool,
}

impl Default for QueueView {
    fn default() -> Self {
        Self {
            pending: true,
            active: true,
            done: true,
            zone: None,
            search: String::new(),
            sort: SortKey::Status,
            descending: false,
        }
    }
}

impl QueueView {
    /// Whether an order passes the filter.
    pub fn accepts(&self, o: &OrderRecord) -> bool {
        let status_ok = match o.status {
            OrderStatus::Pending | OrderStatus::Empty => self.pending,
            OrderStatus::Active => self.active,
            OrderStatus::Done => self.done,
        };
        status_ok
            && self.zone.is_none_or(|z| z == o.zone)
            && (self.search.is_empty() || contains_digits(o.id, self.search.trim()))
    }

    /// Indices into `book.orders()` that pass the filter, sorted; written into `out`.
    pub fn rows(&self, book: &OrderBook, out: &mut Vec<u32>) {
        out.clear();
        let orders = book.orders();
        out.extend(orders.iter().enumerate().filter(|(_, o)| self.accepts(o)).map(|(i, _)| i as u32));
        let key = |i: &u32| {
            let o = &orders[*i as usize];
            match self.sort {
                SortKey::Id => u64::from(o.id),
                SortKey::Status => status_rank(o.status),
                SortKey::Zone => u64::from(o.zone),
                // Fraction done, in parts per million: exact enough to order by.
                SortKey::Progress => u64::from(o.lines_done) * 1_000_000 / u64::from(o.lines_total.max(1)),
                SortKey::Picker => o.picker.map_or(u64::MAX, u64::from),
                // Emergencies first when ascending.
                SortKey::Priority => u64::from(u16::MAX - o.priority),
                // Oldest (earliest release) first when ascending.
                SortKey::Age => u64::from(o.release_s),
            }
        };
        // Stable: ties keep first-seen order; the id breaks the rest.
        out.sort_by(|a, b| key(a).cmp(&key(b)).then(orders[*a as usize].id.cmp(&orders[*b as usize].id)));
        if self.descending {
            out.reverse();
        }
    }
}

fn status_rank(s: OrderStatus) -> u64 {
    match s {
        OrderStatus::Active => 0,
        OrderStatus::Pending | OrderStatus::Empty => 1,
        OrderStatus::Done => 2,
    }
}

/// Whether `id` written in decimal contains `needle` (no allocation).
fn contains_digits(id: u32, needle: &str) -> bool {
    let mut buf = [0u8; 10];
    let mut n = id;
    let mut len = 0;
    loop {
        buf[9 - len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = &buf[10 - len..];
    let needle = needle.as_bytes();
    needle.len() <= digits.len()
        && digits.windows(needle.len().max(1)).any(|w| needle.is_empty() || w == needle)
}

#[cfg(test)]
mod tests {
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
}
