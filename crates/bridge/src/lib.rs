//! Broker endpoints for tether: `nats://HOST:PORT/SUBJECT` and
//! `mqtt://HOST:PORT/TOPIC`, and the pieces a bridge between them and
//! tether links is made of.
//!
//! The parsing ([`url`]), the reconnect policy ([`backoff`]), the bounded
//! hold ([`hold`]) and the echo filter ([`echoes`]) are sans-IO; the
//! clients (`async-nats`, `rumqttc`) sit behind the `nats` and `mqtt`
//! features, so the core `tether` crate never links them.

pub mod backoff;
// With neither client built there is no broker to connect to; the
// sans-IO parts (the URL parser the fuzz target checks) still build.
#[cfg(any(feature = "nats", feature = "mqtt"))]
mod broker;
pub mod credentials;
pub mod echoes;
mod error;
pub mod hold;
#[cfg(feature = "mqtt")]
mod mqtt;
#[cfg(feature = "nats")]
mod nats;
pub mod url;

#[cfg(any(feature = "nats", feature = "mqtt"))]
pub use broker::{Broker, Incoming, Subscription};
pub use credentials::Credentials;
pub use error::{Error, Result};
pub use url::{BrokerUrl, Scheme};
