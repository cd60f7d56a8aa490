//! Request latency percentiles over a sliding window.

use super::*;

/// Request latencies over a sliding window.
#[derive(Debug)]
pub(crate) struct Latency {
    pub(super) requests: u64,
    pub(super) ring: [u32; 512],
    pub(super) len: usize,
    pub(super) at: usize,
    pub(super) scratch: [u32; 512],
}

impl Latency {
    pub(super) fn new() -> Self {
        Self { requests: 0, ring: [0; 512], len: 0, at: 0, scratch: [0; 512] }
    }

    pub(super) fn record(&mut self, d: Duration) {
        self.ring[self.at] = d.as_micros().min(u128::from(u32::MAX)) as u32;
        self.at = (self.at + 1) % self.ring.len();
        self.len = (self.len + 1).min(self.ring.len());
    }

    /// p50 and p99 in microseconds.
    pub(super) fn percentiles(&mut self) -> (u32, u32) {
        if self.len == 0 {
            return (0, 0);
        }
        let s = &mut self.scratch[..self.len];
        s.copy_from_slice(&self.ring[..self.len]);
        s.sort_unstable();
        (s[s.len() / 2], s[(s.len() * 99 / 100).min(s.len() - 1)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_percentiles() {
        let mut l = Latency::new();
        assert_eq!(l.percentiles(), (0, 0));
        for us in 1..=100 {
            l.record(Duration::from_micros(us));
        }
        assert_eq!(l.percentiles(), (51, 100));
    }
}
