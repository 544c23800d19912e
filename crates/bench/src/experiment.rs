//! The experiments of a bench run, by name.

use serde::{Deserialize, Serialize};

/// One experiment of `tether bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Experiment {
    /// Round-trip latency per transport.
    Latency,
    /// Rate against message size, per send mode.
    Rate,
    /// Persistent link against a connection per message.
    Connect,
    /// TCP_NODELAY on and off.
    Nagle,
    /// The same over plain std::net.
    Baseline,
    /// UDP delivery at each offered rate.
    Udp,
}

impl Experiment {
    /// Every experiment, in the order of the report.
    pub const ALL: [Experiment; 6] = [
        Experiment::Latency,
        Experiment::Rate,
        Experiment::Connect,
        Experiment::Nagle,
        Experiment::Baseline,
        Experiment::Udp,
    ];

    /// The name in the JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Experiment::Latency => "latency",
            Experiment::Rate => "rate",
            Experiment::Connect => "connect",
            Experiment::Nagle => "nagle",
            Experiment::Baseline => "baseline",
            Experiment::Udp => "udp",
        }
    }

    /// What it measures, in a few words.
    pub fn about(self) -> &'static str {
        match self {
            Experiment::Latency => "Round-trip latency per transport",
            Experiment::Rate => "Rate against message size, per send mode",
            Experiment::Connect => "Persistent link against a connection per message",
            Experiment::Nagle => "TCP_NODELAY on and off",
            Experiment::Baseline => "The same over plain std::net",
            Experiment::Udp => "UDP delivery at each offered rate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_json_names() {
        for e in Experiment::ALL {
            assert_eq!(
                serde_json::to_string(&e).unwrap(),
                format!("\"{}\"", e.name())
            );
        }
    }
}
