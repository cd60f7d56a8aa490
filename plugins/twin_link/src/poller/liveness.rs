//! Liveness that cannot lie: the map checked on connect, data age and staleness (slow cycles
//! included), and a frozen heartbeat.

use super::*;

impl Poller {
    /// Whether the data is older than three poll intervals.
    fn too_old(&self) -> bool {
        self.last_fresh.is_none_or(|t| t.elapsed() > self.target.interval * 3)
    }

    /// Marks every module stale (the scene greys them) once the data is three intervals old,
    /// for whatever reason: silence, exceptions or cycles slower than the interval.
    pub(super) fn check_stale(&mut self, outbox: &SharedOutbox) {
        if self.health.stale || !self.too_old() {
            return;
        }
        self.health.stale = true;
        let age = self.last_fresh.map_or(0, |t| t.elapsed().as_millis());
        tracing::warn!(controller = %self.target.name, "data {age} ms old, over 3 poll intervals: stale");
        publish(outbox, LinkMessage::Event(LinkEvent::Stale { controller: self.target.index }));
        self.mark_untrusted(outbox);
        self.publish_health(outbox);
    }

    /// Publishes every module as stale: their readings are the last known, not current.
    pub(super) fn mark_untrusted(&mut self, outbox: &SharedOutbox) {
        let mut o = outbox.lock().unwrap_or_else(PoisonError::into_inner);
        for (k, &(_, module)) in self.target.modules.iter().enumerate() {
            if !self.modules[k].stale {
                self.modules[k].stale = true;
                o.publish(LinkMessage::Module { module, reading: self.modules[k] });
            }
        }
        o.ship();
    }

    /// After a complete cycle that started at `started`: fresh again if it was stale.
    pub(super) fn cycle_done(&mut self, started: Instant, wall_ms: u64) {
        self.last_fresh = Some(started);
        self.health.last_good_poll_ms = wall_ms;
        self.health.cycle_ms = started.elapsed().as_millis().min(u128::from(u32::MAX)) as u32;
        self.health.polls = self.health.polls.wrapping_add(1);
        self.read_header_health();
        if self.health.stale && !self.too_old() {
            self.health.stale = false;
            tracing::info!(controller = %self.target.name, "fresh data again");
        }
    }

    /// Follows the heartbeat: standing still for `frozen_after` makes the controller frozen
    /// (alarm, modules greyed); moving again unfreezes it and re-reads everything.
    pub(super) fn check_heartbeat(&mut self, outbox: &SharedOutbox) {
        let Some(h) = &self.target.map.header else { return };
        if !self.image.has(Block::Header) {
            return;
        }
        let Some(&beat) = self.image.block(Block::Header).get(usize::from(h.heartbeat)) else { return };
        let now = Instant::now();
        match self.heartbeat {
            Some((last, _)) if last != beat => {
                self.heartbeat = Some((beat, now));
                if self.health.frozen {
                    self.health.frozen = false;
                    self.full_next = true;
                    tracing::info!(controller = %self.target.name, "heartbeat moves again");
                }
            }
            Some((_, since)) => {
                let still = now - since;
                if !self.health.frozen && still >= self.target.frozen_after {
                    self.health.frozen = true;
                    let for_ms = still.as_millis().min(u128::from(u32::MAX)) as u32;
                    tracing::warn!(controller = %self.target.name, "heartbeat stood still for {for_ms} ms: frozen");
                    let ev = LinkEvent::Frozen { controller: self.target.index, for_ms };
                    publish(outbox, LinkMessage::Event(ev));
                    self.mark_untrusted(outbox);
                    self.publish_health(outbox);
                }
            }
            None => self.heartbeat = Some((beat, now)),
        }
    }

    /// Reads the header on a new connection and compares map version and module count with
    /// the layout. `Ok(Some(reason))`: the controller is refused.
    pub(super) async fn check_map(&mut self, pool: &mut Pool) -> Result<Option<String>, PollError> {
        let (Some(h), Some(r)) = (&self.target.map.header, self.target.plan.header) else { return Ok(None) };
        let timeout = pool.timeout;
        let values = match read(pool.first(), r, self.target.unit, timeout).await {
            Ok(v) => v,
            // No header where the map has one: degraded, reported by the cycle.
            Err(PollError::Exception { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let f = |o: u16| values.get(usize::from(o)).copied().unwrap_or(0);
        let (version, count) = (f(h.map_version), f(h.module_count));
        let expected = self.target.modules.len();
        if version == self.target.map.version && usize::from(count) == expected {
            return Ok(None);
        }
        Ok(Some(format!(
            "{}: controller {:?} ({}) reports map_version {version} and module_count {count}; the layout \
             expects {:?} version {} with {expected} modules. Its data is not applied: fix the layout's \
             `register_map` or the controller",
            self.target.layout_file,
            self.target.name,
            self.target.endpoint,
            self.target.map.name,
            self.target.map.version
        )))
    }
}
