//! The connection state machine of one controller: connect, poll, execute commands, drop on a
//! fault and reconnect with backoff.

use super::*;

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
    loop {
        p.health.connection =
            if connected_once { ConnectionState::Disconnected } else { ConnectionState::Connecting };
        let mut ctx = match connect(&p.target.endpoint, p.target.unit, options.timeout).await {
            Ok(ctx) => ctx,
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
        backoff.reset();
        p.health.connection = ConnectionState::Connected;
        tracing::info!(controller = %p.target.name, endpoint = %p.target.endpoint, "connected");
        publish(&outbox, LinkMessage::Event(LinkEvent::Connected { controller: p.target.index }));
        let mut ticker = tokio::time::interval(p.target.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The last exception reported, so a controller that keeps answering one is not an
        // alarm every poll.
        let mut last_exception = None;
        let error = 'polling: loop {
            ticker.tick().await;
            while let Ok(cmd) = commands.try_recv() {
                match execute(&mut ctx, &p, cmd, options.timeout).await {
                    Ok(()) => tracing::info!(controller = %p.target.name, "command {cmd:?} done"),
                    Err(e @ PollError::Exception { .. }) => {
                        tracing::warn!(controller = %p.target.name, "command {cmd:?} refused: {e}");
                    }
                    // A timed-out write may still be answered later: the connection is unusable.
                    Err(e) => break 'polling e,
                }
            }
            match p.cycle(&mut ctx, options.timeout, &outbox).await {
                Ok(()) => {
                    p.last_good = Some(Instant::now());
                    p.health.last_good_poll_ms = SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as u64);
                    p.health.polls = p.health.polls.wrapping_add(1);
                    p.read_header_health();
                    if p.health.stale {
                        p.health.stale = false;
                        tracing::info!(controller = %p.target.name, "fresh data again");
                    }
                    last_exception = None;
                    p.publish_health(&outbox);
                }
                Err(e @ PollError::Exception { function, code, address }) => {
                    p.health.exceptions = p.health.exceptions.saturating_add(1);
                    if last_exception != Some((function, code, address)) {
                        last_exception = Some((function, code, address));
                        tracing::warn!(controller = %p.target.name, "{e}");
                        let ev = LinkEvent::Exception { controller: p.target.index, function, code, address };
                        publish(&outbox, LinkMessage::Event(ev));
                    }
                    p.check_stale(&outbox);
                    p.publish_health(&outbox);
                }
                Err(e) => break e,
            }
        };
        p.health.errors = p.health.errors.saturating_add(1);
        p.health.connection = ConnectionState::Disconnected;
        tracing::warn!(controller = %p.target.name, "connection dropped: {error}");
        let reason: Arc<str> = error.to_string().into();
        publish(&outbox, LinkMessage::Event(LinkEvent::Disconnected { controller: p.target.index, reason }));
        reported_down = true;
        drop(ctx);
        p.publish_health(&outbox);
        sleep_watching_stale(&mut p, backoff.next_delay(), &outbox).await;
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
