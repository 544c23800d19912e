//! tether: persistent, framed links between programs, with the least delay.
//!
//! - [`Link`] and [`Listener`]: blocking links over TCP and Unix sockets,
//!   plain `std::net` around the sans-IO codecs of [`tether_proto`].
//! - [`DatagramLink`]: UDP, one datagram per message.
//! - [`Record`]: binary records described by Python `struct` format strings.
//! - With the `tokio` feature, [`AsyncLink`] and [`AsyncListener`]: the
//!   same operations as `async fn`s, built on `tokio_util::codec::Framed`.
//!
//! ```no_run
//! use std::time::Duration;
//! use tether::{Link, Record};
//!
//! let mut link = Link::connect("tcp://127.0.0.1:9000")?;
//! for bits in [[0u8, 1, 1, 0], [1, 0, 0, 1]] {
//!     link.send(&bits)?;
//! }
//! let rec = Record::new("<I 2s f")?;
//! link.send(&rec.pack(&[1u32.into(), b"ab".into(), 2.7f32.into()])?)?;
//! let reply = link.recv_timeout(Duration::from_millis(5))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Only async links read through a budget.
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
mod budget;
mod coalescer;
mod datagram;
mod endpoint;
mod error;
mod link;
mod listener;
mod options;
mod patience;
mod private_dir;
mod reader;
mod sender;
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
mod slots;
mod socket_file;
mod stream;
#[cfg(target_os = "linux")]
mod unix_diag;
mod writer;

#[cfg(feature = "tokio")]
mod async_datagram;
#[cfg(feature = "tokio")]
mod async_link;
#[cfg(feature = "tokio")]
mod async_listener;
#[cfg(feature = "tokio")]
mod async_stream;

pub use budget::Budget;
pub use datagram::{max_udp_payload, DatagramLink};
pub use endpoint::{Endpoint, EndpointError};
pub use error::{Error, Result};
pub use link::Link;
pub use listener::Listener;
pub use options::{Options, DEFAULT_FRAME_TIMEOUT, DEFAULT_LINGER};
pub use sender::Sender;
pub use stream::wait_readable;

#[cfg(feature = "tokio")]
pub use async_datagram::AsyncDatagramLink;
#[cfg(feature = "tokio")]
pub use async_link::AsyncLink;
#[cfg(feature = "tokio")]
pub use async_listener::AsyncListener;
#[cfg(feature = "tokio")]
pub use async_stream::AsyncStream;

pub use bytes::Bytes;
/// The sans-IO codecs and record format, re-exported.
pub use tether_proto as proto;
pub use tether_proto::{
    CodecError, FrameCodec, Framing, Record, RecordError, Value, Values, DEFAULT_MAX_FRAME_LEN,
    MAX_UDP_PAYLOAD_V4, MAX_UDP_PAYLOAD_V6,
};
