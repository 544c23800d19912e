//! The hand-over from the connections to the printer: batches cut to
//! `--count`, the counters the summary and `--stats` read, and the stop
//! that every task of the listener watches.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::limits::Limits;
use super::peer_log::PeerLog;
use super::printer::{Batch, Received};

/// The default `--drain-timeout`.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(2);

/// Where the server puts what it receives.
#[derive(Debug)]
pub struct Sink {
    to_printer: mpsc::Sender<Batch>,
    count: Option<u64>,
    echo: bool,
    stamp_time: bool,
    drain: Duration,
    stop: CancellationToken,
    /// What has been received so far.
    pub tally: Tally,
    /// The connection cap and the idle timeout.
    pub limits: Limits,
    /// Lines about bad peers, throttled.
    pub log: PeerLog,
}

/// Counters shared by every task of one listener.
#[derive(Debug, Default)]
pub struct Tally {
    /// Messages received (counted past `--count` too; see [`Sink::counted`]).
    pub received: AtomicU64,
    /// Payload bytes handed to the printer.
    pub bytes: AtomicU64,
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections dropped for breaking the framing.
    pub dropped: AtomicU64,
    /// Echoes given up on because the drain time ran out at a stop.
    pub undelivered: AtomicU64,
}

/// What became of a batch handed to the sink.
#[derive(Debug)]
pub struct Delivered {
    /// With `--echo`: the payloads taken, to send back (all of them before
    /// the listener closes, so every message counted is answered).
    pub echo: Vec<Bytes>,
    /// False once the listener is done: `--count` reached, or nobody prints.
    pub more: bool,
}

impl Sink {
    /// A sink that feeds `to_printer`, stopping after `count` messages.
    pub fn new(to_printer: mpsc::Sender<Batch>, count: Option<u64>) -> Self {
        Sink {
            to_printer,
            count,
            echo: false,
            stamp_time: false,
            drain: DEFAULT_DRAIN,
            stop: CancellationToken::new(),
            tally: Tally::default(),
            limits: Limits::default(),
            log: PeerLog::default(),
        }
    }

    /// Send every message back to its sender.
    pub fn echo(mut self, echo: bool) -> Self {
        self.echo = echo;
        self
    }

    /// How long, after a stop, connections may still spend delivering.
    pub fn drain(mut self, drain: Duration) -> Self {
        self.drain = drain;
        self
    }

    /// Note the time each message arrived (for `--json`).
    pub fn stamp_time(mut self, stamp: bool) -> Self {
        self.stamp_time = stamp;
        self
    }

    /// One received message, stamped if the output shows times.
    pub fn received(&self, payload: Bytes) -> Received {
        Received {
            time: self.stamp_time.then(SystemTime::now),
            payload,
        }
    }

    /// Hands a batch to the printer, cut to what `--count` still allows.
    /// The last message allowed stops the listener.
    pub async fn deliver(
        &self,
        peer: &Arc<str>,
        conn: Option<u64>,
        mut messages: Vec<Received>,
    ) -> Delivered {
        let n = messages.len() as u64;
        let before = self.tally.received.fetch_add(n, Ordering::Relaxed);
        let mut last = false;
        if let Some(limit) = self.count {
            let allowed = limit.saturating_sub(before);
            if allowed <= n {
                messages.truncate(allowed as usize);
                last = true;
            }
        }
        let echo = if self.echo {
            messages.iter().map(|m| m.payload.clone()).collect()
        } else {
            Vec::new()
        };
        let mut more = !last;
        if !messages.is_empty() {
            let bytes: usize = messages.iter().map(|m| m.payload.len()).sum();
            self.tally.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
            let batch = Batch {
                peer: Arc::clone(peer),
                conn,
                messages,
            };
            if self.to_printer.send(batch).await.is_err() {
                more = false;
            }
        }
        if last {
            self.stop.cancel();
        }
        Delivered { echo, more }
    }

    /// Messages the printer was given (received, capped at `--count`).
    pub fn counted(&self) -> u64 {
        let n = self.tally.received.load(Ordering::Relaxed);
        self.count.map_or(n, |limit| n.min(limit))
    }

    /// Stops the listener (every task watches [`Sink::stopped`]).
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Resolves once the listener is stopping.
    pub async fn stopped(&self) {
        self.stop.cancelled().await;
    }

    /// Resolves once the listener has been stopping for the drain time:
    /// every wait that could last (an echo to a peer that never reads)
    /// races this, so a stop always ends.
    pub async fn drain_over(&self) {
        self.stopped().await;
        tokio::time::sleep(self.drain).await;
    }

    /// Whether the listener is stopping.
    #[cfg(test)]
    pub fn is_stopped(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Resolves once the printer has gone (stdout closed, a write failed).
    pub async fn printer_gone(&self) {
        self.to_printer.closed().await;
    }
}
