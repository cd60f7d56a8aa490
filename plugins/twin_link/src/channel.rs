//! The view channel: messages cross to the ECS in batches (one channel operation per batch,
//! not per message), and emptied batches come back for reuse, so neither side allocates in
//! steady state.

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};

use crate::reading::LinkMessage;

/// Most messages in one batch.
pub const MAX_BATCH: usize = 4096;

/// The poller's end.
#[derive(Debug)]
pub struct ViewSender {
    tx: Sender<Vec<LinkMessage>>,
    recycled: Receiver<Vec<LinkMessage>>,
    batch: Vec<LinkMessage>,
}

/// The view's end.
#[derive(Debug)]
pub struct ViewReceiver {
    rx: Receiver<Vec<LinkMessage>>,
    recycle: Sender<Vec<LinkMessage>>,
    /// The batch being read, reversed: the next message is the last element.
    current: Vec<LinkMessage>,
    /// The sender is gone.
    closed: bool,
}

/// A view channel holding at most `batches` batches in flight.
pub fn view_channel(batches: usize) -> (ViewSender, ViewReceiver) {
    let (tx, rx) = crossbeam_channel::bounded(batches.max(1));
    let (recycle, recycled) = crossbeam_channel::bounded(batches.max(1) + 2);
    (
        ViewSender { tx, recycled, batch: Vec::with_capacity(MAX_BATCH) },
        ViewReceiver { rx, recycle, current: Vec::new(), closed: false },
    )
}

/// What [`ViewSender::ship`] did with the batch.
#[derive(Debug, PartialEq)]
pub enum Shipped {
    /// Sent (or nothing to send).
    Sent,
    /// The channel is full: these messages were not sent.
    Full(Vec<LinkMessage>),
    /// The view is gone.
    Closed,
}

impl ViewSender {
    /// Adds a message to the current batch; ships it when full. Returns messages the channel
    /// had no room for (the caller coalesces them).
    pub fn push(&mut self, msg: LinkMessage) -> Shipped {
        self.batch.push(msg);
        if self.batch.len() >= MAX_BATCH { self.ship() } else { Shipped::Sent }
    }

    /// Adds a message without shipping (the caller ships when the batch is full).
    pub fn push_unshipped(&mut self, msg: LinkMessage) {
        self.batch.push(msg);
    }

    /// Messages waiting in the current batch.
    pub fn batched(&self) -> usize {
        self.batch.len()
    }

    /// Whether the channel has room for another batch.
    pub fn has_room(&self) -> bool {
        !self.tx.is_full()
    }

    /// Sends the current batch.
    pub fn ship(&mut self) -> Shipped {
        if self.batch.is_empty() {
            return Shipped::Sent;
        }
        let next = self.recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(MAX_BATCH));
        let mut batch = std::mem::replace(&mut self.batch, next);
        // Reversed here, on the poller's thread, so the view pops messages off the end: a move
        // per message, no clone, nothing left to drop.
        batch.reverse();
        match self.tx.try_send(batch) {
            Ok(()) => Shipped::Sent,
            Err(TrySendError::Full(mut batch)) => {
                batch.reverse();
                Shipped::Full(batch)
            }
            Err(TrySendError::Disconnected(_)) => Shipped::Closed,
        }
    }
}

/// The next message, or why there is none.
#[derive(Debug)]
pub enum Next {
    /// A message.
    Message(LinkMessage),
    /// Nothing right now.
    Empty,
    /// The sender is gone and everything was read.
    Closed,
}

impl ViewReceiver {
    /// Takes the next message.
    // Inlined into the hot path: the common case is one pop from the current batch; refilling
    // (once per batch of thousands) stays out of line.
    #[inline]
    pub fn recv(&mut self) -> Next {
        match self.current.pop() {
            Some(msg) => Next::Message(msg),
            None => self.refill(),
        }
    }

    /// The current batch is used up: recycle it and take the next one.
    /// Hands up to `max` messages to `f` by reference, in order, straight out of the batches
    /// (no message is moved), and says how many and whether the channel is still open.
    #[inline]
    pub fn drain(&mut self, max: usize, mut f: impl FnMut(&LinkMessage)) -> (usize, bool) {
        let mut done = 0;
        while done < max {
            if self.current.is_empty() && !self.next_batch() {
                return (done, !self.closed);
            }
            // Batches are reversed: the next message is the last.
            let n = (max - done).min(self.current.len());
            let start = self.current.len() - n;
            for msg in self.current[start..].iter().rev() {
                f(msg);
            }
            self.current.truncate(start);
            done += n;
        }
        (done, true)
    }

    /// Recycles the empty batch and takes the next one; false when none is waiting.
    #[inline(never)]
    fn next_batch(&mut self) -> bool {
        if self.current.capacity() > 0 {
            let _ = self.recycle.try_send(std::mem::take(&mut self.current));
        }
        match self.rx.try_recv() {
            Ok(batch) => {
                self.current = batch;
                true
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => {
                self.closed = true;
                false
            }
        }
    }

    #[inline(never)]
    fn refill(&mut self) -> Next {
        loop {
            if let Some(msg) = self.current.pop() {
                return Next::Message(msg);
            }
            if self.current.capacity() > 0 {
                // Full or closed: the batch is simply freed.
                let _ = self.recycle.try_send(std::mem::take(&mut self.current));
            }
            match self.rx.try_recv() {
                Ok(batch) => self.current = batch,
                Err(TryRecvError::Empty) => return Next::Empty,
                Err(TryRecvError::Disconnected) => return Next::Closed,
            }
        }
    }

    /// Messages waiting: the rest of the current batch, plus queued batches counted as full
    /// (an upper bound; their lengths are unknown until received).
    pub fn backlog(&self) -> usize {
        self.current.len() + self.rx.len() * MAX_BATCH
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ModuleReading;

    fn m(i: u32) -> LinkMessage {
        LinkMessage::Module { module: i, reading: ModuleReading::default() }
    }

    #[test]
    fn batches_arrive_in_order_and_come_back() {
        let (mut tx, mut rx) = view_channel(2);
        for i in 0..10 {
            assert_eq!(tx.push(m(i)), Shipped::Sent);
        }
        assert!(matches!(rx.recv(), Next::Empty), "nothing shipped yet");
        assert_eq!(tx.ship(), Shipped::Sent);
        for i in 0..10 {
            assert!(matches!(rx.recv(), Next::Message(LinkMessage::Module { module, .. }) if module == i));
        }
        assert!(matches!(rx.recv(), Next::Empty));
        // The drained batch was handed back and is reused for the next ship.
        tx.push(m(99));
        assert_eq!(tx.ship(), Shipped::Sent);
        assert!(matches!(rx.recv(), Next::Message(_)));
    }

    #[test]
    fn a_full_channel_returns_the_batch() {
        let (mut tx, rx) = view_channel(1);
        tx.push(m(1));
        assert_eq!(tx.ship(), Shipped::Sent);
        tx.push(m(2));
        assert_eq!(tx.ship(), Shipped::Full(vec![m(2)]));
        drop(rx);
        tx.push(m(3));
        assert_eq!(tx.ship(), Shipped::Closed);
    }
}
