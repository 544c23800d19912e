//! One measured point of a plan, and its words on the progress bar.

use std::time::Duration;

use tether::proto::limits::size_label;

use crate::control::{Stack, Transport};
use crate::report::RateMode;

/// One measured point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// A round-trip point.
    Latency(Transport, Stack),
    /// tether and std round trips over one transport, taking turns.
    LatencyPair(Transport),
    /// tcp round trips with busy polling for this long, blocking tether
    /// and blocking std, taking turns, unpinned.
    BusyPoll(Duration),
    /// A rate point.
    Rate(RateMode, usize),
    /// Connect experiment, persistent half.
    Persistent,
    /// Connect experiment, a connection per message.
    PerConnection,
    /// Nagle latency with `TCP_NODELAY` set as given.
    NagleLatency(bool),
    /// Nagle small-message rate.
    NagleRate(bool),
    /// UDP at an offered rate.
    Udp(Option<f64>),
}

impl Step {
    /// A few words for the progress bar.
    pub fn label(&self) -> String {
        match self {
            Step::Latency(t, s) => format!("latency {} {}", s.name(), t.name()),
            Step::LatencyPair(t) => format!("latency tether and std {}", t.name()),
            Step::BusyPoll(d) => format!("latency, busy poll {} µs, unpinned", d.as_micros()),
            Step::Rate(m, size) => format!("rate {} {}", m.label(), size_label(*size)),
            Step::Persistent => "persistent link".into(),
            Step::PerConnection => "connection per message".into(),
            Step::NagleLatency(on) => format!("latency, nodelay {}", on_off(*on)),
            Step::NagleRate(on) => format!("rate, nodelay {}", on_off(*on)),
            Step::Udp(Some(r)) => format!("udp at {:.0} k/s", r / 1e3),
            Step::Udp(None) => "udp unpaced".into(),
        }
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}
