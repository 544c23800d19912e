//! UDP links: one datagram is one message.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use bytes::Bytes;
use tether_proto::{MAX_UDP_PAYLOAD_V4, MAX_UDP_PAYLOAD_V6};

use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::stream::{wait_fd, KERNEL_TIMEOUT_MIN};

/// Receive buffer: room for the largest datagram UDP can carry.
pub(crate) const RECV_BUF: usize = 1 << 16;

/// The largest payload a datagram to `addr` may carry.
pub fn max_udp_payload(addr: &SocketAddr) -> usize {
    match addr {
        SocketAddr::V4(_) => MAX_UDP_PAYLOAD_V4,
        SocketAddr::V6(_) => MAX_UDP_PAYLOAD_V6,
    }
}

/// A UDP socket, bound once and reused for every message.
///
/// ```no_run
/// let mut server = tether::DatagramLink::bind("udp://127.0.0.1:0")?;
/// let mut client = tether::DatagramLink::connect(&server.local_addr()?)?;
/// client.send(b"ping")?;
/// let (msg, from) = server.recv_from()?;
/// server.send_to(&msg, from)?;
/// # Ok::<(), tether::Error>(())
/// ```
#[derive(Debug)]
pub struct DatagramLink {
    socket: UdpSocket,
    peer: Option<SocketAddr>,
    buf: Box<[u8]>,
    nonblocking: bool,
    /// The `SO_RCVTIMEO` now set on the socket, to set it only on change.
    read_timeout: Option<Duration>,
}

