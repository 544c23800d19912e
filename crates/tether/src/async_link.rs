//! Async links on tokio: the same codec through `tokio_util::codec::Framed`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_sink::Sink;
use tether_proto::FrameCodec;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio_util::codec::{Decoder, Framed};

use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::listener::{Inner, SocketFile};
use crate::options::Options;
use crate::reader::IDLE_READ;

/// The write buffer an idle link may keep: room for the small messages of
/// a steady exchange; more is let go after the flush that empties it.
const IDLE_WRITE: usize = 8 * 1024;

/// A TCP or Unix stream, so [`AsyncLink`] has one type for both.
#[derive(Debug)]
pub enum AsyncStream {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix socket connection.
    Unix(UnixStream),
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

/// A persistent framed connection on tokio.
///
/// Also a [`Stream`] of received messages and a [`Sink`] of messages to
/// send, for those who combine links with `futures` combinators.
///
/// ```no_run
/// # async fn demo() -> tether::Result<()> {
/// let mut link = tether::AsyncLink::connect("tcp://127.0.0.1:9000").await?;
/// link.send(b"ping").await?;
/// let reply = link.recv().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct AsyncLink {
    framed: Framed<AsyncStream, FrameCodec>,
}

impl AsyncLink {
    /// Connects with default [`Options`].
    pub async fn connect<E>(endpoint: E) -> Result<AsyncLink>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        Self::connect_with(endpoint, &Options::default()).await
    }

    /// Connects with the given options.
    pub async fn connect_with<E>(endpoint: E, options: &Options) -> Result<AsyncLink>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        let endpoint: Endpoint = endpoint.try_into()?;
        let connect_err = |cause: io::Error| Error::Connect {
            endpoint: endpoint.to_string(),
            cause,
        };
        let stream = match &endpoint {
            Endpoint::Tcp { host, port } => AsyncStream::Tcp(
                TcpStream::connect((host.as_str(), *port))
                    .await
                    .map_err(connect_err)?,
            ),
            Endpoint::Unix(path) => {
                AsyncStream::Unix(UnixStream::connect(path).await.map_err(connect_err)?)
            }
            Endpoint::Udp { .. } => {
                return Err(Error::WrongScheme {
                    endpoint: endpoint.to_string(),
                    expected: "tcp:// or unix://",
                    hint: "; use AsyncDatagramLink for udp://",
                })
            }
        };
        Self::from_stream(stream, options)
    }

    /// Wraps a connected stream.
    pub fn from_stream(stream: AsyncStream, options: &Options) -> Result<AsyncLink> {
        if let AsyncStream::Tcp(s) = &stream {
            s.set_nodelay(options.nodelay)?;
        }
        let mut framed = Framed::with_capacity(stream, options.codec(), IDLE_READ);
        // Nothing to write yet: a link that only receives holds no write
        // buffer (`Framed` would start one of 8 KiB).
        *framed.write_buffer_mut() = BytesMut::new();
        Ok(AsyncLink { framed })
    }

    /// Sends one message and flushes it.
    pub async fn send(&mut self, payload: &[u8]) -> Result<()> {
        self.feed(payload).await?;
        self.flush().await
    }

    /// Queues one message; it is written by [`AsyncLink::flush`] or once the
    /// write buffer passes its high-water mark.
    pub async fn feed(&mut self, payload: &[u8]) -> Result<()> {
        std::future::poll_fn(|cx| Sink::<Bytes>::poll_ready(Pin::new(&mut self.framed), cx))
            .await?;
        Pin::new(&mut self.framed).start_send(Bytes::copy_from_slice(payload))?;
        Ok(())
    }

    /// Writes everything queued.
    pub async fn flush(&mut self) -> Result<()> {
        std::future::poll_fn(|cx| Sink::<Bytes>::poll_flush(Pin::new(&mut self.framed), cx))
            .await?;
        // After a burst or a big message the buffer is let go, so an idle
        // link keeps little (`Framed` would keep it for ever).
        let buf = self.framed.write_buffer_mut();
        if buf.is_empty() && buf.capacity() > IDLE_WRITE {
            *buf = BytesMut::new();
        }
        Ok(())
    }

    /// Bytes of read and write buffer this link holds now: at most 16 KiB
    /// while it holds no partial frame and nothing unsent, whatever came
    /// or went before.
    pub fn buffer_capacity(&mut self) -> usize {
        self.framed.read_buffer_mut().capacity() + self.framed.write_buffer_mut().capacity()
    }

    /// Sends many messages with one flush.
    pub async fn send_all<I, B>(&mut self, messages: I) -> Result<()>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        for message in messages {
            self.feed(message.as_ref()).await?;
        }
        self.flush().await
    }

    /// Receives one message: [`Error::Closed`] at a clean close,
    /// [`Error::Truncated`] when the peer closed inside a frame.
    pub async fn recv(&mut self) -> Result<Bytes> {
        match std::future::poll_fn(|cx| Pin::new(&mut self.framed).poll_next(cx)).await {
            Some(Ok(frame)) => {
                self.give_back_if_drained();
                Ok(frame)
            }
            Some(Err(e)) => Err(e.into()),
            None => Err(Error::Closed),
        }
    }

    /// Receives one message if one arrives within `timeout`.
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Bytes>> {
        match tokio::time::timeout(timeout, self.recv()).await {
            Ok(res) => res.map(Some),
            Err(_elapsed) => Ok(None),
        }
    }

    /// Receives one message if a whole one is already here; never waits.
    /// Reads the socket at most once, without blocking; `Ok(None)` when no
    /// whole message is ready, [`Error::Closed`] at a clean close (as
    /// [`crate::Link::try_recv`]).
    pub async fn try_recv(&mut self) -> Result<Option<Bytes>> {
        std::future::poll_fn(|cx| match Pin::new(&mut self.framed).poll_next(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                self.give_back_if_drained();
                Poll::Ready(Ok(Some(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Err(e.into())),
            Poll::Ready(None) => Poll::Ready(Err(Error::Closed)),
            // The waker stays registered with the reactor; a later `recv`
            // replaces it, so nothing is lost by not waiting here.
            Poll::Pending => Poll::Ready(Ok(None)),
        })
        .await
    }

    /// Receives a batch: waits up to `timeout` (`None`: for ever) for one
    /// message, then appends it and every other whole message already read
    /// to `out`, up to `max` in all, with no further read. Returns how many
    /// were appended (0 when the timeout passed), as
    /// [`crate::Link::recv_batch`]. Cancel-safe: once the first message is
    /// taken nothing else awaits, so a `select!` that drops this future
    /// loses no message.
    pub async fn recv_batch(
        &mut self,
        out: &mut Vec<Bytes>,
        max: usize,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        if max == 0 {
            return Ok(0);
        }
        let first = match timeout {
            None => self.recv().await?,
            Some(t) => match self.recv_timeout(t).await? {
                Some(frame) => frame,
                None => return Ok(0),
            },
        };
        out.push(first);
        let mut n = 1;
        while n < max {
            // Straight from the read buffer: `Framed` decodes from the same
            // buffer next time, so nothing is skipped. A bad frame stays
            // there and the next call reports it, after this batch.
            match self.decode_buffered() {
                Some(frame) => {
                    out.push(frame);
                    n += 1;
                }
                None => break,
            }
        }
        self.give_back_if_drained();
        Ok(n)
    }

    /// Receives a batch without taking the messages out, as
    /// [`crate::Link::recv_each`]: waits up to `timeout` (`None`: for ever)
    /// for one message, then calls `f` with it and every other whole
    /// message already read, up to `max`, each as a slice of the read
    /// buffer (no allocation, copy or reference count per message; the
    /// first of a batch comes through `Framed` as one `Bytes`). Returns how
    /// many (0 when the timeout passed). Cancel-safe as `recv_batch`.
    pub async fn recv_each<F>(
        &mut self,
        max: usize,
        timeout: Option<Duration>,
        mut f: F,
    ) -> Result<usize>
    where
        F: FnMut(&[u8]),
    {
        if max == 0 {
            return Ok(0);
        }
        let first = match timeout {
            None => self.recv().await?,
            Some(t) => match self.recv_timeout(t).await? {
                Some(frame) => frame,
                None => return Ok(0),
            },
        };
        f(&first);
        drop(first);
        let (mut n, mut at) = (1, 0);
        let mut buf = std::mem::take(self.framed.read_buffer_mut());
        while n < max {
            // A bad frame stays in the buffer for the next call to report.
            match self.framed.codec_mut().find(&buf[at..]) {
                Ok(Some(found)) => {
                    f(&buf[at + found.payload.start..at + found.payload.end]);
                    at += found.len;
                    n += 1;
                }
                Ok(None) | Err(_) => break,
            }
        }
        bytes::Buf::advance(&mut buf, at);
        *self.framed.read_buffer_mut() = buf;
        self.give_back_if_drained();
        Ok(n)
    }

    /// After a burst, an empty read buffer bigger than an idle link needs
    /// is let go (`Framed` would keep it for ever); frames handed out keep
    /// their own bytes alive, and the next read starts small again.
    fn give_back_if_drained(&mut self) {
        let buf = self.framed.read_buffer_mut();
        if buf.is_empty() && buf.capacity() > IDLE_READ {
            *buf = BytesMut::with_capacity(IDLE_READ);
        }
    }

    /// A whole frame from what `Framed` has read, without reading more.
    fn decode_buffered(&mut self) -> Option<Bytes> {
        // The buffer is moved out and back (no copy) because the codec and
        // the buffer are both borrowed through `framed`.
        let mut buf = std::mem::take(self.framed.read_buffer_mut());
        let frame = self.framed.codec_mut().decode(&mut buf);
        *self.framed.read_buffer_mut() = buf;
        frame.ok().flatten()
    }

    /// The address of the other end.
    pub fn peer_addr(&self) -> Result<Endpoint> {
        Ok(match self.framed.get_ref() {
            AsyncStream::Tcp(s) => Endpoint::tcp(s.peer_addr()?),
            AsyncStream::Unix(s) => Endpoint::unix_peer(s.peer_addr()?.as_pathname()),
        })
    }

    /// Flushes, then closes the write side: the peer sees a clean close.
    pub async fn shutdown(&mut self) -> Result<()> {
        self.flush().await?;
        std::future::poll_fn(|cx| Pin::new(self.framed.get_mut()).poll_shutdown(cx)).await?;
        Ok(())
    }

    /// The framed stream underneath.
    pub fn framed(&mut self) -> &mut Framed<AsyncStream, FrameCodec> {
        &mut self.framed
    }
}

impl Stream for AsyncLink {
    type Item = Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.get_mut().framed)
            .poll_next(cx)
            .map(|item| item.map(|res| res.map_err(Error::from)))
    }
}

