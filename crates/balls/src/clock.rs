//! The fixed time step: the world moves in equal steps whatever the frame
//! rate, so every screen in the ring moves balls at the same speed.

use std::time::Duration;

/// Most steps one frame may run; a frame after a long stall (a suspended
/// process) skips time instead of freezing to catch up.
pub const MAX_STEPS_PER_FRAME: u32 = 64;

/// Counts how many fixed steps have fallen due. Sans-IO: the caller passes
/// the time since its start.
#[derive(Debug, Clone)]
pub struct Stepper {
    step: Duration,
    done: Duration,
}

impl Stepper {
    /// Steps of `step` (at least 1 µs), starting at time zero.
    pub fn new(step: Duration) -> Stepper {
        Stepper {
            step: step.max(Duration::from_micros(1)),
            done: Duration::ZERO,
        }
    }

    /// The step in seconds, for [`World::step`](crate::World::step).
    pub fn dt(&self) -> f64 {
        self.step.as_secs_f64()
    }

    /// How many steps to run now that `now` has passed since the start.
    pub fn advance(&mut self, now: Duration) -> u32 {
        let mut count = 0;
        while self.done + self.step <= now {
            self.done += self.step;
            count += 1;
            if count == MAX_STEPS_PER_FRAME {
                self.done = self.done.max(now);
                break;
            }
        }
        count
    }
}

/// The monotonic time since the process first asked, the clock of the
/// world (so peers of one process, as with `--local`, share it).
pub fn since_start() -> Duration {
    start().0.elapsed()
}

/// The machine's monotonic clock (`CLOCK_MONOTONIC`) at that start, in
/// seconds: added to event times, it makes them comparable between the
/// processes of one machine (Python's `time.monotonic()` is the same clock).
pub fn monotonic_at_start() -> f64 {
    start().1
}

fn start() -> &'static (std::time::Instant, f64) {
    static START: std::sync::OnceLock<(std::time::Instant, f64)> = std::sync::OnceLock::new();
    START.get_or_init(|| {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec we own.
        let ok = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } == 0;
        let secs = if ok {
            ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
        } else {
            0.0
        };
        (std::time::Instant::now(), secs)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_fall_due_with_time_not_frames() {
        let mut s = Stepper::new(Duration::from_millis(4));
        assert_eq!(s.advance(Duration::from_millis(3)), 0);
        assert_eq!(s.advance(Duration::from_millis(17)), 4);
        assert_eq!(s.advance(Duration::from_millis(20)), 1);
    }

    #[test]
    fn a_long_stall_skips_time() {
        let mut s = Stepper::new(Duration::from_millis(1));
        assert_eq!(s.advance(Duration::from_secs(60)), MAX_STEPS_PER_FRAME);
        assert_eq!(s.advance(Duration::from_millis(60_001)), 1);
    }
}