impl DatagramLink {
    /// Binds to `udp://HOST:PORT` (port 0 for any) to receive, and to send
    /// with [`DatagramLink::send_to`].
    pub fn bind<E>(endpoint: E) -> Result<DatagramLink>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        let endpoint = udp_endpoint(endpoint.try_into()?)?;
        let bind_err = |cause: io::Error| Error::Bind {
            endpoint: endpoint.to_string(),
            cause,
        };
        let addrs = endpoint.socket_addrs().map_err(bind_err)?;
        let socket = UdpSocket::bind(&addrs[..]).map_err(bind_err)?;
        Ok(Self::from_socket(socket, None))
    }

    /// Binds an ephemeral local port and fixes `udp://HOST:PORT` as the peer
    /// of [`DatagramLink::send`] and [`DatagramLink::recv`] (datagrams from
    /// other addresses are dropped by the kernel).
    pub fn connect<E>(endpoint: E) -> Result<DatagramLink>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        let endpoint = udp_endpoint(endpoint.try_into()?)?;
        let connect_err = |cause: io::Error| Error::Connect {
            endpoint: endpoint.to_string(),
            cause,
        };
        let addrs = endpoint.socket_addrs().map_err(connect_err)?;
        let mut last = None;
        for addr in addrs {
            let local: SocketAddr = match addr {
                SocketAddr::V4(_) => (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
                SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
            };
            let attempt = UdpSocket::bind(local).and_then(|s| s.connect(addr).map(|()| s));
            match attempt {
                Ok(socket) => return Ok(Self::from_socket(socket, Some(addr))),
                Err(e) => last = Some(e),
            }
        }
        Err(connect_err(
            last.unwrap_or_else(|| io::ErrorKind::NotFound.into()),
        ))
    }

    /// The first address a `udp://HOST:PORT` endpoint names, resolving a
    /// host name, for [`DatagramLink::send_to`].
    ///
    /// ```
    /// let to = tether::DatagramLink::resolve("udp://127.0.0.1:9000")?;
    /// assert_eq!(to.port(), 9000);
    /// assert!(tether::DatagramLink::resolve("tcp://127.0.0.1:9000").is_err());
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn resolve<E>(endpoint: E) -> Result<SocketAddr>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        let endpoint = udp_endpoint(endpoint.try_into()?)?;
        let addrs = endpoint.socket_addrs()?;
        // socket_addrs never gives an empty list without an error.
        addrs
            .into_iter()
            .next()
            .ok_or_else(|| io::ErrorKind::NotFound.into())
            .map_err(|e: io::Error| e.into())
    }

    /// Wraps a bound (and possibly connected) socket.
    pub fn from_socket(socket: UdpSocket, peer: Option<SocketAddr>) -> Self {
        Self {
            socket,
            peer,
            buf: vec![0; RECV_BUF].into_boxed_slice(),
            nonblocking: false,
            read_timeout: None,
        }
    }

    /// Sends one datagram to the connected peer.
    pub fn send(&mut self, payload: &[u8]) -> Result<()> {
        let peer = self.peer.ok_or(Error::NotConnected {
            link: "DatagramLink",
        })?;
        check_datagram(payload.len(), &peer)?;
        self.socket.send(payload)?;
        Ok(())
    }

    /// Sends one datagram to `to`.
    pub fn send_to(&mut self, payload: &[u8], to: SocketAddr) -> Result<()> {
        check_datagram(payload.len(), &to)?;
        self.socket.send_to(payload, to)?;
        Ok(())
    }

    /// Receives one datagram.
    pub fn recv(&mut self) -> Result<Bytes> {
        Ok(self.recv_from()?.0)
    }

    /// Receives one datagram and the address it came from.
    pub fn recv_from(&mut self) -> Result<(Bytes, SocketAddr)> {
        self.set_read_timeout(None)?;
        let (n, from) = self.socket.recv_from(&mut self.buf)?;
        Ok((Bytes::copy_from_slice(&self.buf[..n]), from))
    }

    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        if self.read_timeout != timeout {
            self.socket.set_read_timeout(timeout)?;
            self.read_timeout = timeout;
        }
        Ok(())
    }

    /// Receives one datagram if one arrives within `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Bytes>> {
        Ok(self.recv_from_timeout(timeout)?.map(|(m, _)| m))
    }

    /// Receives one datagram and its sender if one arrives within `timeout`.
    ///
    /// One blocking read with `SO_RCVTIMEO` for timeouts of 50 ms and more;
    /// `poll` then one read for shorter ones, whose precision the kernel's
    /// tick-counted timeout would lose.
    pub fn recv_from_timeout(&mut self, timeout: Duration) -> Result<Option<(Bytes, SocketAddr)>> {
        if timeout >= KERNEL_TIMEOUT_MIN && !self.nonblocking {
            self.set_read_timeout(Some(timeout))?;
            return match self.socket.recv_from(&mut self.buf) {
                Ok((n, from)) => Ok(Some((Bytes::copy_from_slice(&self.buf[..n]), from))),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    Ok(None)
                }
                Err(e) => Err(e.into()),
            };
        }
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if !wait_fd(self.socket.as_raw_fd(), libc::POLLIN, Some(left))? {
                return Ok(None);
            }
            if let Some(got) = self.try_recv_from()? {
                return Ok(Some(got));
            }
        }
    }

    /// Receives one datagram if one is waiting; never blocks.
    pub fn try_recv(&mut self) -> Result<Option<Bytes>> {
        Ok(self.try_recv_from()?.map(|(m, _)| m))
    }

    /// Receives one datagram and its sender if one is waiting.
    pub fn try_recv_from(&mut self) -> Result<Option<(Bytes, SocketAddr)>> {
        let sock = socket2::SockRef::from(&self.socket);
        // SAFETY: u8 and MaybeUninit<u8> share a layout, and recv only
        // writes initialised bytes into an already initialised buffer.
        let buf =
            unsafe { &mut *(&mut self.buf[..] as *mut [u8] as *mut [std::mem::MaybeUninit<u8>]) };
        match sock.recv_from_with_flags(buf, libc::MSG_DONTWAIT) {
            Ok((n, from)) => {
                let from = from.as_socket().ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, "datagram from a non-IP address")
                })?;
                Ok(Some((Bytes::copy_from_slice(&self.buf[..n]), from)))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// In non-blocking mode `recv` returns [`Error::WouldBlock`] instead of
    /// waiting.
    pub fn set_nonblocking(&mut self, nonblocking: bool) -> Result<()> {
        self.socket.set_nonblocking(nonblocking)?;
        self.nonblocking = nonblocking;
        Ok(())
    }

    /// The bound address (with the real port after binding port 0).
    pub fn local_addr(&self) -> Result<Endpoint> {
        Ok(Endpoint::udp(self.socket.local_addr()?))
    }

    /// The connected peer, if any.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// The socket, for options tether does not wrap.
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// The socket inside.
    pub fn into_socket(self) -> UdpSocket {
        self.socket
    }
}

/// Refuses a payload over what one datagram to `to` can carry, before
/// anything is sent.
pub(crate) fn check_datagram(len: usize, to: &SocketAddr) -> Result<()> {
    let max = max_udp_payload(to);
    if len > max {
        return Err(Error::DatagramTooLarge { len, max });
    }
    Ok(())
}

fn udp_endpoint(endpoint: Endpoint) -> Result<Endpoint> {
    match endpoint {
        Endpoint::Udp { .. } => Ok(endpoint),
        other => Err(Error::WrongScheme {
            endpoint: other.to_string(),
            expected: "udp://",
            hint: "; use Link for tcp:// and unix://",
        }),
    }
}

impl AsRawFd for DatagramLink {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}

impl AsFd for DatagramLink {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}
