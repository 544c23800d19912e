//! Experiment 2, rate against message size: a one-way transfer of a fixed
//! total in messages of one size, counted by the receiver after parsing.
//! The receiver's clock runs from the first whole message to the end of the
//! stream, so connecting is not counted and the rate is `(n - 1) / t`.

use std::time::{Duration, Instant};

use anyhow::bail;
use tether::{Endpoint, Link, Options};

use super::baseline::{self, BATCH_BYTES};
use super::control::{Role, ServerResults, Session, Stack, TestSettings, Transport};
use super::report::{Rate, RateMode};

/// The fewest messages a rate point sends (unless the time cap comes
/// first), whatever `--total` says.
pub const MIN_MESSAGES: u64 = 16;

/// One rate point.
#[derive(Debug, Clone, Copy)]
pub struct RateSpec {
    /// How the sender writes.
    pub mode: RateMode,
    /// `TCP_NODELAY` on both ends.
    pub nodelay: bool,
    /// Payload bytes per message.
    pub size: usize,
    /// Bytes to send (rounded down to whole messages, at least
    /// [`MIN_MESSAGES`]).
    pub total: u64,
    /// Time cap of the sender.
    pub time: Duration,
}

/// How many messages go between two looks at the clock: about 64 KiB
/// worth, so reading the clock costs nothing next to the sending.
pub fn check_every(size: usize) -> u64 {
    (BATCH_BYTES / (size + 4)).clamp(1, 4096) as u64
}

/// Sends over a tether link; returns (messages sent, stopped by time).
fn send_tether(
    endpoint: &Endpoint,
    mode: RateMode,
    nodelay: bool,
    size: usize,
    count: u64,
    time: Duration,
) -> anyhow::Result<(u64, bool)> {
    let mut options = Options::new().nodelay(nodelay);
    if mode == RateMode::SendLinger0 {
        options = options.linger(Duration::ZERO);
    }
    let mut link = Link::connect_with(endpoint.clone(), &options)?;
    let payload = vec![0x5a; size];
    let check_every = check_every(size);
    let deadline = Instant::now() + time;
    let mut sent = 0u64;
    let mut capped = false;
    let mut gathered = 0usize;
    while sent < count {
        if sent % check_every == 0 && Instant::now() >= deadline {
            capped = true;
            break;
        }
        if mode == RateMode::Batch {
            link.feed(&payload)?;
            gathered += size + 4;
            if gathered >= BATCH_BYTES {
                link.flush()?;
                gathered = 0;
            }
        } else {
            link.send(&payload)?;
        }
        sent += 1;
    }
    // Writes what is gathered, then the end of the stream.
    link.shutdown(std::net::Shutdown::Write)?;
    Ok((sent, capped))
}

/// Measures one point against the server, over TCP.
pub fn measure(session: &mut Session, spec: &RateSpec) -> anyhow::Result<Rate> {
    let stack = if spec.mode.is_std() {
        Stack::Std
    } else {
        Stack::Tether
    };
    let settings = TestSettings {
        role: Role::Sink,
        transport: Transport::Tcp,
        stack,
        nodelay: spec.nodelay,
        max_datagrams: 0,
        cpu: None,
    };
    // At least a few messages even for big sizes, so the rate is not one
    // message's worth of timing.
    let count = (spec.total / spec.size.max(1) as u64).max(MIN_MESSAGES);
    let ((sent, capped), got) = session.test(&settings, |endpoint| match stack {
        Stack::Tether => send_tether(
            endpoint,
            spec.mode,
            spec.nodelay,
            spec.size,
            count,
            spec.time,
        ),
        Stack::Std => baseline::send_stream(
            endpoint,
            spec.mode,
            spec.nodelay,
            spec.size,
            count,
            spec.time,
        ),
    })?;
    if got.messages != sent {
        bail!(
            "{} messages of {} bytes sent, {} received: a stream must not lose any",
            sent,
            spec.size,
            got.messages
        );
    }
    Ok(rate_of(spec, stack, sent, capped, &got))
}

fn rate_of(spec: &RateSpec, stack: Stack, sent: u64, capped: bool, got: &ServerResults) -> Rate {
    let seconds = got.elapsed_ns as f64 / 1e9;
    let (messages_per_s, bytes_per_s) = if got.messages > 1 && seconds > 0.0 {
        let after_first = (got.messages - 1) as f64;
        (
            after_first / seconds,
            after_first * spec.size as f64 / seconds,
        )
    } else {
        (0.0, 0.0)
    };
    Rate {
        mode: spec.mode,
        stack,
        transport: Transport::Tcp,
        nodelay: spec.nodelay,
        size: spec.size,
        sent,
        received: got.messages,
        received_bytes: got.bytes,
        seconds,
        messages_per_s,
        bytes_per_s,
        capped_by_time: capped,
    }
}
