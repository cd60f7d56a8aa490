//! An MQTT event loop driven on a task of its own, its events read from a channel.
//!
//! rumqttc's `EventLoop::poll` is not cancel-safe while it connects: a `select!` branch or a
//! `timeout` that drops it between CONNECT and CONNACK leaves the broker with a session the
//! client has forgotten, and the client's next CONNECT (same id) takes that session over. The
//! broker then publishes the dropped session's will although nothing died: a retained `offline`
//! from the gateway, a Sparkplug NDEATH (seen with Mosquitto's log: "already connected, closing
//! old connection" right after the first CONNACK). Here `poll` is only ever awaited to the end;
//! the gateway, the viewer and the Sparkplug edge node select on the channel, which is safe.

use std::time::Duration;

use rumqttc::{ConnectionError, Event, EventLoop, LastWill, Outgoing, Packet};
use tokio::sync::mpsc;

use crate::gateway::broker_backoff;

/// What the loop reported.
pub(crate) type Polled = Result<Event, ConnectionError>;

/// A driven event loop.
pub(crate) struct Driver {
    /// Events and errors, in order.
    pub events: mpsc::Receiver<Polled>,
    wills: Option<mpsc::Sender<LastWill>>,
    task: tokio::task::JoinHandle<()>,
}

/// Drives `eventloop` until the driver is dropped. After an error it waits the broker backoff
/// (200 ms doubling to 5 s, reset by a CONNACK); with `renew_will` it then waits for the will
/// of the next session ([`Driver::renew_will`]) before connecting again.
pub(crate) fn drive(mut eventloop: EventLoop, renew_will: bool) -> Driver {
    let (tx, events) = mpsc::channel(64);
    let (wills, mut will_rx) = if renew_will {
        let (t, r) = mpsc::channel(1);
        (Some(t), Some(r))
    } else {
        (None, None)
    };
    let task = tokio::spawn(async move {
        let mut backoff = broker_backoff();
        loop {
            let polled = eventloop.poll().await;
            let failed = polled.is_err();
            if matches!(polled, Ok(Event::Incoming(Packet::ConnAck(_)))) {
                backoff.reset();
            }
            if tx.send(polled).await.is_err() {
                break;
            }
            if failed {
                tokio::time::sleep(backoff.next_delay()).await;
                if let Some(rx) = &mut will_rx {
                    match rx.recv().await {
                        Some(will) => {
                            eventloop.mqtt_options.set_last_will(will);
                        }
                        None => break,
                    }
                }
            }
        }
    });
    Driver { events, wills, task }
}

impl Driver {
    /// The will of the next session (after an error was reported; required with `renew_will`).
    pub(crate) fn renew_will(&self, will: LastWill) {
        if let Some(w) = &self.wills {
            let _ = w.try_send(will);
        }
    }

    /// After a disconnect was queued: lets the loop send what was queued before it, up to 2 s.
    pub(crate) async fn finish(mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while tokio::time::Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_millis(200), self.events.recv()).await {
                Ok(Some(Ok(Event::Outgoing(Outgoing::Disconnect)))) => break,
                Ok(Some(Ok(_))) => {}
                _ => break,
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
