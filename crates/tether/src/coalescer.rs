//! The linger policy, sans-IO: which send is written at once, which is
//! gathered, and when the gathered bytes are due.
//!
//! With a linger of zero every send is one write. With a linger, a send on
//! an idle link (nothing written for a linger, or a receive since the last
//! write) is still written at once; sends that follow closely are gathered
//! and written together by whichever comes first: the next receive, an
//! explicit flush, the gathered bytes reaching [`HIGH_WATER`], or the
//! flusher once the oldest gathered message has waited a linger.
//!
//! The [`Coalescer`] only counts bytes and compares instants; the writer
//! holds the bytes, owns the socket and the flusher thread, and carries out
//! what the coalescer returns. Every decision that writes assumes the write
//! happens (a failed write breaks the link anyway). The time comes in as a
//! closure, called only on the paths that need it: in a tight send loop
//! most sends are gathered behind an armed flusher and read no clock.

use std::time::{Duration, Instant};

/// Gathered bytes past this are written at once: a batch that size already
/// amortises the syscall, and the buffer stays small.
pub(crate) const HIGH_WATER: usize = 256 * 1024;

/// What to do with one message given to `send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendAction {
    /// Nothing is gathered: write this frame alone, now.
    Write,
    /// Write what is gathered with this frame behind it, now, in one go.
    WriteAfterGathered,
    /// Append this frame to what is gathered; the flusher is due already.
    Gather,
    /// Append this frame and have the flusher write everything at the
    /// given instant (start it, or wake it to look at the new deadline).
    GatherUntil(Instant),
}

/// What the flusher does when it wakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tick {
    /// Nothing waits on a deadline: sleep until woken.
    Idle,
    /// Sleep until this instant, then tick again.
    WaitUntil(Instant),
    /// Write everything gathered, now.
    Write,
}

/// The state of the linger window of one link.
#[derive(Debug, Clone)]
pub(crate) struct Coalescer {
    linger: Duration,
    /// Bytes gathered (framed) and not yet written.
    gathered: usize,
    /// When the oldest message that waits on the linger arrived; `None`
    /// when nothing is gathered, or only fed messages (which wait for an
    /// explicit flush).
    oldest: Option<Instant>,
    last_write: Option<Instant>,
    /// A receive happened since the last write: the next send answers a
    /// request, and is written at once.
    replying: bool,
}

impl Coalescer {
    /// A fresh link's policy: its first send is written at once.
    pub(crate) fn new(linger: Duration) -> Self {
        Self {
            linger,
            gathered: 0,
            oldest: None,
            last_write: None,
            replying: true,
        }
    }

    /// The linger window.
    pub(crate) fn linger(&self) -> Duration {
        self.linger
    }

    /// Bytes gathered and not yet written.
    pub(crate) fn gathered(&self) -> usize {
        self.gathered
    }

    /// A send of a frame of `len` bytes (header included).
    pub(crate) fn on_send(&mut self, len: usize, now: impl FnOnce() -> Instant) -> SendAction {
        if self.gathered > 0 {
            if self.linger.is_zero() || self.gathered + len >= HIGH_WATER {
                // Written behind what is gathered, so never ahead of it.
                self.written(now());
                return SendAction::WriteAfterGathered;
            }
            self.gathered += len;
            if self.oldest.is_some() {
                return SendAction::Gather;
            }
            // Only fed messages wait: this send starts the window.
            let now = now();
            self.oldest = Some(now);
            return SendAction::GatherUntil(now + self.linger);
        }
        if self.linger.is_zero() {
            return SendAction::Write;
        }
        let now = now();
        let idle = self.replying
            || self
                .last_write
                .map_or(true, |t| now.duration_since(t) >= self.linger);
        if idle || len >= HIGH_WATER {
            self.written(now);
            return SendAction::Write;
        }
        self.gathered = len;
        self.oldest = Some(now);
        SendAction::GatherUntil(now + self.linger)
    }

    /// A frame of `len` bytes fed to wait for an explicit flush. True: write
    /// everything gathered now, as the batch is big enough.
    pub(crate) fn on_feed(&mut self, len: usize, now: impl FnOnce() -> Instant) -> bool {
        self.gathered += len;
        if self.gathered >= HIGH_WATER {
            self.written(now());
            return true;
        }
        false
    }

    /// An explicit flush (or a receive, or the link going away). True:
    /// write everything gathered now.
    pub(crate) fn on_flush(&mut self, now: impl FnOnce() -> Instant) -> bool {
        if self.gathered == 0 {
            return false;
        }
        self.written(now());
        true
    }

    /// The flusher woke at `now`.
    pub(crate) fn on_tick(&mut self, now: Instant) -> Tick {
        let Some(oldest) = self.oldest else {
            return Tick::Idle;
        };
        let due = oldest + self.linger;
        if now < due {
            return Tick::WaitUntil(due);
        }
        self.written(now);
        Tick::Write
    }

    /// A receive began: the next send answers it.
    pub(crate) fn on_receive(&mut self) {
        self.replying = true;
    }

    /// A new linger window. True: write everything gathered now (a zero
    /// linger holds nothing back).
    pub(crate) fn set_linger(&mut self, linger: Duration, now: impl FnOnce() -> Instant) -> bool {
        self.linger = linger;
        linger.is_zero() && self.on_flush(now)
    }

