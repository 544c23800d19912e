//! The blocking link: one connected stream socket, framed both ways.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tether_proto::Framing;

use crate::endpoint::Endpoint;
use crate::error::{Broken, Error, Result};
use crate::options::Options;
use crate::reader::Reader;
use crate::sender::Sender;
use crate::slots::Slot;
use crate::stream::Stream;
use crate::writer::Writer;

/// A persistent, framed, blocking connection over TCP or a Unix socket.
///
/// `send` writes a small frame with its header in one `send`, a big one
/// with `writev` and no copy; `recv` reads up to 64 KiB per syscall in a
/// burst (8 KiB when idle) and hands out every whole frame it holds before
/// reading again; [`Link::recv_each`] lends them out without taking them. No runtime, no thread, unless a linger is in use.
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
    reader: Reader,
    /// Also holds why the link closed itself, if it did (see
    /// [`Link::is_broken`]).
    sender: Sender,
    /// This link's place under its listener's connection cap, if any.
    pub(crate) slot: Option<Slot>,
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
        // One socket, shared by the read half and the write half.
        let stream = Arc::new(stream);
        let writer = Writer::new(Arc::clone(&stream), options.codec(), options.linger);
        Ok(Link {
            reader: Reader::new(
                stream,
                options.codec(),
                options.busy_poll,
                options.patience(),
            ),
            sender: Sender::new(writer),
            slot: None,
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
        self.usable()?;
        self.sender.send(payload)
    }

    /// Gathers one message to be written by the next [`Link::flush`]; many
    /// small messages then cost one syscall.
    pub fn feed(&mut self, payload: &[u8]) -> Result<()> {
        self.usable()?;
        self.sender.feed(payload)
    }

    /// Writes everything gathered by [`Link::feed`] or the linger.
    pub fn flush(&mut self) -> Result<()> {
        self.usable()?;
        self.sender.flush()
    }

    /// Sends many messages with as few syscalls as possible.
    pub fn send_all<I, B>(&mut self, messages: I) -> Result<()>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        self.usable()?;
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
        self.reader.set_interruptible(interruptible);
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
        self.usable()?;
        let got = self.reader.recv();
        self.note(got)
    }

    /// Receives one message if one arrives within `timeout`; `Ok(None)` if not.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Bytes>> {
        self.sender.before_receive()?;
        self.usable()?;
        let got = self.reader.recv_timeout(timeout);
        self.note(got)
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
        self.sender.before_receive()?;
        self.usable()?;
        let got = self.reader.recv_batch(out, max, timeout);
        self.note(got)
    }

    /// Receives a batch without taking the messages out: waits up to
    /// `timeout` (`None`: for ever) for one message, then calls `f` with it
    /// and every other whole message already read, up to `max`, each as a
    /// slice of the link's read buffer. No allocation, copy or reference
    /// count per message, no further syscall; the fastest way to consume
    /// many small messages. Returns how many (0 when the timeout passed).
    ///
    /// ```no_run
    /// let mut link = tether::Link::connect("tcp://127.0.0.1:9000")?;
    /// let mut total = 0u64;
    /// let n = link.recv_each(usize::MAX, None, |msg| total += msg.len() as u64)?;
    /// println!("{n} messages, {total} bytes");
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn recv_each<F>(&mut self, max: usize, timeout: Option<Duration>, f: F) -> Result<usize>
    where
        F: FnMut(&[u8]),
    {
        self.sender.before_receive()?;
        self.usable()?;
        let got = self.reader.recv_each(max, timeout, f);
        self.note(got)
    }

    /// Receives one message if a whole one is already here; never waits.
    pub fn try_recv(&mut self) -> Result<Option<Bytes>> {
        self.sender.before_receive()?;
        self.usable()?;
        let got = self.reader.try_recv();
        self.note(got)
    }

    /// Sends one message and waits up to `timeout` (`None`: for ever) for
    /// the reply: a request/response in one call (the send is written at
    /// once, as a reply to the last receive or on an idle link; see
    /// [`Options::linger`]).
    pub fn request(&mut self, payload: &[u8], timeout: Option<Duration>) -> Result<Option<Bytes>> {
        self.sender.send(payload)?;
        match timeout {
            None => self.recv().map(Some),
            Some(t) => self.recv_timeout(t),
        }
    }

    /// Sets how long a blocking receive spins on non-blocking reads before
    /// it sleeps in the kernel (see [`Options::busy_poll`]).
    pub fn set_busy_poll(&mut self, busy_poll: Duration) {
        self.reader.set_busy_poll(busy_poll);
    }

    /// The busy-poll time of a blocking receive.
    pub fn busy_poll(&self) -> Duration {
        self.reader.busy_poll()
    }

    /// In non-blocking mode `recv` returns [`Error::WouldBlock`] instead of
    /// waiting, and the file descriptor suits an event loop. Sends still
    /// complete: a full socket buffer is waited on rather than leaving half a
    /// frame.
    pub fn set_nonblocking(&mut self, nonblocking: bool) -> Result<()> {
        self.reader.set_nonblocking(nonblocking)
    }

    /// Turns Nagle's algorithm off (`true`, the default) or on.
    pub fn set_nodelay(&mut self, nodelay: bool) -> Result<()> {
        Ok(self.reader.stream().set_nodelay(nodelay)?)
    }

    /// Whether Nagle's algorithm is off (always true for Unix sockets).
    pub fn nodelay(&self) -> Result<bool> {
        Ok(self.reader.stream().nodelay()?)
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
        self.reader.decoder().framing()
    }

    /// Whole frames (or parts) already read from the socket but not yet
    /// returned, in bytes. Non-zero means `recv` will not need a syscall.
    pub fn buffered_len(&self) -> usize {
        self.reader.buffered_len()
    }

    /// Bytes of read buffer this link holds now: at most 8 KiB while it
    /// is not in a burst (or inside a frame bigger than that).
    pub fn buffer_capacity(&self) -> usize {
        self.reader.capacity()
    }

    /// The address of the other end.
    pub fn peer_addr(&self) -> Result<Endpoint> {
        Ok(self.reader.stream().peer_endpoint()?)
    }

    /// The address of this end.
    pub fn local_addr(&self) -> Result<Endpoint> {
        Ok(self.reader.stream().local_endpoint()?)
    }

    /// Writes what is gathered, then shuts down reading, writing or both.
    /// After `Shutdown::Write` the peer sees a clean close and can still
    /// answer.
    pub fn shutdown(&mut self, how: Shutdown) -> Result<()> {
        self.sender.shutdown(how)
    }

    /// Fails with the reason once the link has closed itself.
    fn usable(&self) -> Result<()> {
        self.sender.usable()
    }

    /// A framing error from the peer or a timeout closes the connection
    /// (the protocol says the receiver closes it) and is remembered for
    /// later calls.
    fn note<T>(&mut self, got: Result<T>) -> Result<T> {
        if let Some(why) = got.as_ref().err().and_then(Broken::of) {
            self.sender.break_off(why);
        }
        got
    }

    /// Whether the link has closed the connection itself, after a framing
    /// error from the peer or a timeout; every call then fails with that
    /// error.
    pub fn is_broken(&self) -> bool {
        self.sender.is_broken()
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
        self.reader.stream().as_raw_fd()
    }
}

impl AsFd for Link {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.reader.stream().as_fd()
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
