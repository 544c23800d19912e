//! Experiment 4, Nagle: the TCP round trip and the small-message rate with
//! `TCP_NODELAY` on (tether's default) and off, on both ends. The rate
//! uses `send` with linger 0, one syscall per message, so that the kernel
//! alone decides how messages share packets.

use std::time::Duration;

use crate::control::{Stack, Transport};
use crate::latency::{LatencySpec, RoundBudget};
use crate::rate::RateSpec;
use crate::report::{Latency, Nagle, Rate, RateMode};

/// The latency point of one setting.
pub fn latency_spec(nodelay: bool, size: usize, budget: RoundBudget) -> LatencySpec {
    LatencySpec {
        transport: Transport::Tcp,
        stack: Stack::Tether,
        nodelay,
        size,
        budget,
        busy_poll: None,
    }
}

/// The rate point of one setting.
pub fn rate_spec(nodelay: bool, size: usize, total: u64, time: Duration) -> RateSpec {
    RateSpec {
        mode: RateMode::SendLinger0,
        nodelay,
        size,
        total,
        time,
    }
}

/// Pairs the two points of one setting.
pub fn combine(nodelay: bool, latency: Latency, rate: Rate) -> Nagle {
    Nagle {
        nodelay,
        latency,
        rate,
    }
}
