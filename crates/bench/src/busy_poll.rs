//! `tether bench --busy-poll DURATION`: round trips over tcp with both
//! tether ends spinning on non-blocking reads before they sleep, beside
//! tether and plain std::net blocking, all three taking turns and all
//! unpinned. Unpinned is the case busy polling is for: a reply that comes
//! within the spin costs no wake-up across CPUs (pinned to one CPU, the
//! two ends would spin against each other).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::control::{Stack, Transport};
use crate::latency::{measure_turns, LatencySpec, RoundBudget};
use crate::report::Latency;
use crate::session::Session;
use crate::verdict::ratio;

/// The busy-poll points of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BusyPoll {
    /// How long each tether end spins before it sleeps, nanoseconds.
    pub busy_poll_ns: u64,
    /// tether, blocking at once (the default).
    pub tether: Latency,
    /// tether with busy polling on both ends.
    pub tether_busy_poll: Latency,
    /// Plain std::net, blocking.
    pub std: Latency,
    /// `tether_busy_poll.p50_ns / std.p50_ns`.
    pub ratio_to_std: f64,
}

/// The three points, measured taking turns over three control sessions.
pub fn measure(
    sessions: Vec<&mut Session>,
    size: usize,
    budget: RoundBudget,
    busy_poll: Duration,
) -> anyhow::Result<BusyPoll> {
    let spec = |stack, busy_poll| LatencySpec {
        transport: Transport::Tcp,
        stack,
        nodelay: true,
        size,
        budget,
        busy_poll,
    };
    let specs = [
        spec(Stack::Tether, None),
        spec(Stack::Tether, Some(busy_poll)),
        spec(Stack::Std, None),
    ];
    let mut got = measure_turns(sessions, &specs)?.into_iter();
    match (got.next(), got.next(), got.next()) {
        (Some(tether), Some(tether_busy_poll), Some(std)) => Ok(BusyPoll {
            busy_poll_ns: busy_poll.as_nanos() as u64,
            ratio_to_std: ratio(tether_busy_poll.p50_ns as f64, std.p50_ns as f64),
            tether,
            tether_busy_poll,
            std,
        }),
        _ => anyhow::bail!("the busy-poll points gave fewer figures than asked"),
    }
}
