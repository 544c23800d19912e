//! Counters for the status corner and the end of a run: handoffs per
//! second over a sliding second, and frame-time percentiles.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;

/// Events in the last second.
#[derive(Debug, Clone, Default)]
pub struct Rate {
    times: VecDeque<Duration>,
}

impl Rate {
    /// Counts one event at `now`.
    pub fn record(&mut self, now: Duration) {
        self.forget(now);
        self.times.push_back(now);
    }

    /// Events in the second before `now`.
    pub fn per_second(&mut self, now: Duration) -> usize {
        self.forget(now);
        self.times.len()
    }

    fn forget(&mut self, now: Duration) {
        while self
            .times
            .front()
            .is_some_and(|t| now.saturating_sub(*t) > Duration::from_secs(1))
        {
            self.times.pop_front();
        }
    }
}

/// Frame times of a run.
#[derive(Debug, Clone, Default)]
pub struct FrameTimes {
    micros: Vec<u32>,
}

/// Percentiles of frame times, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct FrameSummary {
    /// Frames drawn.
    pub count: usize,
    /// Median frame time.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Longest frame.
    pub max_ms: f64,
}

/// Most frame times kept (an hour at 60 frames/s); later ones are dropped.
const MAX_FRAMES: usize = 216_000;

impl FrameTimes {
    /// One frame took `took` (from the start of one frame to the next).
    pub fn record(&mut self, took: Duration) {
        if self.micros.len() < MAX_FRAMES {
            self.micros
                .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        }
    }

    /// The percentiles so far.
    pub fn summary(&self) -> FrameSummary {
        let mut sorted = self.micros.clone();
        sorted.sort_unstable();
        let at = |q: f64| {
            let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
            sorted.get(i).map_or(0.0, |us| f64::from(*us) / 1000.0)
        };
        FrameSummary {
            count: sorted.len(),
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_forgets_after_a_second() {
        let mut r = Rate::default();
        for ms in [0, 100, 900, 1500] {
            r.record(Duration::from_millis(ms));
        }
        assert_eq!(r.per_second(Duration::from_millis(1500)), 2);
        assert_eq!(r.per_second(Duration::from_secs(5)), 0);
    }

    #[test]
    fn percentiles_of_frame_times() {
        let mut f = FrameTimes::default();
        for ms in 1..=100 {
            f.record(Duration::from_millis(ms));
        }
        let s = f.summary();
        assert_eq!(s.count, 100);
        assert_eq!(s.max_ms, 100.0);
        assert!((s.p99_ms - 99.0).abs() <= 1.0);
    }
}
