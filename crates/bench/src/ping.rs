//! One round trip at a time, for each stack and transport: the client end
//! of the latency and connect experiments.

use std::io::{self, Write};
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use anyhow::bail;
use tether::{DatagramLink, Endpoint, Link, Options, MAX_UDP_PAYLOAD_V6};

use crate::control::Stack;
use crate::wire::{framed, payload, stamp, stamped, FrameReader, StdStream};

/// A UDP round trip with no answer within this long counts as lost.
pub const UDP_TIMEOUT: Duration = Duration::from_millis(100);

/// One round trip at a time.
pub trait Pinger {
    /// Sends message `seq` and waits for its echo; false if it was lost.
    fn ping(&mut self, seq: u64) -> anyhow::Result<bool>;
}

/// Round trips over a tether stream link: `send`, then `recv`.
struct LinkPinger {
    link: Link,
    payload: Vec<u8>,
}

impl Pinger for LinkPinger {
    fn ping(&mut self, _seq: u64) -> anyhow::Result<bool> {
        self.link.send(&self.payload)?;
        self.link.recv()?;
        Ok(true)
    }
}

/// Round trips over a tether datagram link.
struct DatagramPinger {
    link: DatagramLink,
    payload: Vec<u8>,
}

impl Pinger for DatagramPinger {
    fn ping(&mut self, seq: u64) -> anyhow::Result<bool> {
        stamp(&mut self.payload, seq);
        self.link.send(&self.payload)?;
        let deadline = Instant::now() + UDP_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.link.recv_timeout(left)? {
                Some(reply) if stamped(&reply, seq) => return Ok(true),
                Some(_) => {} // a late answer to an earlier round
                None => return Ok(false),
            }
        }
    }
}

/// Opens the client end of a point; a tether stream link spins for
/// `busy_poll` before it sleeps in `recv`, if given.
pub fn pinger(
    endpoint: &Endpoint,
    stack: Stack,
    nodelay: bool,
    size: usize,
    busy_poll: Option<Duration>,
) -> anyhow::Result<Box<dyn Pinger>> {
    let payload = payload(size);
    Ok(match (stack, endpoint) {
        (Stack::Tether, Endpoint::Udp { .. }) => Box::new(DatagramPinger {
            link: DatagramLink::connect(endpoint.clone())?,
            payload,
        }),
        (Stack::Tether, _) => Box::new(LinkPinger {
            link: Link::connect_with(
                endpoint.clone(),
                &Options::new()
                    .nodelay(nodelay)
                    .busy_poll(busy_poll.unwrap_or(Duration::ZERO)),
            )?,
            payload,
        }),
        (Stack::Std, Endpoint::Udp { .. }) => Box::new(StdUdpPinger::connect(endpoint, size)?),
        (Stack::Std, _) => Box::new(StdStreamPinger::connect(endpoint, nodelay, size)?),
    })
}

/// Round trips over a std stream: one `write_all` of the framed message,
/// then parse the reply.
pub struct StdStreamPinger {
    stream: StdStream,
    frame: Vec<u8>,
    reader: FrameReader,
}

impl StdStreamPinger {
    /// Connects.
    pub fn connect(endpoint: &Endpoint, nodelay: bool, size: usize) -> anyhow::Result<Self> {
        Ok(Self {
            stream: StdStream::connect(endpoint, nodelay)?,
            frame: framed(&payload(size)),
            reader: FrameReader::new(),
        })
    }
}

impl Pinger for StdStreamPinger {
    fn ping(&mut self, _seq: u64) -> anyhow::Result<bool> {
        self.stream.write_all(&self.frame)?;
        match self.reader.next(&mut self.stream)? {
            Some(_) => Ok(true),
            None => bail!("the server closed the connection"),
        }
    }
}

/// Round trips over a connected std UDP socket; a datagram carries the
/// sequence number in its first bytes, so a late answer is not mistaken for
/// the current one.
pub struct StdUdpPinger {
    socket: UdpSocket,
    payload: Vec<u8>,
    buf: Vec<u8>,
}

impl StdUdpPinger {
    /// Binds an ephemeral port and connects it to `endpoint`.
    pub fn connect(endpoint: &Endpoint, size: usize) -> anyhow::Result<Self> {
        let addrs = endpoint.socket_addrs()?;
        let Some(addr) = addrs.first() else {
            bail!("{endpoint} resolves to no address")
        };
        let local: std::net::SocketAddr = if addr.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(addr)?;
        // Set once: a receive then costs one syscall, as it would in a
        // program written for speed.
        socket.set_read_timeout(Some(UDP_TIMEOUT))?;
        Ok(Self {
            socket,
            payload: payload(size),
            buf: vec![0; MAX_UDP_PAYLOAD_V6],
        })
    }
}

impl Pinger for StdUdpPinger {
    fn ping(&mut self, seq: u64) -> anyhow::Result<bool> {
        stamp(&mut self.payload, seq);
        self.socket.send(&self.payload)?;
        // Late answers to earlier rounds are skipped; each wait is bounded
        // by the socket's read timeout, and the skipping by the count.
        for _ in 0..64 {
            match self.socket.recv(&mut self.buf) {
                Ok(n) if stamped(&self.buf[..n], seq) => return Ok(true),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(false)
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(false)
    }
}
