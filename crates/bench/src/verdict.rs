//! What the figures of a run mean: tether set against std::net wherever a
//! point was measured both ways, and the targets of the project checked.
//! Figures are found by typed keys ([`Figure`]), never by their label text.

use tether::proto::limits::size_label;

use crate::control::Transport;
use crate::report::{Better, Comparison, Op, Rate, RateMode, Report, Target, Unit};

/// A figure measured over tether and over std::net in the same run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// The median round trip over a transport.
    LatencyP50(Transport),
    /// Messages per second of a tether send mode at a message size, against
    /// the std mode [`RateMode::baseline`] names.
    Rate(RateMode, usize),
    /// The median tcp round trip with busy polling, against blocking
    /// std::net, both unpinned.
    BusyPollP50,
}

impl Figure {
    /// The label in the report, e.g. `latency p50, tcp`.
    pub fn label(self) -> String {
        match self {
            Figure::LatencyP50(t) => format!("latency p50, {}", t.name()),
            Figure::Rate(mode, size) => format!("rate, {}, {}", mode.label(), size_label(size)),
            Figure::BusyPollP50 => "latency p50, tcp, busy poll, unpinned".into(),
        }
    }

    /// The unit of both values.
    pub fn unit(self) -> Unit {
        match self {
            Figure::LatencyP50(_) | Figure::BusyPollP50 => Unit::Nanoseconds,
            Figure::Rate(..) => Unit::MessagesPerSecond,
        }
    }

    /// Which way is better.
    pub fn better(self) -> Better {
        match self {
            Figure::LatencyP50(_) | Figure::BusyPollP50 => Better::Lower,
            Figure::Rate(..) => Better::Higher,
        }
    }
}

/// A bound the project holds a figure to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    /// What is checked, in the report's words.
    pub name: &'static str,
    /// How the value is held against the bound.
    pub op: Op,
    /// The bound.
    pub bound: f64,
}

impl Goal {
    /// The goal checked against a measured value.
    pub fn check(&self, value: f64) -> Target {
        Target {
            name: self.name.into(),
            value,
            op: self.op,
            bound: self.bound,
            met: self.op.holds(value, self.bound),
        }
    }
}

/// Target 1: tether's median tcp round trip within 10% of std::net's.
pub const LATENCY_TCP: Goal = Goal {
    name: "latency p50 over tcp, tether / std",
    op: Op::AtMost,
    bound: 1.10,
};

/// Target 2: ten million small messages a second in batches.
pub const SMALL_BATCH: Goal = Goal {
    name: "batch rate of 4-byte messages, msg/s",
    op: Op::AtLeast,
    bound: 10e6,
};

/// The message size of [`SMALL_BATCH`].
pub const SMALL_BATCH_SIZE: usize = 4;

/// Target 3: big messages within 10% of std::net's bulk rate.
pub const BULK: Goal = Goal {
    name: "bulk rate of 1 MiB messages, tether send / std",
    op: Op::AtLeast,
    bound: 0.9,
};

/// The message size of [`BULK`].
pub const BULK_SIZE: usize = 1 << 20;

/// Target 4: small messages received borrowing (`recv_each`) at half the
/// rate of a std::net receiver that parses the frames by hand, both sent
/// in batches.
pub const SMALL_BORROWED: Goal = Goal {
    name: "4-byte messages, recv_each / std hand-parsing",
    op: Op::AtLeast,
    bound: 0.5,
};

/// Target 5: with busy polling, a tcp round trip at most half of blocking
/// std::net's, both unpinned (`--busy-poll`).
pub const BUSY_POLL: Goal = Goal {
    name: "latency p50 unpinned, busy poll / std blocking",
    op: Op::AtMost,
    bound: 0.5,
};

/// A time ratio (tether / std) above this is behind plain sockets.
pub const PAR_LOWER: f64 = 1.10;

/// A rate ratio (tether / std) below this is behind plain sockets.
pub const PAR_HIGHER: f64 = 0.9;

/// Whether tether is behind plain sockets in `c` by more than the margin.
pub fn is_behind(c: &Comparison) -> bool {
    match c.better {
        Better::Lower => c.ratio > PAR_LOWER,
        Better::Higher => c.ratio < PAR_HIGHER,
    }
}

/// `a / b`, or 0 when `b` is not positive.
pub fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// Every figure measured both ways: (key, tether's value, std's value).
fn figures(r: &Report) -> Vec<(Figure, f64, f64)> {
    let mut out = Vec::new();
    if let Some(base) = &r.baseline {
        for l in r.latency.iter().flatten() {
            if let Some(b) = base.latency.iter().find(|b| b.transport == l.transport) {
                out.push((
                    Figure::LatencyP50(l.transport),
                    l.p50_ns as f64,
                    b.p50_ns as f64,
                ));
            }
        }
        for t in r.rate.iter().flatten() {
            let want = t.mode.baseline();
            if let Some(b) = base
                .rate
                .iter()
                .find(|b| b.mode == want && b.size == t.size)
            {
                out.push((
                    Figure::Rate(t.mode, t.size),
                    t.messages_per_s,
                    b.messages_per_s,
                ));
            }
        }
    }
    // Its std point is its own, measured unpinned beside it.
    if let Some(b) = &r.busy_poll {
        out.push((
            Figure::BusyPollP50,
            b.tether_busy_poll.p50_ns as f64,
            b.std.p50_ns as f64,
        ));
    }
    out
}

/// tether against std::net for every point measured both ways.
pub fn comparisons(r: &Report) -> Vec<Comparison> {
    figures(r)
        .into_iter()
        .map(|(f, tether, std)| Comparison {
            what: f.label(),
            tether,
            std,
            unit: f.unit(),
            ratio: ratio(tether, std),
            better: f.better(),
        })
        .collect()
}

/// The rate point of `mode` (tether's or std's) at `size`.
fn rate_of(r: &Report, mode: RateMode, size: usize) -> Option<&Rate> {
    r.all_rates()
        .into_iter()
        .find(|x| x.mode == mode && x.size == size)
}

/// The targets of the project, where this run measured them.
pub fn targets(r: &Report) -> Vec<Target> {
    let mut out = Vec::new();
    let tcp = Figure::LatencyP50(Transport::Tcp);
    if let Some(&(_, t, s)) = figures(r).iter().find(|(f, ..)| *f == tcp) {
        out.push(LATENCY_TCP.check(ratio(t, s)));
    }
    if let Some(b) = rate_of(r, RateMode::Batch, SMALL_BATCH_SIZE) {
        out.push(SMALL_BATCH.check(b.messages_per_s));
    }
    let send = rate_of(r, RateMode::Send, BULK_SIZE);
    let std = rate_of(r, RateMode::StdPerMessage, BULK_SIZE);
    if let (Some(t), Some(b)) = (send, std) {
        out.push(BULK.check(ratio(t.bytes_per_s, b.bytes_per_s)));
    }
    let borrowed = rate_of(r, RateMode::Batch, SMALL_BATCH_SIZE);
    let by_hand = rate_of(r, RateMode::StdBatch, SMALL_BATCH_SIZE);
    if let (Some(t), Some(b)) = (borrowed, by_hand) {
        out.push(SMALL_BORROWED.check(ratio(t.messages_per_s, b.messages_per_s)));
    }
    if let Some(b) = &r.busy_poll {
        out.push(BUSY_POLL.check(b.ratio_to_std));
    }
    out
}
