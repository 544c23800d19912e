//! How long a link waits on its peer, sans-IO: the idle timeout (nothing
//! heard for that long) and the frame timeout (a frame that has begun must
//! be whole within it, so a peer that sends a header and then a byte a
//! second cannot hold a connection and its buffer for ever).
//!
//! [`Patience`] only compares instants; the links tell it what they saw
//! (bytes heard, a frame taken, part of a frame waiting) and ask when the
//! next deadline is and whether it has passed. The clock comes in as a
//! closure, read only when a deadline can start or move, so a link with
//! no idle timeout that receives whole frames reads no clock at all.

use std::time::{Duration, Instant};

/// Which timeout ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// Nothing was heard for this long.
    Idle(Duration),
    /// A frame had begun and was not whole this long after.
    Frame(Duration),
}

/// The timeouts of one link and what they run from.
#[derive(Debug, Clone)]
pub(crate) struct Patience {
    idle: Option<Duration>,
    frame: Option<Duration>,
    /// When bytes last came (or the link was made); kept only with an idle
    /// timeout.
    last_heard: Option<Instant>,
    /// When the frame now waiting began to arrive; `None` between frames.
    frame_began: Option<Instant>,
}

impl Patience {
    /// A new link's timeouts; the idle one runs from `now`.
    pub(crate) fn new(
        idle: Option<Duration>,
        frame: Option<Duration>,
        now: impl FnOnce() -> Instant,
    ) -> Self {
        Self {
            idle,
            frame,
            last_heard: idle.map(|_| now()),
            frame_began: None,
        }
    }

    /// Bytes arrived.
    pub(crate) fn heard(&mut self, now: impl FnOnce() -> Instant) {
        if self.idle.is_some() {
            self.last_heard = Some(now());
        }
    }

    /// A whole frame was taken: the frame timeout starts again with the
    /// next frame.
    pub(crate) fn frame_done(&mut self) {
        self.frame_began = None;
    }

    /// No whole frame is buffered; `partial` says whether part of one is.
    /// The first time part of a frame is seen waiting, its time starts.
    pub(crate) fn waiting(&mut self, partial: bool, now: impl FnOnce() -> Instant) {
        if !partial {
            self.frame_began = None;
        } else if self.frame.is_some() && self.frame_began.is_none() {
            self.frame_began = Some(now());
        }
    }

    /// The next instant at which a timeout runs out, and which.
    pub(crate) fn deadline(&self) -> Option<(Instant, Expiry)> {
        let idle = self
            .idle
            .zip(self.last_heard)
            .map(|(d, at)| (at + d, Expiry::Idle(d)));
        let frame = self
            .frame
            .zip(self.frame_began)
            .map(|(d, at)| (at + d, Expiry::Frame(d)));
        match (idle, frame) {
            (Some(i), Some(f)) => Some(if f.0 <= i.0 { f } else { i }),
            (i, f) => i.or(f),
        }
    }

    /// The timeout that has run out by `now`, if any.
    pub(crate) fn expired(&self, now: Instant) -> Option<Expiry> {
        self.deadline()
            .and_then(|(at, why)| (now >= at).then_some(why))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn without_timeouts_nothing_expires_and_no_clock_is_read() {
        let mut p = Patience::new(None, None, || unreachable!());
        p.heard(|| unreachable!());
        p.waiting(true, || unreachable!());
        assert_eq!(p.deadline(), None);
    }

    #[test]
    fn a_frame_that_has_begun_must_be_whole_within_the_frame_timeout() {
        let t0 = Instant::now();
        let mut p = Patience::new(None, Some(s(30)), || t0);
        assert_eq!(p.deadline(), None, "no frame has begun");
        p.waiting(true, || t0 + s(1));
        // Bytes that trickle in do not move the deadline.
        p.heard(|| t0 + s(20));
        p.waiting(true, || t0 + s(20));
        assert_eq!(p.deadline(), Some((t0 + s(31), Expiry::Frame(s(30)))));
        assert_eq!(p.expired(t0 + s(30)), None);
        assert_eq!(p.expired(t0 + s(31)), Some(Expiry::Frame(s(30))));
    }

    #[test]
    fn each_frame_gets_its_own_time() {
        let t0 = Instant::now();
        let mut p = Patience::new(None, Some(s(30)), || t0);
        p.waiting(true, || t0);
        p.frame_done();
        p.waiting(true, || t0 + s(29));
        assert_eq!(p.expired(t0 + s(45)), None);
        p.waiting(false, || unreachable!());
        assert_eq!(p.deadline(), None, "between frames");
    }

    #[test]
    fn the_idle_timeout_runs_from_the_last_byte_heard() {
        let t0 = Instant::now();
        let mut p = Patience::new(Some(s(10)), None, || t0);
        assert_eq!(p.deadline(), Some((t0 + s(10), Expiry::Idle(s(10)))));
        p.heard(|| t0 + s(8));
        assert_eq!(p.expired(t0 + s(17)), None);
        assert_eq!(p.expired(t0 + s(18)), Some(Expiry::Idle(s(10))));
    }

    #[test]
    fn the_earlier_deadline_wins() {
        let t0 = Instant::now();
        let mut p = Patience::new(Some(s(10)), Some(s(3)), || t0);
        p.waiting(true, || t0 + s(1));
        assert_eq!(p.deadline(), Some((t0 + s(4), Expiry::Frame(s(3)))));
        let mut q = Patience::new(Some(s(2)), Some(s(3)), || t0);
        q.waiting(true, || t0 + s(1));
        assert_eq!(q.deadline(), Some((t0 + s(2), Expiry::Idle(s(2)))));
    }
}
