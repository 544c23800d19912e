//! An endpoint on the command line: a tether link (`tcp://`, `udp://`,
//! `unix://`) or a broker (`nats://`, `mqtt://`).

use std::fmt;
use std::str::FromStr;

use tether::Endpoint;
use tether_bridge::url::is_broker;
use tether_bridge::BrokerUrl;

/// A link endpoint or a broker endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A tether link.
    Link(Endpoint),
    /// A subject or topic on a broker.
    Broker(BrokerUrl),
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if is_broker(s) {
            s.parse::<BrokerUrl>()
                .map(Target::Broker)
                .map_err(|e| e.to_string())
        } else {
            s.parse::<Endpoint>()
                .map(Target::Link)
                .map_err(|e| e.to_string())
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Link(e) => e.fmt(f),
            Target::Broker(b) => b.fmt(f),
        }
    }
}
