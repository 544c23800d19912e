//! Experiment 6, UDP honesty: datagrams numbered from 0 are sent at an
//! offered rate; the server counts the distinct ones that arrive, and those
//! that arrive after a higher number. Lost is sent minus received, and the
//! delivered rate is received over the longer of the sending time and the
//! receiver's first-to-last arrival, so UDP is never reported faster than it
//! delivered.

use std::time::{Duration, Instant};

use tether::DatagramLink;

use crate::control::{Role, ServerResults, Stack, TestSettings, Transport};
use crate::report::UdpPoint;
use crate::session::Session;
use crate::wire::{payload, stamp, SEQUENCE_LEN};

/// Pacing step: the sender catches up with its schedule, then sleeps this
/// long; bursts stay short without a busy loop stealing the receiver's CPU.
const PACE_STEP: Duration = Duration::from_micros(100);

/// Datagrams sent between two looks at the clock.
const BURST: u64 = 256;

/// The most datagrams per second an unpaced point plans for.
const UNPACED_CEILING: f64 = 4_000_000.0;

/// One offered rate.
#[derive(Debug, Clone, Copy)]
pub struct UdpSpec {
    /// Payload bytes (raised to 8 for the sequence number).
    pub size: usize,
    /// Datagrams per second; `None` sends as fast as it can.
    pub offered: Option<f64>,
    /// Sending time.
    pub time: Duration,
}

impl UdpSpec {
    /// Bytes per datagram.
    pub fn payload_len(&self) -> usize {
        self.size.max(SEQUENCE_LEN)
    }

    /// The count bound of the point.
    pub fn max_datagrams(&self) -> u64 {
        let per_s = self.offered.unwrap_or(UNPACED_CEILING);
        ((per_s * self.time.as_secs_f64()).ceil() as u64).max(1)
    }
}

/// Measures one offered rate.
pub fn measure(session: &mut Session, spec: &UdpSpec) -> anyhow::Result<UdpPoint> {
    let max = spec.max_datagrams();
    let settings = TestSettings {
        role: Role::Sink,
        transport: Transport::Udp,
        stack: Stack::Tether,
        nodelay: true,
        max_datagrams: max,
        cpu: None,
        owned_recv: false,
        busy_poll_ns: None,
    };
    let ((sent, seconds), got) = session.test(&settings, |endpoint| {
        let mut link = DatagramLink::connect(endpoint.clone())?;
        let mut payload = payload(spec.payload_len());
        let start = Instant::now();
        let deadline = start + spec.time;
        let mut sent = 0u64;
        'outer: while sent < max {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let due = match spec.offered {
                Some(rate) => ((now - start).as_secs_f64() * rate).ceil() as u64,
                None => sent + BURST,
            };
            // At most a short burst between looks at the clock, so a
            // sender slower than the offered rate still stops on time.
            let burst_end = due.min(max).min(sent + BURST);
            while sent < burst_end {
                stamp(&mut payload, sent);
                match link.send(&payload) {
                    Ok(()) => sent += 1,
                    // The kernel may refuse when its queue is full; that
                    // datagram was not sent and the schedule moves on.
                    Err(tether::Error::Io(e)) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                        continue 'outer
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if spec.offered.is_some() {
                std::thread::sleep(PACE_STEP);
            }
        }
        Ok((sent, start.elapsed().as_secs_f64()))
    })?;
    Ok(point_of(spec, sent, seconds, &got))
}

fn point_of(spec: &UdpSpec, sent: u64, seconds: f64, got: &ServerResults) -> UdpPoint {
    let received = got.messages.min(sent);
    let span = seconds.max(got.elapsed_ns as f64 / 1e9);
    let per_s = |n: u64| if span > 0.0 { n as f64 / span } else { 0.0 };
    UdpPoint {
        size: spec.payload_len(),
        offered_per_s: spec.offered,
        seconds,
        sent,
        received,
        lost: sent - received,
        reordered: got.reordered,
        duplicates: got.duplicates,
        sent_per_s: if seconds > 0.0 {
            sent as f64 / seconds
        } else {
            0.0
        },
        delivered_per_s: per_s(received),
        loss_ratio: if sent > 0 {
            (sent - received) as f64 / sent as f64
        } else {
            0.0
        },
    }
}
