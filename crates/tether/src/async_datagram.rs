//! UDP on tokio: one datagram is one message.

use std::net::SocketAddr;

use bytes::Bytes;
use tokio::net::UdpSocket;

use crate::datagram::{check_datagram, RECV_BUF};
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};

/// A UDP socket on tokio: one datagram is one message.
#[derive(Debug)]
pub struct AsyncDatagramLink {
    socket: UdpSocket,
    peer: Option<SocketAddr>,
    buf: Box<[u8]>,
}

impl AsyncDatagramLink {
    /// Binds to `udp://HOST:PORT` (port 0 for any).
    pub async fn bind<E>(endpoint: E) -> Result<AsyncDatagramLink>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        let blocking = crate::DatagramLink::bind(endpoint)?;
        Self::from_blocking(blocking)
    }

    /// Binds an ephemeral port and fixes `udp://HOST:PORT` as the peer.
    pub async fn connect<E>(endpoint: E) -> Result<AsyncDatagramLink>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        let blocking = crate::DatagramLink::connect(endpoint)?;
        Self::from_blocking(blocking)
    }

    fn from_blocking(link: crate::DatagramLink) -> Result<AsyncDatagramLink> {
        let peer = link.peer_addr();
        let socket = link.into_socket();
        socket.set_nonblocking(true)?;
        Ok(AsyncDatagramLink {
            socket: UdpSocket::from_std(socket)?,
            peer,
            buf: vec![0; RECV_BUF].into_boxed_slice(),
        })
    }

    /// Sends one datagram to the connected peer.
    pub async fn send(&self, payload: &[u8]) -> Result<()> {
        let peer = self.peer.ok_or(Error::NotConnected {
            link: "AsyncDatagramLink",
        })?;
        check_datagram(payload.len(), &peer)?;
        self.socket.send(payload).await?;
        Ok(())
    }

    /// Sends one datagram to `to`.
    pub async fn send_to(&self, payload: &[u8], to: SocketAddr) -> Result<()> {
        check_datagram(payload.len(), &to)?;
        self.socket.send_to(payload, to).await?;
        Ok(())
    }

    /// Receives one datagram and its sender.
    pub async fn recv_from(&mut self) -> Result<(Bytes, SocketAddr)> {
        let (n, from) = self.socket.recv_from(&mut self.buf).await?;
        Ok((Bytes::copy_from_slice(&self.buf[..n]), from))
    }

    /// The bound address.
    pub fn local_addr(&self) -> Result<Endpoint> {
        Ok(Endpoint::udp(self.socket.local_addr()?))
    }
}
