//! When to try the broker again after a failure: exponential back-off
//! from `base` to `max`, reset by a success. Sans-IO: the caller passes
//! `now` and sleeps until the instant returned.

use std::time::{Duration, Instant};

/// The reconnect policy.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// Waits `base`, then twice as long each failure, at most `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max: max.max(base),
            failures: 0,
        }
    }

    /// The wait after `failures` failures in a row (0 for the first try).
    pub fn delay(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let doubled = self.base.saturating_mul(1u32 << (failures - 1).min(20));
        doubled.min(self.max)
    }

    /// A try failed at `now`: when to try next.
    pub fn failed(&mut self, now: Instant) -> Instant {
        self.failures = self.failures.saturating_add(1);
        now + self.delay(self.failures)
    }

    /// A try succeeded: the next failure starts from `base` again.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// Failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

impl Default for Backoff {
    /// 50 ms doubling to 2 s.
    fn default() -> Self {
        Backoff::new(Duration::from_millis(50), Duration::from_secs(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let now = Instant::now();
        let mut b = Backoff::new(Duration::from_millis(10), Duration::from_millis(50));
        let waits: Vec<_> = (0..5).map(|_| b.failed(now) - now).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(waits, [ms(10), ms(20), ms(40), ms(50), ms(50)]);
        assert_eq!(b.failures(), 5);
        b.succeeded();
        assert_eq!(b.failed(now) - now, ms(10));
        assert_eq!(b.delay(0), Duration::ZERO);
        assert_eq!(b.delay(u32::MAX), ms(50));
    }
}
