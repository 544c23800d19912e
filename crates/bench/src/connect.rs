//! Experiment 3, persistent against open/teardown: request and reply over
//! one connection, against connect, request, reply and close for every
//! message (netperf's TCP_RR against TCP_CRR). The server closes first, so
//! the TIME_WAIT entries are its own and the client does not run out of
//! ports.

use std::time::{Duration, Instant};

use anyhow::Context;
use tether::{Link, Options};

use crate::control::{Role, Stack, TestSettings, Transport};
use crate::latency::{self, RoundBudget};
use crate::ping::pinger;
use crate::report::{Connect, ConnectRun};
use crate::session::Session;
use crate::wire::payload;

/// Counts and time of each half.
#[derive(Debug, Clone, Copy)]
pub struct ConnectSpec {
    /// Payload bytes of request and reply.
    pub size: usize,
    /// Most messages per half.
    pub count: u64,
    /// Time cap per half.
    pub time: Duration,
}

fn run_of(messages: u64, seconds: f64, capped: bool) -> ConnectRun {
    ConnectRun {
        messages,
        seconds,
        per_s: if seconds > 0.0 {
            messages as f64 / seconds
        } else {
            0.0
        },
        mean_ns: if messages > 0 {
            seconds * 1e9 / messages as f64
        } else {
            0.0
        },
        capped_by_time: capped,
    }
}

/// Round trips over one tether link.
pub fn persistent(session: &mut Session, spec: &ConnectSpec) -> anyhow::Result<ConnectRun> {
    let settings = TestSettings {
        role: Role::Echo,
        transport: Transport::Tcp,
        stack: Stack::Tether,
        nodelay: true,
        max_datagrams: 0,
        cpu: None,
        owned_recv: false,
        busy_poll_ns: None,
    };
    let budget = RoundBudget {
        warmup: 0,
        rounds: spec.count,
        time: spec.time,
    };
    let (r, _) = session.test(&settings, |endpoint| {
        let mut p = pinger(endpoint, Stack::Tether, true, spec.size, None)?;
        latency::rounds(p.as_mut(), &budget)
    })?;
    Ok(run_of(r.hist.len(), r.seconds, r.capped))
}

/// A new tether link per message.
pub fn per_connection(session: &mut Session, spec: &ConnectSpec) -> anyhow::Result<ConnectRun> {
    let settings = TestSettings {
        role: Role::ConnectEcho,
        transport: Transport::Tcp,
        stack: Stack::Tether,
        nodelay: true,
        max_datagrams: 0,
        cpu: None,
        owned_recv: false,
        busy_poll_ns: None,
    };
    let payload = payload(spec.size);
    let options = Options::new();
    let ((done, seconds, capped), _) = session.test(&settings, |endpoint| {
        let start = Instant::now();
        let deadline = start + spec.time;
        let mut done = 0u64;
        let mut capped = false;
        while done < spec.count {
            let mut link = Link::connect_with(endpoint.clone(), &options)
                .with_context(|| format!("connection {} of the open/teardown run", done + 1))?;
            link.send(&payload)?;
            link.recv()?;
            drop(link);
            done += 1;
            if Instant::now() >= deadline {
                capped = done < spec.count;
                break;
            }
        }
        Ok((done, start.elapsed().as_secs_f64(), capped))
    })?;
    Ok(run_of(done, seconds, capped))
}

/// Puts the two halves together.
pub fn combine(spec: &ConnectSpec, persistent: ConnectRun, per_connection: ConnectRun) -> Connect {
    let ratio = if per_connection.per_s > 0.0 {
        persistent.per_s / per_connection.per_s
    } else {
        0.0
    };
    Connect {
        size: spec.size,
        persistent,
        per_connection,
        ratio,
    }
}
