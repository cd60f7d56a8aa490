//! Writing the history store while recording: a thread on its own lossless subscription of the
//! link derives completed lines, orders done and controller incidents (the report's
//! [`Collector`], one copy of the rules) and writes them once a second in one transaction. It
//! never delays the recorder (its own channel and thread). When the database fails, batches go
//! to a spool file beside it (JSON lines) and are written first, in order, once it answers again;
//! rows are upserted by key, so nothing is lost or doubled.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use twin_link::LinkMessage;
use twin_model::Site;

use crate::Collector;
use crate::store::{Batch, IncidentRow, LineRow, OrderRow, Store};

/// What the history writer did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryStats {
    /// Rows written: lines, orders, incident updates.
    pub rows: (u64, u64, u64),
    /// Batches that failed and went to the spool.
    pub spooled: u64,
    /// Batches written from the spool after the database came back.
    pub caught_up: u64,
    /// The last database error.
    pub last_error: Option<String>,
}

/// The history writer's thread.
pub struct HistoryThread {
    handle: std::thread::JoinHandle<()>,
    /// Its counters, live.
    pub stats: Arc<Mutex<HistoryStats>>,
}

struct Writer {
    site: Site,
    store: Option<Box<dyn Store>>,
    url: String,
    spool: PathBuf,
    collector: Collector,
    sent_lines: usize,
    sent_orders: std::collections::HashSet<u32>,
    sent_incidents: Vec<(bool, bool)>,
    stats: Arc<Mutex<HistoryStats>>,
    warned: Option<Instant>,
}

