//! The connection state machine of one controller: connect, check the map, poll, execute
//! commands, drop on a fault and reconnect with backoff (reset only by a complete good cycle).

use super::*;
use crate::clock::wall_ms;

/// Polls one controller forever.
pub(super) async fn run_controller(
    target: Target,
    options: LinkOptions,
    outbox: SharedOutbox,
    mut commands: tokio::sync::mpsc::UnboundedReceiver<LinkCommand>,
) {
    let mut target = target;
    if let Some(interval) = options.interval_override {
        target.interval = interval.max(Duration::from_millis(1));
    }
    let mut p = Poller::new(target);
    let mut backoff = Backoff::new(options.backoff_min, options.backoff_max);
    let mut connected_once = false;
    let mut reported_down = false;
    let mut refusal: Option<String> = None;
    loop {
        p.health.connection =
            if connected_once { ConnectionState::Disconnected } else { ConnectionState::Connecting };
        let mut pool = match Pool::open(&p.target, p.target.connections, options.timeout).await {
            Ok(pool) => pool,
            Err(e) => {
                p.health.errors = p.health.errors.saturating_add(1);
                if !reported_down {
                    reported_down = true;
                    tracing::warn!(controller = %p.target.name, endpoint = %p.target.endpoint, "cannot connect: {e}");
                    let reason: Arc<str> = format!("cannot connect to {}: {e}", p.target.endpoint).into();
                    publish(
                        &outbox,
                        LinkMessage::Event(LinkEvent::Disconnected { controller: p.target.index, reason }),
                    );
                }
                p.publish_health(&outbox);
                sleep_watching_stale(&mut p, backoff.next_delay(), &outbox).await;
                continue;
            }
        };
        if connected_once {
            p.health.reconnects = p.health.reconnects.saturating_add(1);
        }
        connected_once = true;
        let error = match p.check_map(&mut pool).await {
            Ok(Some(reason)) => {
                p.health.connection = ConnectionState::Refused;
                if refusal.as_deref() != Some(reason.as_str()) {
                    tracing::error!(controller = %p.target.name, "{reason}");
                    let ev =
                        LinkEvent::Refused { controller: p.target.index, reason: reason.as_str().into() };
                    publish(&outbox, LinkMessage::Event(ev));
                    refusal = Some(reason);
                }
                p.mark_untrusted(&outbox);
                p.publish_health(&outbox);
                drop(pool);
                sleep_watching_stale(&mut p, options.backoff_max, &outbox).await;
                continue;
            }
            Ok(None) => {
                poll(&mut p, &mut pool, &options, &outbox, &mut commands, &mut backoff, &mut refusal).await
            }
            Err(e) => e,
        };
        p.take_latency(&mut pool);
        p.requests_before += pool.latency.requests;
        p.health.errors = p.health.errors.saturating_add(1);
        p.health.connection = ConnectionState::Disconnected;
        tracing::warn!(controller = %p.target.name, "connection dropped: {error}");
        let reason: Arc<str> = error.to_string().into();
        publish(&outbox, LinkMessage::Event(LinkEvent::Disconnected { controller: p.target.index, reason }));
        reported_down = true;
        drop(pool);
        p.publish_health(&outbox);
        sleep_watching_stale(&mut p, backoff.next_delay(), &outbox).await;
    }
}

/// Polls over an open, checked connection until it fails; returns why.
async fn poll(
    p: &mut Poller,
    pool: &mut Pool,
    options: &LinkOptions,
    outbox: &SharedOutbox,
    commands: &mut tokio::sync::mpsc::UnboundedReceiver<LinkCommand>,
    backoff: &mut Backoff,
    refusal: &mut Option<String>,
) -> PollError {
    p.health.connection = ConnectionState::Connected;
    *refusal = None;
    // A new connection rechecks every block and re-reads every module.
    p.missing.clear();
    p.health.missing_blocks = 0;
    p.image = Image::for_plan(&p.target.plan);
    p.full_next = true;
    p.last_counter = None;
    p.heartbeat = None;
    tracing::info!(controller = %p.target.name, endpoint = %p.target.endpoint, connections = pool.ctxs.len(), "connected");
    publish(outbox, LinkMessage::Event(LinkEvent::Connected { controller: p.target.index }));
    let mut ticker = tokio::time::interval(p.target.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        while let Ok(cmd) = commands.try_recv() {
            match execute(pool.first(), p, cmd, options.timeout).await {
                Ok(()) => tracing::info!(controller = %p.target.name, "command {cmd:?} done"),
                Err(e @ (PollError::Exception { .. } | PollError::Unsupported(_))) => {
                    tracing::warn!(controller = %p.target.name, "command {cmd:?} refused: {e}");
                }
                // A timed-out write may still be answered later: the connection is unusable.
                Err(e) => return e,
            }
        }
        let (started, wall) = (Instant::now(), wall_ms());
        match p.cycle(pool, outbox).await {
            Err(e) => return e,
            Ok(true) => {
                p.cycle_done(started, wall);
                // Only a complete good cycle proves the controller works: a device that
                // accepts and then resets, or a frozen stack, keeps backing off.
                backoff.reset();
            }
            Ok(false) => p.check_stale(outbox),
        }
        p.take_latency(pool);
        p.publish_health(outbox);
    }
}

/// Sleeps `total`, waking each poll interval to mark the controller stale on time.
pub(super) async fn sleep_watching_stale(p: &mut Poller, total: Duration, outbox: &SharedOutbox) {
    let until = Instant::now() + total;
    loop {
        p.check_stale(outbox);
        let now = Instant::now();
        if now >= until {
            return;
        }
        tokio::time::sleep((until - now).min(p.target.interval)).await;
    }
}
