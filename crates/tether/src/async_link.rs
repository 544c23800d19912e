//! Async links on tokio: the same codec through `tokio_util::codec::Framed`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_sink::Sink;
use tether_proto::FrameCodec;
use tokio::io::AsyncWrite;
use tokio::net::{TcpStream, UnixStream};
use tokio::time::Sleep;
use tokio_util::codec::{Decoder, Framed};

use crate::async_stream::{AsyncStream, Gated};
use crate::budget::Share;
use crate::endpoint::Endpoint;
use crate::error::{Broken, Error, Result};
use crate::options::Options;
use crate::patience::{Expiry, Patience};
use crate::reader::IDLE_READ;
use crate::slots::Slot;

/// The write buffer an idle link may keep: room for the small messages of
/// a steady exchange; more is let go after the flush that empties it.
const IDLE_WRITE: usize = 8 * 1024;

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
///
/// After the peer breaks the framing, or a frame is not whole within the
/// frame timeout (see [`Options::frame_timeout`]), the link closes the
/// connection at once and every later call returns that error again.
#[derive(Debug)]
pub struct AsyncLink {
    framed: Framed<Gated, FrameCodec>,
    patience: Patience,
    /// Armed while a deadline of the patience is pending.
    timer: Option<Pin<Box<Sleep>>>,
    /// Why the link closed the connection itself, if it did.
    broken: Option<Broken>,
    /// This link's place under its listener's connection cap, if any.
    pub(crate) slot: Option<Slot>,
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
        let gated = Gated {
            stream,
            share: options.budget.clone().map(Share::new),
        };
        let mut framed = Framed::with_capacity(gated, options.codec(), IDLE_READ);
        // Nothing to write yet: a link that only receives holds no write
        // buffer (`Framed` would start one of 8 KiB).
        *framed.write_buffer_mut() = BytesMut::new();
        Ok(AsyncLink {
            framed,
            patience: options.patience(),
            timer: None,
            broken: None,
            slot: None,
        })
    }

    /// Sends one message and flushes it.
    pub async fn send(&mut self, payload: &[u8]) -> Result<()> {
        self.feed(payload).await?;
        self.flush().await
    }

    /// Queues one message; it is written by [`AsyncLink::flush`] or once the
    /// write buffer passes its high-water mark.
    pub async fn feed(&mut self, payload: &[u8]) -> Result<()> {
        self.usable()?;
        std::future::poll_fn(|cx| Sink::<Bytes>::poll_ready(Pin::new(&mut self.framed), cx))
            .await?;
        Pin::new(&mut self.framed).start_send(Bytes::copy_from_slice(payload))?;
        Ok(())
    }

    /// Writes everything queued.
    pub async fn flush(&mut self) -> Result<()> {
        self.usable()?;
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
    /// [`Error::Truncated`] when the peer closed inside a frame,
    /// [`Error::FrameTimeout`] or [`Error::IdleTimeout`] when a timeout of
    /// the [`Options`] ran out (the connection is then closed).
    pub async fn recv(&mut self) -> Result<Bytes> {
        match std::future::poll_fn(|cx| self.poll_recv(cx, true)).await {
            Some(got) => got,
            None => Err(Error::Closed),
        }
    }

    /// The receive underneath `recv`, `try_recv` and the [`Stream`]:
    /// `None` at a clean close. With `arm` false nothing waits on the
    /// timer (a `try_recv`), but a deadline that has passed still counts.
    fn poll_recv(&mut self, cx: &mut Context<'_>, arm: bool) -> Poll<Option<Result<Bytes>>> {
        if let Some(why) = self.broken {
            return Poll::Ready(Some(Err(why.error())));
        }
        let got = self.poll_patiently(cx, arm);
        if let Poll::Ready(Some(Err(e))) = &got {
            if let Some(why) = Broken::of(e) {
                self.break_off(why);
            }
        }
        got
    }

    fn poll_patiently(&mut self, cx: &mut Context<'_>, arm: bool) -> Poll<Option<Result<Bytes>>> {
        loop {
            let before = self.framed.read_buffer().len();
            match Pin::new(&mut self.framed).poll_next(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    self.patience.heard(Instant::now);
                    self.patience.frame_done();
                    self.give_back_if_drained();
                    return Poll::Ready(Some(Ok(frame)));
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {}
            }
            let held = self.framed.read_buffer().len();
            if held != before {
                self.patience.heard(Instant::now);
            }
            self.patience.waiting(held > 0, Instant::now);
            let Some((at, why)) = self.patience.deadline() else {
                self.timer = None;
                return Poll::Pending;
            };
            if Instant::now() >= at {
                return Poll::Ready(Some(Err(expired(why, held))));
            }
            if !arm {
                return Poll::Pending;
            }
            let at = tokio::time::Instant::from_std(at);
            let timer = self
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
            if timer.deadline() != at {
                timer.as_mut().reset(at);
            }
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            // The timer fired: look at the deadline again (it may have
            // moved with bytes heard since it was set).
        }
    }

    /// Closes the connection at once (the peer sees it) and remembers why.
    fn break_off(&mut self, why: Broken) {
        self.broken = Some(why);
        self.timer = None;
        let _ = self.framed.get_ref().stream.shut_down_now();
    }

    /// Fails with the reason once the link has closed itself.
    fn usable(&self) -> Result<()> {
        match self.broken {
            Some(why) => Err(why.error()),
            None => Ok(()),
        }
    }

    /// Whether the link has closed the connection itself, after a framing
    /// error from the peer or a timeout; every call then fails with that
    /// error.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
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
        std::future::poll_fn(|cx| match self.poll_recv(cx, false) {
            Poll::Ready(Some(Ok(frame))) => Poll::Ready(Ok(Some(frame))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Err(e)),
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
        let mut buf = std::mem::take(self.framed.read_buffer_mut());
        // A bad frame stays in the buffer for the next call to report.
        let (more, at) = self.framed.codec_mut().each_frame(&buf, max - 1, f);
        let n = 1 + more;
        bytes::Buf::advance(&mut buf, at);
        *self.framed.read_buffer_mut() = buf;
        self.give_back_if_drained();
        Ok(n)
    }

    /// After a burst, an empty read buffer bigger than an idle link needs
    /// is let go (`Framed` would keep it for ever); frames handed out keep
    /// their own bytes alive, and the next read starts small again.
    fn give_back_if_drained(&mut self) {
        // Whole messages were taken: their bytes go back to the budget.
        let held = self.framed.read_buffer().len();
        if let Some(share) = self.framed.get_mut().share.as_mut() {
            share.settle(held);
        }
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
        Ok(match &self.framed.get_ref().stream {
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
}

impl Stream for AsyncLink {
    type Item = Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx, true)
    }
}

impl Sink<Bytes> for AsyncLink {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.usable()?;
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

/// The error for a timeout that ran out, with the bytes of the frame.
fn expired(why: Expiry, got: usize) -> Error {
    match why {
        Expiry::Idle(after) => Error::IdleTimeout { after },
        Expiry::Frame(after) => Error::FrameTimeout { after, got },
    }
}
