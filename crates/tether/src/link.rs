//! The blocking link: one connected stream socket, framed both ways.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tether_proto::{Decoder, FrameCodec, Framing};

use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::sender::Sender;
use crate::stream::{wait_fd, OnSignal, Stream, KERNEL_TIMEOUT_MIN};
use crate::writer::Writer;

/// One read asks the kernel for up to this much, so a single syscall can
/// bring in many small frames.
pub(crate) const READ_CHUNK: usize = 64 * 1024;
/// Below this much free space the buffer is grown before reading.
const MIN_SPARE: usize = 4 * 1024;

/// A persistent, framed, blocking connection over TCP or a Unix socket.
///
/// `send` writes header and payload in one `writev`; `recv` reads up to
/// 64 KiB per syscall and hands out every whole frame it holds before
/// reading again. No runtime, no thread, unless a linger is in use.
/// [`Link::sender`] gives a handle that sends from another thread while
/// this one waits in `recv`.
///
/// ```no_run
/// use std::time::Duration;
///
/// let mut link = tether::Link::connect("tcp://127.0.0.1:9000")?;
/// link.send(&[0, 1, 1, 0])?;
/// if let Some(reply) = link.recv_timeout(Duration::from_millis(5))? {
///     println!("{} bytes back", reply.len());
/// }
/// # Ok::<(), tether::Error>(())
/// ```
#[derive(Debug)]
pub struct Link {
    /// The socket, shared with the write half (and its `Sender`s).
    stream: Arc<Stream>,
    sender: Sender,
    decoder: FrameCodec,
    rbuf: BytesMut,
    eof: bool,
    nonblocking: bool,
    on_signal: OnSignal,
    /// The `SO_RCVTIMEO` now set on the socket, to set it only on change.
    read_timeout: Option<Duration>,
}

fn endpoint_of<E>(endpoint: E) -> Result<Endpoint>
where
    E: TryInto<Endpoint>,
    Error: From<E::Error>,
{
    Ok(endpoint.try_into()?)
}