impl Sink<Bytes> for AsyncLink {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        Sink::<Bytes>::poll_ready(Pin::new(&mut self.get_mut().framed), cx).map_err(Error::from)
    }

    fn start_send(self: Pin<&mut Self>, item: Bytes) -> Result<()> {
        Pin::new(&mut self.get_mut().framed)
            .start_send(item)
            .map_err(Error::from)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        Sink::<Bytes>::poll_flush(Pin::new(&mut self.get_mut().framed), cx).map_err(Error::from)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        Sink::<Bytes>::poll_close(Pin::new(&mut self.get_mut().framed), cx).map_err(Error::from)
    }
}

/// Accepts [`AsyncLink`]s on a TCP port or Unix socket path.
#[derive(Debug)]
pub struct AsyncListener {
    inner: AsyncInner,
    options: Options,
}

#[derive(Debug)]
enum AsyncInner {
    Tcp(TcpListener),
    Unix(UnixListener, SocketFile),
}

impl AsyncListener {
    /// Binds with default [`Options`] for accepted links.
    pub async fn bind<E>(endpoint: E) -> Result<AsyncListener>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        Self::bind_with(endpoint, &Options::default()).await
    }

    /// Binds; accepted links get `options`. Built on the blocking
    /// [`crate::Listener`]'s bind, so both behave alike (backlog, stale
    /// Unix socket files).
    pub async fn bind_with<E>(endpoint: E, options: &Options) -> Result<AsyncListener>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        let endpoint: Endpoint = endpoint.try_into()?;
        let std_listener = crate::listener::Listener::bind_endpoint(&endpoint, options)?;
        let inner = match std_listener.into_std() {
            Inner::Tcp(l) => {
                l.set_nonblocking(true)?;
                AsyncInner::Tcp(TcpListener::from_std(l)?)
            }
            Inner::Unix(l, file) => {
                l.set_nonblocking(true)?;
                AsyncInner::Unix(UnixListener::from_std(l)?, file)
            }
        };
        Ok(AsyncListener {
            inner,
            options: options.clone(),
        })
    }

    /// Waits for the next connection; also gives the peer's address.
    pub async fn accept(&self) -> Result<(AsyncLink, Endpoint)> {
        let (stream, peer) = match &self.inner {
            AsyncInner::Tcp(l) => {
                let (s, addr) = l.accept().await?;
                (AsyncStream::Tcp(s), Endpoint::tcp(addr))
            }
            AsyncInner::Unix(l, _) => {
                let (s, addr) = l.accept().await?;
                (
                    AsyncStream::Unix(s),
                    Endpoint::unix_peer(addr.as_pathname()),
                )
            }
        };
        Ok((AsyncLink::from_stream(stream, &self.options)?, peer))
    }

    /// The bound endpoint, with the real port after binding port 0.
    pub fn local_addr(&self) -> Result<Endpoint> {
        Ok(match &self.inner {
            AsyncInner::Tcp(l) => Endpoint::tcp(l.local_addr()?),
            AsyncInner::Unix(_, file) => Endpoint::Unix(file.path.clone()),
        })
    }
}
