//! When to try a neighbour again: exponential back-off as a sans-IO policy.

use std::time::Duration;

/// First wait after a failure.
pub const FIRST: Duration = Duration::from_millis(50);
/// Longest wait.
pub const MAX: Duration = Duration::from_secs(2);

/// Reconnect policy for one neighbour. Times are since any fixed start.
#[derive(Debug, Clone)]
pub struct Backoff {
    delay: Duration,
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            delay: FIRST,
            next: Duration::ZERO,
        }
    }
}

impl Backoff {
    /// Whether an attempt is due at `now`.
    pub fn due(&self, now: Duration) -> bool {
        now >= self.next
    }

    /// How long from `now` until the next attempt is due.
    pub fn wait(&self, now: Duration) -> Duration {
        self.next.saturating_sub(now)
    }

    /// An attempt failed (or a link broke) at `now`: wait, then longer.
    pub fn failed(&mut self, now: Duration) {
        self.next = now + self.delay;
        self.delay = (self.delay * 2).min(MAX);
    }

    /// Connected: the next failure starts from the first wait again.
    pub fn succeeded(&mut self) {
        self.delay = FIRST;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_limit_and_reset_on_success() {
        let mut b = Backoff::default();
        let t0 = Duration::from_secs(10);
        assert!(b.due(t0));
        let mut waits = Vec::new();
        for _ in 0..8 {
            b.failed(t0);
            assert!(!b.due(t0));
            waits.push(b.wait(t0).as_millis());
        }
        assert_eq!(waits, [50, 100, 200, 400, 800, 1600, 2000, 2000]);
        assert!(b.due(t0 + MAX));
        b.succeeded();
        b.failed(t0);
        assert_eq!(b.wait(t0), FIRST);
    }
}
