//! The bench server: answers the control exchange and serves the data
//! socket of each test (echo, sink, connect-echo). `tether bench --server`
//! runs it on the given endpoint; a plain `tether bench` runs the very same
//! code in a thread on 127.0.0.1, port 0 ([`Embedded`]).
//!
//! `accept` is the accept loop, `client` the control state machine of one
//! client, `data` the data socket of one test and its stream side, `udp`
//! its datagram side.

mod accept;
mod client;
mod data;
mod embedded;
mod stop;
mod udp;

pub use accept::serve;
pub use embedded::Embedded;
