//! The order book: every order the board has shown this session, with when it started and
//! finished, and the queue view (filter, sort, search) the order table draws.
//!
//! The board holds at most a few thousand slots and frees a slot some minutes after its order
//! is done; the book keeps the order after that, so the shift's history and KPIs survive.

use std::collections::HashMap;

use twin_link::{LocationText, OrderLine, OrderSlot};
use twin_model::ModuleIndex;
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
    /// Due time on the site clock, seconds (0: none).
    pub due_s: u32,
    /// Job id of its first line (0: not published).
    pub first_job: u32,
    /// The modules its lines light, by line index, when the source names them (the WMS);
    /// `NO_MODULE` for a line at a location the layout does not know.
    pub modules: Vec<ModuleIndex>,
    /// The article of each line, by line index, where the source names it (the WMS).
    pub skus: Vec<LocationText>,
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

    /// Whether one of the order's lines is at `module` (sources that name their lines).
    pub fn has_module(&self, module: ModuleIndex) -> bool {
        self.modules.contains(&module)
    }

    /// The article of the order's line at `module`, when the source named it.
    pub fn sku_at(&self, module: ModuleIndex) -> Option<LocationText> {
        let k = self.modules.iter().position(|&m| m == module)?;
        self.skus.get(k).copied().filter(|s| !s.as_str().is_empty())
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

    /// The open order a module lit with `job` works for: by its job ids where the board
    /// publishes them, else the newest open order with a line at the module.
    pub fn order_for_lit(&self, module: ModuleIndex, job: u32) -> Option<&OrderRecord> {
        self.order_for_job(job)
            .or_else(|| self.orders.iter().rev().find(|o| !o.status.is_finished() && o.has_module(module)))
    }

    /// Applies a line of the order in `slot`: which module it lights.
    pub fn apply_line(&mut self, slot: u16, index: u16, line: &OrderLine) {
        let Some(&id) = self.slots.get(usize::from(slot)) else { return };
        if id == 0 || id != line.order_id {
            return;
        }
        let Some(&i) = self.by_id.get(&id) else { return };
        let o = &mut self.orders[i];
        let k = usize::from(index);
        if k >= usize::from(o.lines_total.max(1)) * 2 + 64 {
            // Far past the order's size: a corrupt index must not grow the table.
            return;
        }
        if k >= o.modules.len() {
            o.modules.resize(k + 1, twin_link::NO_MODULE);
        }
        if k >= o.skus.len() {
            o.skus.resize(k + 1, LocationText::default());
        }
        o.skus[k] = line.sku;
        if o.modules[k] != line.module {
            o.modules[k] = line.module;
            self.generation += 1;
        }
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
                    due_s: s.due_s,
                    first_job: s.first_job,
                    modules: Vec::new(),
                    skus: Vec::new(),
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
        o.due_s = s.due_s;
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

    /// Drops orders beyond the cap, oldest first: finished off-board orders, then off-board
    /// orders that never finished (left the board unfinished: the WMS withdrew them, or their
    /// end fell between two polls), then, on a board larger than the cap, the oldest of all.
    /// The book never holds more than the cap, however the site behaves.
    fn trim(&mut self) {
        if self.orders.len() <= self.cap {
            return;
        }
        let rules: [fn(&OrderRecord) -> bool; 3] =
            [|o| o.status.is_finished() && o.slot.is_none(), |o| o.slot.is_none(), |_| true];
        let mut dropped_any = false;
        for rule in rules {
            let excess = self.orders.len().saturating_sub(self.cap);
            if excess == 0 {
                break;
            }
            let mut dropped = 0;
            self.orders.retain(|o| {
                let drop = dropped < excess && rule(o);
                dropped += usize::from(drop);
                !drop
            });
            dropped_any |= dropped > 0;
        }
        if dropped_any {
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
            OrderStatus::Done | OrderStatus::Cancelled => self.done,
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
        OrderStatus::Done | OrderStatus::Cancelled => 2,
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
mod tests;