    fn written(&mut self, now: Instant) {
        self.gathered = 0;
        self.oldest = None;
        self.last_write = Some(now);
        self.replying = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINGER: Duration = Duration::from_micros(100);

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// A policy whose first send has been written at `t0`, so the link is
    /// no longer idle.
    fn busy(t0: Instant) -> Coalescer {
        let mut c = Coalescer::new(LINGER);
        assert_eq!(c.on_send(8, || t0), SendAction::Write);
        c
    }

    #[test]
    fn first_send_is_written_at_once() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(LINGER);
        assert_eq!(c.on_send(8, || t0), SendAction::Write);
        assert_eq!(c.gathered(), 0);
    }

    #[test]
    fn close_sends_are_gathered_and_due_one_linger_after_the_first() {
        let t0 = Instant::now();
        let mut c = busy(t0);
        assert_eq!(
            c.on_send(8, || t0 + us(10)),
            SendAction::GatherUntil(t0 + us(110))
        );
        // Armed: the next sends read no clock.
        assert_eq!(c.on_send(8, || unreachable!()), SendAction::Gather);
        assert_eq!(c.on_send(8, || unreachable!()), SendAction::Gather);
        assert_eq!(c.gathered(), 24);
        assert_eq!(c.on_tick(t0 + us(50)), Tick::WaitUntil(t0 + us(110)));
        assert_eq!(c.on_tick(t0 + us(110)), Tick::Write);
        assert_eq!(c.gathered(), 0);
        assert_eq!(c.on_tick(t0 + us(111)), Tick::Idle);
    }

    #[test]
    fn a_send_after_a_quiet_linger_is_written_at_once() {
        let t0 = Instant::now();
        let mut c = busy(t0);
        assert_eq!(c.on_send(8, || t0 + us(100)), SendAction::Write);
        assert!(matches!(
            c.on_send(8, || t0 + us(150)),
            SendAction::GatherUntil(_)
        ));
    }

    #[test]
    fn a_reply_after_a_receive_is_written_at_once() {
        let t0 = Instant::now();
        let mut c = busy(t0);
        c.on_receive();
        assert_eq!(c.on_send(8, || t0 + us(1)), SendAction::Write);
        // The reply's write ends the reply: the next close send waits.
        assert!(matches!(
            c.on_send(8, || t0 + us(2)),
            SendAction::GatherUntil(_)
        ));
    }

    #[test]
    fn zero_linger_writes_every_send_and_never_reads_the_clock() {
        let mut c = Coalescer::new(Duration::ZERO);
        for _ in 0..3 {
            assert_eq!(c.on_send(8, || unreachable!()), SendAction::Write);
        }
    }

    #[test]
    fn zero_linger_writes_a_send_behind_fed_messages() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(Duration::ZERO);
        assert!(!c.on_feed(8, || unreachable!()));
        assert_eq!(c.on_send(8, || t0), SendAction::WriteAfterGathered);
        assert_eq!(c.gathered(), 0);
    }

    #[test]
    fn a_big_send_is_written_at_once_even_inside_the_linger() {
        let t0 = Instant::now();
        let mut c = busy(t0);
        assert_eq!(c.on_send(HIGH_WATER, || t0 + us(1)), SendAction::Write);
        assert!(matches!(
            c.on_send(8, || t0 + us(2)),
            SendAction::GatherUntil(_)
        ));
        assert_eq!(
            c.on_send(HIGH_WATER - 8, || t0 + us(3)),
            SendAction::WriteAfterGathered
        );
        assert_eq!(c.gathered(), 0);
    }

    #[test]
    fn fed_messages_wait_for_a_flush_until_the_high_water_mark() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(LINGER);
        assert!(!c.on_feed(HIGH_WATER / 2, || unreachable!()));
        assert_eq!(c.on_tick(t0 + us(1000)), Tick::Idle, "fed: no deadline");
        assert!(c.on_feed(HIGH_WATER / 2, || t0));
        assert!(!c.on_flush(|| unreachable!()), "nothing left");
        assert!(!c.on_feed(8, || unreachable!()));
        assert!(c.on_flush(|| t0));
    }

    #[test]
    fn a_send_behind_fed_messages_starts_the_linger() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(LINGER);
        c.on_feed(8, || unreachable!());
        assert_eq!(c.on_send(8, || t0), SendAction::GatherUntil(t0 + LINGER));
        assert_eq!(c.gathered(), 16);
    }

    #[test]
    fn setting_a_zero_linger_writes_what_waits() {
        let t0 = Instant::now();
        let mut c = busy(t0);
        c.on_send(8, || t0 + us(1));
        assert!(c.set_linger(Duration::ZERO, || t0 + us(2)));
        assert_eq!(c.gathered(), 0);
        assert!(!c.set_linger(LINGER, || unreachable!()));
        assert_eq!(c.linger(), LINGER);
    }

    #[test]
    fn a_flush_ends_the_window_and_counts_as_a_write() {
        let t0 = Instant::now();
        let mut c = busy(t0);
        c.on_send(8, || t0 + us(1));
        assert!(c.on_flush(|| t0 + us(2)));
        assert_eq!(c.on_tick(t0 + us(500)), Tick::Idle);
        // Written at +2 µs: a send at +50 µs is still close to it.
        assert!(matches!(
            c.on_send(8, || t0 + us(50)),
            SendAction::GatherUntil(_)
        ));
    }
}