impl Link {
    /// Connects with default [`Options`]: length framing, Nagle off,
    /// 100 µs linger.
    pub fn connect<E>(endpoint: E) -> Result<Link>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        Self::connect_with(endpoint, &Options::default())
    }

    /// Connects with the given options.
    pub fn connect_with<E>(endpoint: E, options: &Options) -> Result<Link>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        Self::open(&endpoint_of(endpoint)?, options, None)
    }

    /// Connects, giving up on each address after `timeout`.
    pub fn connect_timeout<E>(endpoint: E, timeout: Duration, options: &Options) -> Result<Link>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        Self::open(&endpoint_of(endpoint)?, options, Some(timeout))
    }

    /// Connects, trying again until `within` has passed, for a peer that may
    /// start after this one. Waits 10 ms after the first failure, doubling up
    /// to 250 ms; the error, if it comes, is the last attempt's.
    pub fn connect_retry<E>(endpoint: E, within: Duration, options: &Options) -> Result<Link>
    where
        E: TryInto<Endpoint>,
        Error: From<E::Error>,
    {
        let endpoint = endpoint_of(endpoint)?;
        let deadline = Instant::now() + within;
        let mut pause = Duration::from_millis(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let attempt_timeout = left.max(Duration::from_millis(1));
            match Self::open(&endpoint, options, Some(attempt_timeout)) {
                Ok(link) => return Ok(link),
                Err(e) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() || !matches!(e, Error::Connect { .. }) {
                        return Err(e);
                    }
                    std::thread::sleep(pause.min(left));
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
            }
        }
    }

    fn open(endpoint: &Endpoint, options: &Options, timeout: Option<Duration>) -> Result<Link> {
        let connect_err = |cause: io::Error| Error::Connect {
            endpoint: endpoint.to_string(),
            cause,
        };
        let stream = match endpoint {
            Endpoint::Tcp { .. } => {
                let addrs = endpoint.socket_addrs().map_err(connect_err)?;
                Stream::Tcp(connect_tcp(&addrs, timeout).map_err(connect_err)?)
            }
            Endpoint::Unix(path) => Stream::Unix(UnixStream::connect(path).map_err(connect_err)?),
            Endpoint::Udp { .. } => {
                return Err(Error::WrongScheme {
                    endpoint: endpoint.to_string(),
                    expected: "tcp:// or unix://",
                    hint: "; use DatagramLink for udp://",
                })
            }
        };
        Link::from_stream(stream, options)
    }

    pub(crate) fn from_stream(stream: Stream, options: &Options) -> Result<Link> {
        stream.set_nodelay(options.nodelay)?;
        let stream = Arc::new(stream);
        let writer = Writer::new(Arc::clone(&stream), options.codec(), options.linger);
        Ok(Link {
            stream,
            sender: Sender::new(writer),
            decoder: options.codec(),
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            eof: false,
            nonblocking: false,
            on_signal: OnSignal::Restart,
            read_timeout: None,
        })
    }

    /// Wraps a connected TCP stream (Nagle off unless `options` says so).
    pub fn from_tcp(stream: TcpStream, options: &Options) -> Result<Link> {
        Self::from_stream(Stream::Tcp(stream), options)
    }

    /// Wraps a connected Unix stream.
    pub fn from_unix(stream: UnixStream, options: &Options) -> Result<Link> {
        Self::from_stream(Stream::Unix(stream), options)
    }

    /// A connected pair of links over a Unix socket pair, for tests and for
    /// threads of one program.
    pub fn pair(options: &Options) -> Result<(Link, Link)> {
        let (a, b) = UnixStream::pair()?;
        Ok((Self::from_unix(a, options)?, Self::from_unix(b, options)?))
    }

    /// Sends one message. Written at once on an idle link, or gathered with
    /// the sends that follow within the linger (see [`Options::linger`]).
    pub fn send(&mut self, payload: &[u8]) -> Result<()> {
        self.sender.send(payload)
    }

    /// Gathers one message to be written by the next [`Link::flush`]; many
    /// small messages then cost one syscall.
    pub fn feed(&mut self, payload: &[u8]) -> Result<()> {
        self.sender.feed(payload)
    }

    /// Writes everything gathered by [`Link::feed`] or the linger.
    pub fn flush(&mut self) -> Result<()> {
        self.sender.flush()
    }

    /// Sends many messages with as few syscalls as possible.
    pub fn send_all<I, B>(&mut self, messages: I) -> Result<()>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        self.sender.send_all(messages)
    }

    /// A handle that sends on this link from another thread, while this
    /// one waits in `recv`; see [`Sender`].
    pub fn sender(&self) -> Sender {
        self.sender.clone()
    }

    /// Whether a signal that interrupts a waiting receive makes it return
    /// [`Error::Interrupted`] (`true`) or wait on (`false`, the default, as
    /// Rust's std does). For hosts that handle signals themselves between
    /// calls, such as the Python runtime: a blocking `recv` then costs one
    /// read with no timer, and Ctrl-C still ends it at once.
    pub fn set_interruptible(&mut self, interruptible: bool) {
        self.on_signal = if interruptible {
            OnSignal::Return
        } else {
            OnSignal::Restart
        };
    }

    /// Receives one message, waiting as long as it takes (or returning
    /// [`Error::WouldBlock`] in non-blocking mode).
    ///
    /// [`Error::Closed`] when the peer closed between messages,
    /// [`Error::Truncated`] when it closed inside one, [`Error::Interrupted`]
    /// when a signal came and the link is
    /// [interruptible](Link::set_interruptible).
    pub fn recv(&mut self) -> Result<Bytes> {
        self.sender.before_receive()?;
        if let Some(frame) = self.next_buffered()? {
            return Ok(frame);
        }
        self.set_read_timeout(None)?;
        loop {
            self.fill(self.nonblocking)?;
            if let Some(frame) = self.next_buffered()? {
                return Ok(frame);
            }
        }
    }

    /// Receives one message if one arrives within `timeout`; `Ok(None)` if not.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Bytes>> {
        self.sender.before_receive()?;
        if let Some(frame) = self.next_buffered()? {
            return Ok(Some(frame));
        }
        if timeout >= KERNEL_TIMEOUT_MIN && !self.nonblocking {
            return self.recv_kernel_timeout(timeout);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if !wait_fd(self.as_raw_fd(), libc::POLLIN, Some(left))? {
                return Ok(None);
            }
            match self.fill(true) {
                Ok(()) | Err(Error::WouldBlock) => {}
                Err(e) => return Err(e),
            }
            if let Some(frame) = self.next_buffered()? {
                return Ok(Some(frame));
            }
        }
    }

    /// A timed receive as one blocking read with `SO_RCVTIMEO`.
    fn recv_kernel_timeout(&mut self, timeout: Duration) -> Result<Option<Bytes>> {
        let mut deadline = None;
        let mut wait = timeout;
        loop {
            self.set_read_timeout(Some(wait))?;
            match self.fill(false) {
                Ok(()) => {}
                Err(Error::WouldBlock) => return Ok(None),
                Err(e) => return Err(e),
            }
            if let Some(frame) = self.next_buffered()? {
                return Ok(Some(frame));
            }
            // Part of a frame came: wait for the rest, within what is left.
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + timeout);
            wait = deadline.saturating_duration_since(Instant::now());
            if wait.is_zero() {
                return Ok(None);
            }
        }
    }

    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        if self.read_timeout != timeout {
            self.stream.set_read_timeout(timeout)?;
            self.read_timeout = timeout;
        }
        Ok(())
    }

    /// Receives a batch: waits up to `timeout` (`None`: for ever) for one
    /// message, then appends it and every other whole message already read
    /// to `out`, up to `max` in all, with no further syscall. Returns how
    /// many were appended (0 when the timeout passed). A receiver that
    /// drains many small messages pays the per-call cost once per batch.
    pub fn recv_batch(
        &mut self,
        out: &mut Vec<Bytes>,
        max: usize,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        if max == 0 {
            return Ok(0);
        }
        let first = match timeout {
            None => self.recv()?,
            Some(t) => match self.recv_timeout(t)? {
                Some(frame) => frame,
                None => return Ok(0),
            },
        };
        out.push(first);
        let mut n = 1;
        while n < max {
            // A bad frame later in the buffer stays there: the next call
            // reports it, after this batch is handed over.
            match self.decoder.decode(&mut self.rbuf) {
                Ok(Some(frame)) => {
                    out.push(frame);
                    n += 1;
                }
                Ok(None) | Err(_) => break,
            }
        }
        Ok(n)
    }

    /// Receives one message if a whole one is already here; never waits.
    pub fn try_recv(&mut self) -> Result<Option<Bytes>> {
        self.sender.before_receive()?;
        if let Some(frame) = self.next_buffered()? {
            return Ok(Some(frame));
        }
        match self.fill(true) {
            Ok(()) => self.next_buffered(),
            Err(Error::WouldBlock) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A whole frame from the buffer, or the end of the stream.
    fn next_buffered(&mut self) -> Result<Option<Bytes>> {
        if let Some(frame) = self.decoder.decode(&mut self.rbuf)? {
            return Ok(Some(frame));
        }
        if !self.eof {
            return Ok(None);
        }
        match self.decoder.decode_eof(&mut self.rbuf)? {
            Some(frame) => Ok(Some(frame)),
            None => Err(Error::Closed),
        }
    }

    /// One read from the socket into the buffer.
    fn fill(&mut self, dont_wait: bool) -> Result<()> {
        if self.rbuf.capacity() - self.rbuf.len() < MIN_SPARE {
            self.rbuf.reserve(READ_CHUNK);
        }
        let n = self
            .stream
            .recv_into(&mut self.rbuf, dont_wait, self.on_signal)?;
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// In non-blocking mode `recv` returns [`Error::WouldBlock`] instead of
    /// waiting, and the file descriptor suits an event loop. Sends still
    /// complete: a full socket buffer is waited on rather than leaving half a
    /// frame.
    pub fn set_nonblocking(&mut self, nonblocking: bool) -> Result<()> {
        self.stream.set_nonblocking(nonblocking)?;
        self.nonblocking = nonblocking;
        Ok(())
    }

    /// Turns Nagle's algorithm off (`true`, the default) or on.
    pub fn set_nodelay(&mut self, nodelay: bool) -> Result<()> {
        Ok(self.stream.set_nodelay(nodelay)?)
    }

    /// Whether Nagle's algorithm is off (always true for Unix sockets).
    pub fn nodelay(&self) -> Result<bool> {
        Ok(self.stream.nodelay()?)
    }

    /// Sets the linger window; zero writes every send at once.
    pub fn set_linger(&mut self, linger: Duration) -> Result<()> {
        self.sender.set_linger(linger)
    }

    /// The linger window.
    pub fn linger(&self) -> Duration {
        self.sender.linger()
    }

    /// The framing this link speaks.
    pub fn framing(&self) -> Framing {
        self.decoder.framing()
    }

    /// Whole frames (or parts) already read from the socket but not yet
    /// returned, in bytes. Non-zero means `recv` will not need a syscall.
    pub fn buffered_len(&self) -> usize {
        self.rbuf.len()
    }

    /// The address of the other end.
    pub fn peer_addr(&self) -> Result<Endpoint> {
        Ok(self.stream.peer_endpoint()?)
    }

    /// The address of this end.
    pub fn local_addr(&self) -> Result<Endpoint> {
        Ok(self.stream.local_endpoint()?)
    }

    /// Writes what is gathered, then shuts down reading, writing or both.
    /// After `Shutdown::Write` the peer sees a clean close and can still
    /// answer.
    pub fn shutdown(&mut self, how: Shutdown) -> Result<()> {
        self.sender.shutdown(how)
    }
}

fn connect_tcp(addrs: &[SocketAddr], timeout: Option<Duration>) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in addrs {
        let attempt = match timeout {
            Some(t) => TcpStream::connect_timeout(addr, t),
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address to connect to")))
}

impl AsRawFd for Link {
    fn as_raw_fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }
}

impl AsFd for Link {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }
}

/// Iterates over received messages until the peer closes cleanly; a
/// truncated frame or any other failure is the last item.
impl Iterator for Link {
    type Item = Result<Bytes>;

    fn next(&mut self) -> Option<Result<Bytes>> {
        match self.recv() {
            Err(Error::Closed) => None,
            other => Some(other),
        }
    }
}