impl HistoryThread {
    /// Starts writing to `url` (`sqlite:FILE` or `postgres://...`), spooling to `spool`. A
    /// database that cannot be reached now is retried at every flush.
    pub fn spawn(site: &Site, rx: Receiver<LinkMessage>, url: &str, spool: PathBuf) -> Result<Self, String> {
        // A URL that can never work (a bad scheme, an unwritable file) is an error now.
        let store = match crate::store::open(url) {
            Ok(s) => Some(s),
            Err(e) if url.starts_with("sqlite:") || !url.contains("://") => return Err(e),
            Err(e) => {
                tracing::warn!("{e}; spooling to {} until it answers", spool.display());
                None
            }
        };
        let stats = Arc::new(Mutex::new(HistoryStats::default()));
        let mut w = Writer {
            collector: Collector::new(site, f64::NEG_INFINITY, f64::INFINITY),
            site: site.clone(),
            store,
            url: url.to_owned(),
            spool,
            sent_lines: 0,
            sent_orders: Default::default(),
            sent_incidents: Vec::new(),
            stats: stats.clone(),
            warned: None,
        };
        let handle = std::thread::Builder::new()
            .name("history".into())
            .spawn(move || {
                let mut next = Instant::now() + Duration::from_secs(1);
                loop {
                    let wait = next.saturating_duration_since(Instant::now());
                    match rx.recv_timeout(wait) {
                        Ok(m) => w.collector.feed(&m, twin_link::clock::wall_ms()),
                        Err(RecvTimeoutError::Timeout) => {
                            w.flush();
                            next = Instant::now() + Duration::from_secs(1);
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
                w.collector.finish();
                w.flush();
            })
            .map_err(|e| e.to_string())?;
        Ok(Self { handle, stats })
    }

    /// Waits for the writer to finish (after the link stopped) and returns its counters.
    pub fn join(self) -> HistoryStats {
        let _ = self.handle.join();
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Writer {
    /// The rows that are new since the last flush.
    fn batch(&mut self) -> Batch {
        let site = &self.site;
        let c = &self.collector;
        let zone = |z: u16| site.layout.zones.get(usize::from(z)).map(|z| z.name.clone());
        let lines = c.lines[self.sent_lines..]
            .iter()
            .map(|l| {
                let m = site.modules.get(l.module as usize);
                LineRow {
                    order_id: i64::from(l.order),
                    line_id: i64::from(l.line_id),
                    module_id: m.map(|m| i64::from(m.id.0)),
                    location: m.map(|m| m.location.to_string()),
                    zone: l.zone.and_then(zone),
                    picker: l
                        .picker
                        .and_then(|p| site.layout.pickers.get(usize::from(p)))
                        .map(|p| p.id.clone()),
                    asked: i32::from(l.asked),
                    confirmed: i32::from(l.confirmed),
                    short: l.short,
                    lit_clock_s: l.lit_s,
                    done_clock_s: l.done_s,
                    done_ms: l.done_ms as i64,
                }
            })
            .collect();
        self.sent_lines = c.lines.len();
        let mut orders = Vec::new();
        for o in c.ops.orders.orders() {
            if let Some(done) = o.done_s
                && self.sent_orders.insert(o.id)
            {
                orders.push(OrderRow {
                    order_id: i64::from(o.id),
                    priority: i32::from(o.priority),
                    zone: zone(o.zone),
                    release_clock_s: f64::from(o.release_s),
                    done_clock_s: done,
                    // Seen done at most a flush (1 s) ago.
                    done_ms: twin_link::clock::wall_ms() as i64,
                });
            }
        }
        self.sent_incidents.resize(c.incidents.len(), (false, false));
        let mut incidents = Vec::new();
        for (i, sent) in c.incidents.iter().zip(&mut self.sent_incidents) {
            let ended = i.ended.is_some();
            if !sent.0 || (ended && !sent.1) {
                *sent = (true, ended);
                incidents.push(IncidentRow {
                    controller: site
                        .layout
                        .controllers
                        .get(usize::from(i.controller))
                        .map_or_else(|| i.controller.to_string(), |c| c.name.clone()),
                    started_ms: i.started.1 as i64,
                    started_clock_s: i.started.0,
                    ended_ms: i.ended.map(|e| e.1 as i64),
                    ended_clock_s: i.ended.map(|e| e.0),
                });
            }
        }
        Batch { site: site.layout.name.clone(), lines, orders, incidents }
    }

    fn flush(&mut self) {
        let batch = self.batch();
        let spooled = self.spool.exists();
        if batch.is_empty() && !spooled {
            return;
        }
        let result = self
            .write_spool(spooled)
            .and_then(|()| if batch.is_empty() { Ok(()) } else { self.write(&batch) });
        if let Err(e) = &result {
            if self.warned.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                tracing::warn!("{e}; spooling to {} and retrying every second", self.spool.display());
                self.warned = Some(Instant::now());
            }
            if !batch.is_empty()
                && let Err(e) = append(&self.spool, &batch)
            {
                tracing::error!("history spool {}: {e}; these rows are lost", self.spool.display());
            }
        }
        // The counters after the file work: whoever reads them never waits on a disk.
        let mut s = self.stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match result {
            Ok(()) => {
                s.rows.0 += batch.lines.len() as u64;
                s.rows.1 += batch.orders.len() as u64;
                s.rows.2 += batch.incidents.len() as u64;
            }
            Err(e) => {
                s.last_error = Some(e);
                s.spooled += u64::from(!batch.is_empty());
            }
        }
    }

    /// The database, connected again if the last write failed.
    fn store(&mut self) -> Result<&mut Box<dyn Store>, String> {
        if self.store.is_none() {
            self.store = Some(crate::store::open(&self.url)?);
        }
        self.store.as_mut().ok_or_else(|| format!("history store {}: not open", self.url))
    }

    fn write(&mut self, b: &Batch) -> Result<(), String> {
        let r = self.store()?.write(b);
        if r.is_err() {
            self.store = None;
        }
        r
    }

    /// Writes the spool's batches in order, then removes it. During an outage the database is
    /// tried first, so a growing spool is not read again every second.
    fn write_spool(&mut self, spooled: bool) -> Result<(), String> {
        if !spooled {
            return Ok(());
        }
        self.store()?;
        let Ok(text) = std::fs::read_to_string(&self.spool) else { return Ok(()) };
        let mut n = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<Batch>(line) {
                Ok(b) => {
                    self.write(&b)?;
                    n += 1;
                }
                Err(e) => tracing::error!(
                    "history spool {}: a line that is not a batch skipped ({e})",
                    self.spool.display()
                ),
            }
        }
        std::fs::remove_file(&self.spool)
            .map_err(|e| format!("history spool {}: {e}", self.spool.display()))?;
        if let Ok(mut s) = self.stats.lock() {
            s.caught_up += n;
        }
        tracing::info!("history store {} answers again: {n} spooled batches written", self.url);
        Ok(())
    }
}

fn append(path: &std::path::Path, b: &Batch) -> Result<(), String> {
    let line = serde_json::to_string(b).map_err(|e| e.to_string())?;
    let mut f =
        std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| e.to_string())?;
    writeln!(f, "{line}").map_err(|e| e.to_string())?;
    f.sync_data().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(order_id: i64, asked: i32, confirmed: i32) -> LineRow {
        LineRow {
            order_id,
            line_id: 1,
            module_id: Some(i64::from(u32::MAX) + 7),
            location: None,
            zone: Some("NOWHERE".into()),
            picker: Some("nobody".into()),
            asked,
            confirmed,
            short: confirmed < asked,
            lit_clock_s: None,
            done_clock_s: 21_700.0,
            done_ms: 0,
        }
    }

    #[test]
    fn a_damaged_spool_line_is_skipped_and_odd_rows_read_back_safely() {
        let site = Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")).unwrap();
        let dir = std::env::temp_dir().join(format!("picktwin-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("h.sqlite").display());
        let spool = dir.join("h.spool");
        let batch = |l: LineRow| Batch { site: site.layout.name.clone(), lines: vec![l], ..Batch::default() };
        // A batch, half a line (the machine died while appending), another batch.
        append(&spool, &batch(line(1, 3, 3))).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&spool)
            .unwrap()
            .write_all(b"{\"site\":\"pick\n")
            .unwrap();
        append(&spool, &batch(line(2, -5, 70_000))).unwrap();
        append(&spool, &batch(line(i64::from(u32::MAX) + 1, 1, 1))).unwrap();
        let mut w = Writer {
            collector: Collector::new(&site, f64::NEG_INFINITY, f64::INFINITY),
            site: site.clone(),
            store: None,
            url: url.clone(),
            spool: spool.clone(),
            sent_lines: 0,
            sent_orders: Default::default(),
            sent_incidents: Vec::new(),
            stats: Arc::default(),
            warned: None,
        };
        w.flush();
        assert!(!spool.exists(), "caught up and removed");
        assert_eq!(w.stats.lock().unwrap().caught_up, 3, "three batches written, the damaged line skipped");
        // Rows naming what the layout does not have, quantities out of range: clamped, unknown.
        let (r, facts) = crate::from_store(&url, &site, crate::Range::All).unwrap();
        // An order id past u32 is skipped, not wrapped onto order 0.
        assert_eq!((r.lines, r.units), (2, 3 + u32::from(u16::MAX)), "70,000 units read as 65,535");
        assert!(facts.lines.iter().all(|l| l.module == twin_link::NO_MODULE && l.zone.is_none()));
        assert_eq!(facts.lines[1].asked, 0, "a negative quantity reads 0");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
