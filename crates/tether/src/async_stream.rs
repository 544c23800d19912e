//! The stream under an [`crate::AsyncLink`]: TCP or Unix, one type for both.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

use crate::budget::Share;

/// A TCP or Unix stream, so [`AsyncLink`] has one type for both.
#[derive(Debug)]
pub enum AsyncStream {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix socket connection.
    Unix(UnixStream),
}

impl AsyncStream {
    /// Shuts the connection down both ways now, without waiting: the peer
    /// sees the close even while this end still holds the socket.
    pub(crate) fn shut_down_now(&self) -> io::Result<()> {
        match self {
            AsyncStream::Tcp(s) => socket2::SockRef::from(s).shutdown(std::net::Shutdown::Both),
            AsyncStream::Unix(s) => socket2::SockRef::from(s).shutdown(std::net::Shutdown::Both),
        }
    }
}

impl AsyncRead for AsyncStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncStream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            AsyncStream::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for AsyncStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            AsyncStream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            AsyncStream::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            AsyncStream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            AsyncStream::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncStream::Tcp(s) => Pin::new(s).poll_flush(cx),
            AsyncStream::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            AsyncStream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            AsyncStream::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// The stream as an [`crate::AsyncLink`] reads it: through its share of a
/// [`crate::Budget`], if it has one, so a read never brings more than the
/// budget allows (with none left, the read waits and the peer's TCP with it).
#[derive(Debug)]
pub(crate) struct Gated {
    pub(crate) stream: AsyncStream,
    pub(crate) share: Option<Share>,
}

impl AsyncRead for Gated {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let want = buf.remaining();
        let Some(share) = this.share.as_mut().filter(|_| want > 0) else {
            return Pin::new(&mut this.stream).poll_read(cx, buf);
        };
        let allowed = share.allow(want, cx);
        if allowed == 0 {
            // The budget wakes this task when bytes are given back.
            return Poll::Pending;
        }
        let mut limited = buf.take(allowed);
        let polled = Pin::new(&mut this.stream).poll_read(cx, &mut limited);
        let got = limited.filled().len();
        share.read(allowed, got);
        // SAFETY: `limited` views the unfilled part of `buf`, and the read
        // initialised and filled its first `got` bytes.
        unsafe { buf.assume_init(got) };
        buf.advance(got);
        polled
    }
}

impl AsyncWrite for Gated {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
