//! Lines about bad peers, throttled: in each second, the first few of a
//! kind are printed whole, and the rest are summed up in one line when
//! the second is over ("1,000 peers dropped in the last second: frame over
//! the 16 MiB limit"). A thousand hostile peers then cost a handful of
//! lines, not a thousand.
//!
//! [`Summariser`] is the policy, fed times as durations since the start
//! (no clock, no output); [`PeerLog`] is the shell that reads the clock
//! and writes stderr.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tether::proto::limits::human_bytes;
use tether::proto::CodecError;
use tether::Error;

/// The span a summary covers.
const WINDOW: Duration = Duration::from_secs(1);
/// Lines of one kind printed whole in a window.
const SHOWN: u64 = 3;
/// Kinds told apart in a window; more are counted as "other errors".
const KINDS: usize = 32;

/// What became of a peer, and why: what lines are grouped by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// "dropped", "closed", "turned away"...
    pub verb: &'static str,
    /// Why, the same for every peer it happens to: no address, no sizes
    /// that differ from peer to peer.
    pub cause: String,
}

impl Reason {
    /// A reason from its two parts.
    pub fn new(verb: &'static str, cause: impl Into<String>) -> Self {
        Reason {
            verb,
            cause: cause.into(),
        }
    }

    /// Why a connection ended with `e`, as a kind shared by every peer
    /// it happens to.
    pub fn of(verb: &'static str, e: &Error) -> Self {
        let cause = match e {
            Error::Codec(CodecError::FrameTooLarge { max, .. }) => {
                format!("frame over the {} limit", human_bytes(*max))
            }
            Error::Codec(CodecError::LineTooLong { max }) => {
                format!("line over the {} limit", human_bytes(*max))
            }
            Error::Truncated { .. } | Error::Codec(CodecError::Truncated { .. }) => {
                "closed mid-frame".to_owned()
            }
            Error::Io(io) | Error::Codec(CodecError::Io(io)) => io.kind().to_string(),
            other => other.to_string(),
        };
        Reason::new(verb, cause)
    }
}

/// The throttling policy: which lines to print now, and the summaries.
#[derive(Debug, Default)]
pub struct Summariser {
    /// When the open window began; `None` when none is open.
    start: Option<Duration>,
    counts: Vec<(Reason, u64)>,
}

impl Summariser {
    /// A line about a peer, at `now`: returns the lines to print (a
    /// summary of the window that ended, then `line` if it is among the
    /// first of its kind in this window).
    pub fn note(&mut self, now: Duration, reason: Reason, line: String) -> Vec<String> {
        let mut out = self.tick(now);
        self.start.get_or_insert(now);
        let reason = if self.counts.len() >= KINDS && !self.counts.iter().any(|c| c.0 == reason) {
            Reason::new("ended", "other errors")
        } else {
            reason
        };
        let n = match self.counts.iter_mut().find(|c| c.0 == reason) {
            Some(count) => {
                count.1 += 1;
                count.1
            }
            None => {
                self.counts.push((reason, 1));
                1
            }
        };
        if n <= SHOWN {
            out.push(line);
        }
        out
    }

    /// The summary lines of a window that is over by `now`.
    pub fn tick(&mut self, now: Duration) -> Vec<String> {
        match self.start {
            Some(start) if now >= start + WINDOW => self.finish(),
            _ => Vec::new(),
        }
    }

    /// Ends the open window (at a stop): its summary lines.
    pub fn finish(&mut self) -> Vec<String> {
        self.start = None;
        self.counts
            .drain(..)
            .filter(|(_, n)| *n > SHOWN)
            .map(|(r, n)| {
                format!(
                    "tether: {} peers {} in the last second: {}",
                    grouped(n),
                    r.verb,
                    r.cause
                )
            })
            .collect()
    }
}

/// `1000` as `1,000`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// The shell: stderr and the clock around a [`Summariser`], shared by
/// every connection of a listener.
#[derive(Debug)]
pub struct PeerLog {
    started: Instant,
    policy: Mutex<Summariser>,
}

impl Default for PeerLog {
    fn default() -> Self {
        PeerLog {
            started: Instant::now(),
            policy: Mutex::new(Summariser::default()),
        }
    }
}

impl PeerLog {
    /// Prints `line` about a peer, unless many of its kind came this second.
    pub fn report(&self, reason: Reason, line: String) {
        let now = self.started.elapsed();
        print(self.policy().note(now, reason, line));
    }

    /// Prints summaries once a second; never ends (select it with a stop).
    pub async fn summarise_each_second(&self) {
        let mut tick = tokio::time::interval(WINDOW / 4);
        loop {
            tick.tick().await;
            let now = self.started.elapsed();
            print(self.policy().tick(now));
        }
    }

    /// Prints what the open window holds (at a stop).
    pub fn finish(&self) {
        print(self.policy().finish());
    }

    fn policy(&self) -> std::sync::MutexGuard<'_, Summariser> {
        self.policy.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn print(lines: Vec<String>) {
    for line in lines {
        eprintln!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn too_large() -> Reason {
        Reason::new("dropped", "frame over the 16 MiB limit")
    }

    #[test]
    fn a_thousand_bad_peers_in_a_second_make_four_lines() {
        let mut s = Summariser::default();
        let mut printed = Vec::new();
        for i in 0..1000u64 {
            printed.extend(s.note(ms(i / 2), too_large(), format!("peer {i}")));
        }
        assert_eq!(printed, ["peer 0", "peer 1", "peer 2"]);
        assert!(s.tick(ms(999)).is_empty());
        assert_eq!(
            s.tick(ms(1000)),
            ["tether: 1,000 peers dropped in the last second: frame over the 16 MiB limit"]
        );
        // Nothing more, until the next peer opens a new window.
        assert!(s.tick(ms(5000)).is_empty());
        assert_eq!(s.note(ms(5001), too_large(), "late".into()), ["late"]);
    }

    #[test]
    fn kinds_are_counted_apart_and_few_need_no_summary() {
        let mut s = Summariser::default();
        let idle = Reason::new("closed", "idle for the --idle-timeout");
        for i in 0..5 {
            s.note(ms(i), too_large(), String::new());
        }
        s.note(ms(10), idle.clone(), "idle one".into());
        // A peer in the next window prints the last window's summary first.
        let out = s.note(ms(1200), idle, "idle two".into());
        assert_eq!(
            out,
            [
                "tether: 5 peers dropped in the last second: frame over the 16 MiB limit",
                "idle two"
            ]
        );
        assert!(s.finish().is_empty());
    }

    #[test]
    fn endless_kinds_are_bounded() {
        let mut s = Summariser::default();
        let mut printed = 0;
        for i in 0..1000 {
            let r = Reason::new("ended", format!("cause {i}"));
            printed += s.note(ms(0), r, String::new()).len();
        }
        assert_eq!(printed, KINDS + SHOWN as usize);
        assert_eq!(
            s.finish(),
            ["tether: 968 peers ended in the last second: other errors"]
        );
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(7), "7");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1234567), "1,234,567");
    }
}
