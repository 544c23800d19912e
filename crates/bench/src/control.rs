//! The control exchange between a bench client and a bench server: JSON
//! objects, one per length-framed message on a tether link (see the section
//! "Bench control exchange" of docs/PROTOCOL.md).
//!
//! ```text
//! client                                   server
//!   hello {protocol, version}      ->
//!                                  <-   hello {protocol, version}
//!   settings {role, transport, ...} ->        binds a data socket
//!                                  <-   ready {endpoint}   (or error)
//!   run                            ->         starts serving the data socket
//!   ... traffic on the data endpoint ...
//!   done                           ->         stops, drains, counts
//!                                  <-   results {...}      (or error)
//!   settings ... (next test) or close
//! ```

use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tether::{Link, Options};

/// Version of the exchange; a server refuses a client with another one.
pub const PROTOCOL: u32 = 1;

/// Largest control message: the messages are small, and a peer must not
/// make the other allocate by its own word.
pub const MAX_CONTROL_MESSAGE: usize = 64 * 1024;

/// The longest busy poll a server spins for, whatever a client asks.
pub const MAX_BUSY_POLL: Duration = Duration::from_millis(10);

/// How long a client waits for `ready`, and for `results` after `done`.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// What the server does on the data socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Accept one connection (or take datagrams) and send every message back.
    Echo,
    /// Accept one connection (or take datagrams) and count what arrives.
    Sink,
    /// Accept connections until `done`; on each, answer one message and
    /// close.
    ConnectEcho,
}

/// The socket kind of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// A Unix stream socket (same machine only).
    Unix,
    /// UDP, one datagram per message.
    Udp,
}

impl Transport {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Unix => "unix",
            Transport::Udp => "udp",
        }
    }
}

/// Which code runs both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stack {
    /// tether links.
    Tether,
    /// Plain std::net sockets, frames parsed by hand.
    Std,
}

impl Stack {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Stack::Tether => "tether",
            Stack::Std => "std",
        }
    }
}

/// One test as the client asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestSettings {
    /// What the server does.
    pub role: Role,
    /// Socket kind.
    pub transport: Transport,
    /// tether or std on the server side too.
    pub stack: Stack,
    /// `TCP_NODELAY` on the server's end.
    pub nodelay: bool,
    /// UDP sink: the most datagrams the client will send (sequence numbers
    /// at or above it are counted as out of range). Capped by the server.
    pub max_datagrams: u64,
    /// The CPU the server's data thread should run on. Only an embedded
    /// server (same process as the client) honours it; absent means no
    /// pinning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<usize>,
    /// tether sink: receive with `Link::recv`, one `Bytes` per message,
    /// instead of borrowing each buffered message (`Link::recv_each`).
    /// Absent means false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub owned_recv: bool,
    /// tether echo: spin on non-blocking reads for this many nanoseconds
    /// before sleeping (`Options::busy_poll`). Absent means no spinning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy_poll_ns: Option<u64>,
}

/// What the server counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerResults {
    /// Whole messages received (distinct ones, for UDP).
    pub messages: u64,
    /// Payload bytes in them.
    pub bytes: u64,
    /// Sink: nanoseconds from the first message to the end of the stream
    /// (stream) or to the last datagram (UDP).
    pub elapsed_ns: u64,
    /// Connections accepted.
    pub connections: u64,
    /// UDP: datagrams that came after a higher sequence number.
    pub reordered: u64,
    /// UDP: datagrams seen twice.
    pub duplicates: u64,
    /// UDP: datagrams too short or out of range.
    pub invalid: u64,
}

/// A message from the client.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// First message.
    Hello {
        /// [`PROTOCOL`].
        protocol: u32,
        /// The client's tether version.
        version: String,
    },
    /// Set up a test.
    Settings(TestSettings),
    /// Start serving the data socket.
    Run,
    /// The client's traffic is over: stop and report.
    Done,
}

/// A message from the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// Answer to hello.
    Hello {
        /// [`PROTOCOL`].
        protocol: u32,
        /// The server's tether version.
        version: String,
    },
    /// The data socket is bound.
    Ready {
        /// Where to send the test traffic.
        endpoint: String,
    },
    /// Counts of the finished test.
    Results(ServerResults),
    /// The request failed; the control link stays usable.
    Error {
        /// One line.
        message: String,
    },
}

/// Options of the control link.
pub fn control_options() -> Options {
    Options::new().max_frame_len(MAX_CONTROL_MESSAGE)
}

/// Sends one control message.
pub fn send_json<T: Serialize>(link: &mut Link, msg: &T) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec(msg).context("cannot encode a control message")?;
    link.send(&bytes).context("cannot send a control message")?;
    Ok(())
}

/// Parses one control message.
pub fn parse_json<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> anyhow::Result<T> {
    serde_json::from_slice(bytes).context("malformed control message")
}
