//! What the connector knows between polls: the open orders, each in a slot of the twin's
//! order board (at most `max_open`), their lines by index (at most `max_lines`), and the rows
//! it had to refuse. Rows in, [`LinkMessage`]s out; plain Rust, tested with exact values.

use std::collections::{HashMap, HashSet, VecDeque};

use twin_link::{LinkMessage, LocationText, NO_MODULE, OrderLine, OrderSlot};
use twin_model::codes::{self, LineStatus, OrderStatus};
use twin_model::{ModuleIndex, Site};

use super::db::{LineRow, OrderRow};

/// How long a finished order keeps its slot (wall milliseconds): the queue shows it done
/// before it leaves the board (the overlay's book keeps it after that).
pub const LINGER_MS: u64 = 30_000;

/// Names the rows refer to, resolved once from the layout.
pub struct Names {
    modules: HashMap<Box<str>, ModuleIndex>,
    pickers: HashMap<String, u16>,
    zones: HashMap<String, u16>,
}

impl Names {
    /// The site's location codes, picker ids and zone names.
    pub fn of(site: &Site) -> Self {
        Self {
            modules: site
                .modules
                .iter()
                .enumerate()
                .map(|(i, m)| (m.location.clone(), i as ModuleIndex))
                .collect(),
            pickers: site.layout.pickers.iter().enumerate().map(|(i, p)| (p.id.clone(), i as u16)).collect(),
            zones: site.layout.zones.iter().enumerate().map(|(i, z)| (z.name.clone(), i as u16)).collect(),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Open {
    slot: Option<u16>,
    header: OrderSlot,
    lines: Vec<OrderLine>,
    line_index: HashMap<u32, u16>,
    finished_at_ms: Option<u64>,
}

/// The open orders and their slots.
pub struct Book {
    max_open: u16,
    max_lines: u16,
    utc_offset_s: i64,
    open: HashMap<u32, Open>,
    slots: Vec<u32>,
    free: Vec<u16>,
    /// Orders waiting for a slot, oldest first.
    waiting: VecDeque<u32>,
    /// Lines whose order has not been read yet (by order id), bounded.
    early: HashMap<u32, Vec<LineRow>>,
    early_rows: usize,
    /// Orders that left the board lately: their late line rows are dropped, not kept.
    closed: HashSet<u32>,
    closed_order: VecDeque<u32>,
    /// Whether the history has been read (a poll came back short of its batch): from then on
    /// an order first seen finished was released and done between two polls and counts.
    pub caught_up: bool,
    /// Refused rows this poll: count and the first reason.
    pub rejected: u32,
    /// The first refused row's problem this poll.
    pub first_problem: Option<String>,
}

impl Book {
    /// An empty book with the layout's bounds.
    pub fn new(max_open: u16, max_lines: u16, utc_offset_s: i32) -> Self {
        Self {
            max_open,
            max_lines,
            utc_offset_s: i64::from(utc_offset_s),
            open: HashMap::new(),
            slots: vec![0; usize::from(max_open)],
            free: (0..max_open).rev().collect(),
            waiting: VecDeque::new(),
            early: HashMap::new(),
            early_rows: 0,
            closed: HashSet::new(),
            closed_order: VecDeque::new(),
            caught_up: false,
            rejected: 0,
            first_problem: None,
        }
    }

    /// The ids of every order the book holds open, ascending (the periodic re-read).
    pub fn open_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.open.keys().map(|&id| i64::from(id)).collect();
        ids.sort_unstable();
        ids
    }

    /// Orders waiting for a slot.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    fn refuse(&mut self, why: String) {
        self.rejected += 1;
        self.first_problem.get_or_insert(why);
    }

    /// A time on the site clock: seconds since local midnight (the layout's UTC offset).
    fn site_s(&self, ms: Option<i64>) -> u32 {
        ms.map_or(0, |ms| (ms.div_euclid(1000) + self.utc_offset_s).rem_euclid(86_400) as u32)
    }

    /// Applies order rows; messages for slots that changed go to `out`.
    pub fn orders(&mut self, names: &Names, rows: &[OrderRow], out: &mut Vec<LinkMessage>) {
        let mut touched = Vec::new();
        for r in rows {
            let Ok(id) = u32::try_from(r.id) else {
                self.refuse(format!("order id {} is outside 1..=4294967295", r.id));
                continue;
            };
            if id == 0 {
                self.refuse("order id 0".into());
                continue;
            }
            let status = r.status.as_deref().and_then(OrderStatus::from_wms);
            let Some(status) = status else {
                self.refuse(format!(
                    "order {id}: unknown status {:?} (released, picking, done, cancelled)",
                    r.status
                ));
                continue;
            };
            let picker = match r.picker.as_deref() {
                None | Some("") => codes::NO_PICKER,
                Some(p) => match names.pickers.get(p) {
                    Some(&i) => i,
                    None => {
                        self.refuse(format!("order {id}: unknown picker {p:?}"));
                        codes::NO_PICKER
                    }
                },
            };
            let zone = r.zone.as_deref().and_then(|z| names.zones.get(z)).copied().unwrap_or(0);
            let is_new = !self.open.contains_key(&id);
            let finished = status.is_finished();
            if is_new
                && (self.closed.contains(&id)
                    || (finished && !self.caught_up)
                    || status == OrderStatus::Cancelled)
            {
                // Finished before we watched (history), cancelled unseen, or gone: nothing to show.
                continue;
            }
            if is_new && self.open.len() >= usize::from(self.max_open) * 4 {
                self.refuse(format!("order {id}: more than {} orders open", usize::from(self.max_open) * 4));
                continue;
            }
            let (release_s, due_s) = (self.site_s(r.released_ms), self.site_s(r.due_ms));
            let o = self.open.entry(id).or_default();
            let before = o.header;
            o.header = OrderSlot {
                order_id: id,
                zone,
                lines_total: o.lines.len() as u16,
                lines_done: o.header.lines_done,
                priority: r.priority.unwrap_or(0).clamp(0, 2) as u16,
                status: status as u16,
                picker,
                release_s,
                due_s,
                first_job: 0,
            };
            if !finished {
                // Reopened (a WMS correction): it keeps its slot.
                o.finished_at_ms = None;
            }
            if is_new {
                self.waiting.push_back(id);
            }
            // Only real changes go out (a re-read of unchanged rows sends nothing).
            if is_new || o.header != before {
                touched.push(id);
            }
            if let Some(early) = self.early.remove(&id) {
                self.early_rows -= early.len();
                self.lines_of(names, id, &early);
            }
        }
        self.place(out);
        for id in touched {
            self.emit(id, out, false);
        }
    }

    /// Gives waiting orders free slots, oldest first.
    fn place(&mut self, out: &mut Vec<LinkMessage>) {
        while let Some(&id) = self.waiting.front() {
            let Some(slot) = self.free.pop() else { break };
            self.waiting.pop_front();
            if let Some(o) = self.open.get_mut(&id) {
                o.slot = Some(slot);
                self.slots[usize::from(slot)] = id;
                if o.header.status == OrderStatus::Done as u16 {
                    // Released and finished between two polls: shown released first, so its
                    // lines and its completion count as this session's work.
                    let released =
                        OrderSlot { status: OrderStatus::Pending as u16, lines_done: 0, ..o.header };
                    out.push(LinkMessage::Order { slot, order: released });
                }
                self.emit(id, out, true);
            } else {
                self.free.push(slot);
            }
        }
    }

    /// Applies line rows.
    pub fn lines(&mut self, names: &Names, rows: &[LineRow], out: &mut Vec<LinkMessage>) {
        let mut by_order: Vec<(u32, Vec<LineRow>)> = Vec::new();
        for r in rows {
            let Some(order) = r.order_id.and_then(|o| u32::try_from(o).ok()).filter(|&o| o != 0) else {
                self.refuse(format!("line {}: no valid order id", r.id));
                continue;
            };
            if self.closed.contains(&order) {
                continue;
            }
            if !self.open.contains_key(&order) {
                // Its order may come in a later batch; kept, bounded.
                if self.early_rows >= usize::from(self.max_open) * usize::from(self.max_lines) {
                    self.refuse(format!("line {}: order {order} not read", r.id));
                } else {
                    self.early.entry(order).or_default().push(r.clone());
                    self.early_rows += 1;
                }
                continue;
            }
            match by_order.last_mut() {
                Some((o, v)) if *o == order => v.push(r.clone()),
                _ => by_order.push((order, vec![r.clone()])),
            }
        }
        for (order, rows) in by_order {
            if self.lines_of(names, order, &rows) {
                self.emit(order, out, true);
            }
        }
    }

    /// Applies one order's line rows; whether anything changed.
    fn lines_of(&mut self, names: &Names, order: u32, rows: &[LineRow]) -> bool {
        let max_lines = self.max_lines;
        let mut problems = Vec::new();
        let Some(o) = self.open.get_mut(&order) else { return false };
        let mut changed = false;
        for r in rows {
            let Ok(line_id) = u32::try_from(r.id) else {
                problems.push(format!("line id {} is out of range", r.id));
                continue;
            };
            let Some(status) = r.status.as_deref().and_then(LineStatus::from_wms) else {
                problems
                    .push(format!("line {line_id}: unknown status {:?} (open, lit, done, short)", r.status));
                continue;
            };
            let module = match r.location.as_deref().map(str::trim) {
                Some(loc) => names.modules.get(loc).copied().unwrap_or_else(|| {
                    problems.push(format!("line {line_id}: no module shows location {loc:?}"));
                    NO_MODULE
                }),
                None => NO_MODULE,
            };
            let index = match o.line_index.get(&line_id) {
                Some(&i) => i,
                None if o.lines.len() >= usize::from(max_lines) => {
                    problems.push(format!("order {order}: more than {max_lines} lines (max_lines)"));
                    continue;
                }
                None => {
                    let i = o.lines.len() as u16;
                    o.line_index.insert(line_id, i);
                    o.lines.push(OrderLine::default());
                    i
                }
            };
            let clamp = |v: Option<i64>| v.unwrap_or(0).clamp(0, i64::from(u16::MAX)) as u16;
            let sku = r.sku.as_deref().unwrap_or("");
            let line = OrderLine {
                order_id: order,
                line_id,
                module,
                quantity: clamp(r.quantity),
                confirmed: clamp(r.confirmed),
                status: status as u16,
                sku: LocationText::from_text(sku),
            };
            let l = &mut o.lines[usize::from(index)];
            if *l != line {
                *l = line;
                changed = true;
            }
        }
        o.header.lines_total = o.lines.len() as u16;
        o.header.lines_done = o
            .lines
            .iter()
            .filter(|l| LineStatus::from_code(l.status).is_some_and(LineStatus::is_finished))
            .count() as u16;
        for p in problems {
            self.refuse(p);
        }
        changed
    }

    /// Queues an order's slot message (and its lines when `lines`).
    fn emit(&mut self, id: u32, out: &mut Vec<LinkMessage>, lines: bool) {
        let Some(o) = self.open.get(&id) else { return };
        let Some(slot) = o.slot else { return };
        out.push(LinkMessage::Order { slot, order: o.header });
        if lines {
            for (index, line) in o.lines.iter().enumerate() {
                out.push(LinkMessage::Line { slot, index: index as u16, line: *line });
            }
        }
    }

    /// Frees the slots of orders finished for [`LINGER_MS`] at `now_ms` and places waiting
    /// orders in them.
    pub fn expire(&mut self, now_ms: u64, out: &mut Vec<LinkMessage>) {
        let mut gone = Vec::new();
        for (&id, o) in &mut self.open {
            if OrderStatus::from_register(o.header.status).is_some_and(OrderStatus::is_finished) {
                let at = *o.finished_at_ms.get_or_insert(now_ms);
                if now_ms.saturating_sub(at) >= LINGER_MS {
                    gone.push(id);
                }
            }
        }
        gone.sort_unstable();
        for id in gone {
            let Some(o) = self.open.remove(&id) else { continue };
            self.closed.insert(id);
            self.closed_order.push_back(id);
            if self.closed_order.len() > usize::from(self.max_open) * 4
                && let Some(old) = self.closed_order.pop_front()
            {
                self.closed.remove(&old);
            }
            if let Some(slot) = o.slot {
                self.slots[usize::from(slot)] = 0;
                self.free.push(slot);
                out.push(LinkMessage::Order { slot, order: OrderSlot::default() });
            } else {
                self.waiting.retain(|&w| w != id);
            }
        }
        self.place(out);
    }
}

#[cfg(test)]
mod tests;
