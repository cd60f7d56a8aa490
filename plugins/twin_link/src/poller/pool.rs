//! A controller's connections: `connections: N` contexts that answer one request at a time
//! each, so a batch of reads is dealt out to them and read in parallel.

use super::*;

/// The open connections to one controller.
pub(super) struct Pool {
    pub(super) ctxs: Vec<Context>,
    pub(super) timeout: Duration,
    pub(super) unit: u8,
    pub(super) latency: Latency,
}

impl Pool {
    /// Opens `n` connections (all or none).
    pub(super) async fn open(target: &Target, n: u8, timeout: Duration) -> io::Result<Self> {
        let mut ctxs = Vec::with_capacity(usize::from(n));
        for _ in 0..n.max(1) {
            ctxs.push(connect(&target.endpoint, target.unit, timeout).await?);
        }
        Ok(Self { ctxs, timeout, unit: target.unit, latency: Latency::new() })
    }

    /// The first connection (commands, the map check).
    pub(super) fn first(&mut self) -> &mut Context {
        &mut self.ctxs[0]
    }

    /// Reads `reads`, dealt round-robin over the connections; results in `reads` order. A
    /// connection stops at its first timeout or transport error (it is unusable after one); the
    /// reads it did not issue report that error too.
    pub(super) async fn run(&mut self, reads: &[Read]) -> Vec<Result<Vec<u16>, PollError>> {
        let n = self.ctxs.len().max(1);
        let (timeout, home) = (self.timeout, self.unit);
        let workers = self.ctxs.iter_mut().enumerate().map(|(w, ctx)| async move {
            let mut out = Vec::with_capacity(reads.len() / n + 1);
            let mut latency = Vec::with_capacity(reads.len() / n + 1);
            let mut broken: Option<String> = None;
            for r in reads.iter().skip(w).step_by(n) {
                if let Some(e) = &broken {
                    out.push(Err(PollError::Transport(e.clone())));
                    continue;
                }
                let started = Instant::now();
                let result = read(ctx, *r, home, timeout).await;
                if result.is_ok() {
                    latency.push(started.elapsed());
                }
                if let Err(e @ (PollError::Timeout | PollError::Transport(_) | PollError::Short { .. })) =
                    &result
                {
                    broken = Some(e.to_string());
                }
                out.push(result);
            }
            (out, latency)
        });
        let per_worker = futures_util::future::join_all(workers).await;
        let mut results: Vec<Option<Result<Vec<u16>, PollError>>> = (0..reads.len()).map(|_| None).collect();
        for (w, (out, latency)) in per_worker.into_iter().enumerate() {
            for d in latency {
                self.latency.record(d);
                self.latency.requests += 1;
            }
            for (k, r) in out.into_iter().enumerate() {
                results[w + k * n] = Some(r);
            }
        }
        results.into_iter().map(|r| r.unwrap_or(Err(PollError::Timeout))).collect()
    }
}
