//! The datagram side of a test's data socket: echo every datagram back,
//! or count the distinct sequence numbers that arrive (the UDP sink).

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tether::{DatagramLink, MAX_UDP_PAYLOAD_V6};

use super::stop::POLL;
use crate::control::{ServerResults, TestSettings};
use crate::wire::sequence;

/// The most datagrams a UDP sink tracks (a bitmap of 8 MiB).
const MAX_TRACKED_DATAGRAMS: u64 = 64 * 1024 * 1024;
/// After `done`, a UDP sink keeps reading until the socket is quiet this
/// long (at most `UDP_DRAIN_MAX`).
const UDP_QUIET: Duration = Duration::from_millis(30);
const UDP_DRAIN_MAX: Duration = Duration::from_millis(500);

/// The UDP data socket of a test, of either stack.
pub(super) enum Datagrams {
    /// A tether datagram link.
    Tether(DatagramLink),
    /// A plain std socket.
    Std(UdpSocket),
}

impl AsFd for Datagrams {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Datagrams::Tether(l) => l.as_fd(),
            Datagrams::Std(s) => s.as_fd(),
        }
    }
}

impl Datagrams {
    /// Both stacks wait the same way: one blocking receive with
    /// `SO_RCVTIMEO`, so the stop flag is seen within [`POLL`].
    fn set_udp_timeout(&self) -> io::Result<()> {
        match self {
            Datagrams::Tether(l) => l.socket().set_read_timeout(Some(POLL)),
            Datagrams::Std(s) => s.set_read_timeout(Some(POLL)),
        }
    }

    /// One datagram (into `buf` for std, as tether's own `Bytes` for
    /// tether), or `None` when the wait timed out.
    fn udp_recv(&mut self, buf: &mut [u8]) -> anyhow::Result<Option<(Datagram, SocketAddr)>> {
        let got = match self {
            Datagrams::Tether(l) => match l.recv_from() {
                Ok((m, from)) => Ok((Datagram::Tether(m), from)),
                // A timeout of SO_RCVTIMEO comes as EAGAIN, which tether
                // names WouldBlock.
                Err(tether::Error::WouldBlock) => return Ok(None),
                Err(tether::Error::Io(e)) => Err(e),
                Err(e) => return Err(e.into()),
            },
            Datagrams::Std(s) => s.recv_from(buf).map(|(n, from)| (Datagram::Std(n), from)),
        };
        match got {
            Ok(got) => Ok(Some(got)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Sends every datagram back to where it came from, until `stop`.
    pub(super) fn echo(mut self, stop: &AtomicBool) -> anyhow::Result<ServerResults> {
        let mut r = ServerResults::default();
        let mut buf = vec![0u8; MAX_UDP_PAYLOAD_V6];
        self.set_udp_timeout()?;
        while !stop.load(Ordering::Relaxed) {
            let Some((d, from)) = self.udp_recv(&mut buf)? else {
                continue;
            };
            let n = match (&mut self, &d) {
                (Datagrams::Tether(l), Datagram::Tether(m)) => {
                    l.send_to(m, from)?;
                    m.len()
                }
                (Datagrams::Std(s), Datagram::Std(n)) => {
                    s.send_to(&buf[..*n], from)?;
                    *n
                }
                _ => 0,
            };
            r.messages += 1;
            r.bytes += n as u64;
        }
        Ok(r)
    }

    /// Counts the datagrams that arrive until `stop` and a quiet spell.
    pub(super) fn sink(
        mut self,
        s: &TestSettings,
        stop: &AtomicBool,
    ) -> anyhow::Result<ServerResults> {
        let mut tally = Tally::new(s.max_datagrams, Instant::now());
        let mut stopped_at: Option<Instant> = None;
        let mut buf = vec![0u8; MAX_UDP_PAYLOAD_V6];
        self.set_udp_timeout()?;
        loop {
            let got = self.udp_recv(&mut buf)?.map(|(d, _)| {
                let bytes: &[u8] = match &d {
                    Datagram::Tether(m) => m,
                    Datagram::Std(n) => &buf[..*n],
                };
                (sequence(bytes), bytes.len())
            });
            let now = Instant::now();
            if let Some((seq, len)) = got {
                tally.record(seq, len, now);
            }
            if stop.load(Ordering::Relaxed) {
                let since = *stopped_at.get_or_insert(now);
                let quiet = now.duration_since(tally.last.max(since)) >= UDP_QUIET;
                if quiet || now.duration_since(since) >= UDP_DRAIN_MAX {
                    break;
                }
            }
        }
        Ok(tally.results())
    }
}

/// The counts of a UDP sink: which sequence numbers came (a bitmap), in
/// what order, and when the first and last new one arrived.
struct Tally {
    r: ServerResults,
    tracked: u64,
    seen: Vec<u64>,
    highest: Option<u64>,
    first: Option<Instant>,
    last: Instant,
}

impl Tally {
    /// Tracks sequence numbers below `max_datagrams` (capped); `now` stands
    /// for the last arrival until one comes.
    fn new(max_datagrams: u64, now: Instant) -> Tally {
        let tracked = max_datagrams.min(MAX_TRACKED_DATAGRAMS);
        Tally {
            r: ServerResults::default(),
            tracked,
            seen: vec![0u64; tracked.div_ceil(64) as usize],
            highest: None,
            first: None,
            last: now,
        }
    }

    /// One datagram of `len` bytes with sequence number `seq` (`None`: too
    /// short to carry one), arrived at `now`.
    fn record(&mut self, seq: Option<u64>, len: usize, now: Instant) {
        let r = &mut self.r;
        let Some(seq) = seq.filter(|&s| s < self.tracked) else {
            r.invalid += 1;
            return;
        };
        let (word, bit) = ((seq / 64) as usize, 1u64 << (seq % 64));
        if self.seen[word] & bit != 0 {
            r.duplicates += 1;
            return;
        }
        self.seen[word] |= bit;
        if self.highest.is_some_and(|h| seq < h) {
            r.reordered += 1;
        }
        self.highest = Some(self.highest.map_or(seq, |h| h.max(seq)));
        r.messages += 1;
        r.bytes += len as u64;
        self.first.get_or_insert(now);
        self.last = now;
    }

    /// The counts, with the time from the first new datagram to the last.
    fn results(self) -> ServerResults {
        ServerResults {
            elapsed_ns: self
                .first
                .map_or(0, |f| self.last.duration_since(f).as_nanos() as u64),
            ..self.r
        }
    }
}

/// A received datagram: tether's own buffer, or a length in the caller's.
enum Datagram {
    Tether(tether::Bytes),
    Std(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_counts_new_late_twice_seen_and_invalid_datagrams() {
        let t0 = Instant::now();
        let mut t = Tally::new(10, t0);
        let ms = |n| t0 + Duration::from_millis(n);
        t.record(Some(0), 8, ms(1));
        t.record(Some(2), 8, ms(2));
        t.record(Some(1), 8, ms(3)); // after a higher number
        t.record(Some(2), 8, ms(4)); // seen before
        t.record(Some(10), 8, ms(5)); // out of range
        t.record(None, 3, ms(6)); // too short
        let r = t.results();
        assert_eq!((r.messages, r.bytes), (3, 24));
        assert_eq!((r.reordered, r.duplicates, r.invalid), (1, 1, 2));
        assert_eq!(r.elapsed_ns, 2_000_000);
    }
}
