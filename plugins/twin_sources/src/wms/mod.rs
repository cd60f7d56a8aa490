//! The WMS connector: a thread that polls the order and line tables incrementally (a
//! `(revision, id)` cursor per table, at most `batch` rows a poll, never a table scan), turns
//! rows into order slots and lines ([`book`]) and publishes them with the controllers' data.
//! A failure (down, slow, schema wrong) is one `SourceDown` alarm naming what failed, then
//! retries with the link's backoff; the cursors survive, so rows written meanwhile are read
//! after recovery and nothing is lost.

use std::time::Duration;

use crossbeam_channel::Receiver;
use twin_link::{
    Backoff, LinkEvent, LinkMessage, Publisher, SourceHealth, SourceKind, SourceState, SourceType,
};
use twin_model::Site;
use twin_model::sources::WmsSql;

pub mod book;
pub mod db;
pub mod sql;

use book::{Book, Names};
use db::{Cursor, Db};
use twin_link::clock::wall_ms;

/// Connect and statement timeout.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The connector's state between polls.
struct Connector {
    cfg: WmsSql,
    names: Names,
    book: Book,
    orders_at: Cursor,
    lines_at: Cursor,
    health: SourceHealth,
    down_reason: Option<String>,
    /// Wall milliseconds of the last re-read of the open orders.
    reread_at_ms: u64,
}

/// Runs the connector until `stop` sends or closes.
pub fn run(site: &Site, cfg: WmsSql, publisher: Publisher, stop: Receiver<()>) {
    let offset = cfg.utc_offset_s().unwrap_or(0);
    let mut c = Connector {
        names: Names::of(site),
        book: Book::new(cfg.max_open, cfg.max_lines, offset),
        orders_at: (i64::MIN, i64::MIN),
        lines_at: (i64::MIN, i64::MIN),
        health: SourceHealth {
            kind: SourceType::WmsSql,
            // Three polls missed, or the timeout, whichever is longer.
            stale_after_ms: (cfg.poll_ms * 3).max(TIMEOUT.as_millis() as u32 + cfg.poll_ms),
            ..SourceHealth::default()
        },
        down_reason: None,
        reread_at_ms: 0,
        cfg,
    };
    publisher.publish(LinkMessage::Source { source: SourceKind::Orders, health: c.health });
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    let mut db: Option<Box<dyn Db>> = None;
    loop {
        let wait = match c.step(&mut db, &publisher) {
            // A full batch: more rows are waiting (catching up after a start or an outage);
            // read on at once instead of one batch per interval.
            Ok(true) => {
                backoff.reset();
                Duration::ZERO
            }
            Ok(false) => {
                backoff.reset();
                Duration::from_millis(u64::from(c.cfg.poll_ms))
            }
            Err(reason) => {
                db = None;
                c.down(reason, &publisher);
                backoff.next_delay()
            }
        };
        match stop.recv_timeout(wait) {
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            _ => return,
        }
    }
}

impl Connector {
    /// One poll: connect if needed, read what changed in both tables, publish. Returns whether
    /// a table filled its batch (more rows wait).
    fn step(&mut self, db: &mut Option<Box<dyn Db>>, publisher: &Publisher) -> Result<bool, String> {
        if db.is_none() {
            *db = Some(db::open(&self.cfg, TIMEOUT)?);
        }
        let Some(conn) = db.as_mut() else { return Ok(false) };
        let batch = self.cfg.batch;
        let mut out = Vec::new();
        let orders = conn.orders(self.orders_at, batch)?;
        if let Some(last) = orders.last() {
            self.orders_at = (last.revision, last.id);
        }
        self.book.orders(&self.names, &orders, &mut out);
        let lines = conn.lines(self.lines_at, batch)?;
        let full = orders.len() >= batch as usize || lines.len() >= batch as usize;
        let caught_up = self.book.caught_up;
        if let Some(last) = lines.last() {
            self.lines_at = (last.revision, last.id);
        }
        self.book.lines(&self.names, &lines, &mut out);
        if !full && !caught_up {
            self.book.caught_up = true;
        }
        let now = wall_ms();
        let every = u64::from(self.cfg.reread_s) * 1000;
        if every > 0 && self.book.caught_up && now.saturating_sub(self.reread_at_ms) >= every {
            self.reread_at_ms = now;
            self.reread(conn.as_mut(), &mut out)?;
        }
        self.book.expire(now, &mut out);
        if self.book.rejected > 0 {
            let reason = self.book.first_problem.take().unwrap_or_default();
            out.push(LinkMessage::Event(LinkEvent::SourceRejected {
                source: SourceKind::Orders,
                count: self.book.rejected,
                reason: reason.into(),
            }));
            self.health.rejected += u64::from(self.book.rejected);
            self.book.rejected = 0;
        }
        if self.health.state != SourceState::Ok {
            out.push(LinkMessage::Event(LinkEvent::SourceUp { source: SourceKind::Orders }));
            self.down_reason = None;
        }
        self.health.state = SourceState::Ok;
        self.health.last_good_ms = now;
        self.health.polls += 1;
        self.health.waiting = self.book.waiting() as u32;
        out.push(LinkMessage::Source { source: SourceKind::Orders, health: self.health });
        publisher.publish_all(out);
        Ok(full)
    }

    /// Reads every open order and its lines again, by id (batches of 500): whatever the
    /// cursor missed (a row committed late with a lower revision) arrives; unchanged rows send
    /// nothing.
    fn reread(&mut self, conn: &mut dyn Db, out: &mut Vec<LinkMessage>) -> Result<(), String> {
        for ids in self.book.open_ids().chunks(500) {
            let orders = conn.orders_by_id(ids)?;
            self.book.orders(&self.names, &orders, out);
            let lines = conn.lines_of_orders(ids)?;
            self.book.lines(&self.names, &lines, out);
        }
        Ok(())
    }

    /// A failed poll: one alarm per distinct reason, health down (its age keeps growing).
    fn down(&mut self, reason: String, publisher: &Publisher) {
        let reason = format!("{}: {reason}", redact(&self.cfg.url));
        let mut out = Vec::new();
        if self.down_reason.as_deref() != Some(reason.as_str()) {
            tracing::warn!("WMS: {reason}");
            out.push(LinkMessage::Event(LinkEvent::SourceDown {
                source: SourceKind::Orders,
                reason: reason.as_str().into(),
            }));
            self.down_reason = Some(reason);
        }
        if self.health.state != SourceState::Down {
            self.health.state = SourceState::Down;
            out.push(LinkMessage::Source { source: SourceKind::Orders, health: self.health });
        }
        publisher.publish_all(out);
    }
}

/// The URL without anything after a `:` in its user part (a password there never reaches a
/// log or an alarm, though validation refuses it anyway).
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((user, host)) => format!("{scheme}://{}@{host}", user.split(':').next().unwrap_or("")),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}
