//! Experiment 2, rate against message size: a one-way transfer of a fixed
//! total in messages of one size, counted by the receiver after parsing.
//! The receiver's clock runs from the first whole message to the end of the
//! stream, so connecting is not counted and the rate is `(n - 1) / t`.
//! The std::net points of experiment 5 (the baseline) send from here too,
//! over plain sockets with frames built by hand.

use std::io::Write;
use std::time::Duration;

use anyhow::bail;
use tether::proto::limits::LENGTH_PREFIX_LEN;
use tether::{Endpoint, Link, Options};

use crate::control::{Role, ServerResults, Stack, TestSettings, Transport};
use crate::report::{Rate, RateMode};
use crate::session::Session;
use crate::wire::{framed, payload, push_framed, send_for, StdStream, BATCH_BYTES};

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

/// Sends `count` messages of `spec` over a tether link, stopping early at
/// the time cap; returns (messages sent, stopped by time).
fn send_tether(endpoint: &Endpoint, spec: &RateSpec, count: u64) -> anyhow::Result<(u64, bool)> {
    let mut options = Options::new().nodelay(spec.nodelay);
    if spec.mode == RateMode::SendLinger0 {
        options = options.linger(Duration::ZERO);
    }
    let mut link = Link::connect_with(endpoint.clone(), &options)?;
    let payload = payload(spec.size);
    let mut gathered = 0usize;
    let batch = matches!(spec.mode, RateMode::Batch | RateMode::BatchOwned);
    let outcome = send_for(spec.size, count, spec.time, || {
        if batch {
            link.feed(&payload)?;
            gathered += spec.size + LENGTH_PREFIX_LEN;
            if gathered >= BATCH_BYTES {
                link.flush()?;
                gathered = 0;
            }
        } else {
            link.send(&payload)?;
        }
        Ok(())
    })?;
    // Writes what is gathered, then the end of the stream.
    link.shutdown(std::net::Shutdown::Write)?;
    Ok(outcome)
}

/// Sends `count` messages of `spec` over a std stream, stopping early at
/// the time cap; returns (messages sent, stopped by time).
pub fn send_stream(
    endpoint: &Endpoint,
    spec: &RateSpec,
    count: u64,
) -> anyhow::Result<(u64, bool)> {
    let mut stream = StdStream::connect(endpoint, spec.nodelay)?;
    let payload = payload(spec.size);
    let frame = framed(&payload);
    let mut batch: Vec<u8> = Vec::with_capacity(BATCH_BYTES + frame.len());
    let per_batch = spec.mode == RateMode::StdBatch;
    let outcome = send_for(spec.size, count, spec.time, || {
        if per_batch {
            // Framed into the buffer message by message, as tether's feed
            // does, so both pay for the copy.
            push_framed(&mut batch, &payload);
            if batch.len() >= BATCH_BYTES {
                stream.write_all(&batch)?;
                batch.clear();
            }
        } else {
            stream.write_all(&frame)?;
        }
        Ok(())
    })?;
    stream.write_all(&batch)?;
    stream.shutdown_write()?;
    Ok(outcome)
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
        owned_recv: spec.mode == RateMode::BatchOwned,
        busy_poll_ns: None,
    };
    // At least a few messages even for big sizes, so the rate is not one
    // message's worth of timing.
    let count = (spec.total / spec.size.max(1) as u64).max(MIN_MESSAGES);
    let send = match stack {
        Stack::Tether => send_tether,
        Stack::Std => send_stream,
    };
    let ((sent, capped), got) = session.test(&settings, |endpoint| send(endpoint, spec, count))?;
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

/// Messages and payload bytes per second of a sink's count: the first
/// message starts the server's clock, so `(messages - 1) / elapsed`.
pub fn per_second(messages: u64, elapsed_ns: u64, size: usize) -> (f64, f64) {
    let seconds = elapsed_ns as f64 / 1e9;
    if messages > 1 && seconds > 0.0 {
        let after_first = (messages - 1) as f64;
        (after_first / seconds, after_first * size as f64 / seconds)
    } else {
        (0.0, 0.0)
    }
}

fn rate_of(spec: &RateSpec, stack: Stack, sent: u64, capped: bool, got: &ServerResults) -> Rate {
    let seconds = got.elapsed_ns as f64 / 1e9;
    let (messages_per_s, bytes_per_s) = per_second(got.messages, got.elapsed_ns, spec.size);
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
