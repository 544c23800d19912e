//! The sending half of a blocking link, shareable between threads.

use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tether_proto::Framing;

use crate::endpoint::Endpoint;
use crate::error::{Broken, Result};
use crate::stream::Stream;
use crate::writer::Writer;

/// The sending half of a [`Link`](crate::Link): the same `send`, `feed`,
/// `flush` and linger, usable from another thread while the link's owner
/// waits in `recv`.
///
/// Made by [`Link::sender`](crate::Link::sender); clones share one gather
/// buffer and one socket, and their writes never interleave inside a frame.
/// The socket stays open while the link or any sender lives; whatever is
/// gathered is written when the last of them is dropped.
///
/// ```no_run
/// let mut link = tether::Link::connect("tcp://127.0.0.1:9000")?;
/// let sender = link.sender();
/// let ticker = std::thread::spawn(move || -> tether::Result<()> {
///     for tick in 0u32..10 {
///         sender.send(&tick.to_be_bytes())?;
///     }
///     sender.flush()
/// });
/// let reply = link.recv()?; // while the other thread sends
/// # let _ = (ticker, reply);
/// # Ok::<(), tether::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sender {
    writer: Arc<Writer>,
    /// Set once the link closed the connection itself (a framing error
    /// from the peer, a timeout); shared with the link and every clone,
    /// so each later call reports why.
    broken: Arc<OnceLock<Broken>>,
}

impl Sender {
    pub(crate) fn new(writer: Writer) -> Self {
        Self {
            writer: Arc::new(writer),
            broken: Arc::new(OnceLock::new()),
        }
    }

    /// Records why the link closed itself, and closes the connection.
    pub(crate) fn break_off(&self, why: Broken) {
        let _ = self.broken.set(why);
        let _ = self.shutdown(Shutdown::Both);
    }

    /// Fails with the reason once the link has closed itself.
    pub(crate) fn usable(&self) -> Result<()> {
        match self.broken.get() {
            Some(why) => Err(why.error()),
            None => Ok(()),
        }
    }

    /// Whether the link has closed the connection itself, after a framing
    /// error from the peer or a timeout; every send then fails with that
    /// error.
    pub fn is_broken(&self) -> bool {
        self.broken.get().is_some()
    }

    /// Called by the link before each receive; see
    /// [`Writer::before_receive`].
    pub(crate) fn before_receive(&self) -> Result<()> {
        self.writer.before_receive()
    }

    fn stream(&self) -> &Stream {
        self.writer.stream()
    }

    /// Sends one message. Written at once on an idle link, or gathered with
    /// the sends that follow within the linger (see
    /// [`Options::linger`](crate::Options::linger)).
    pub fn send(&self, payload: &[u8]) -> Result<()> {
        self.usable()?;
        self.writer.send(payload)
    }

    /// Gathers one message to be written by the next [`Sender::flush`];
    /// many small messages then cost one syscall.
    pub fn feed(&self, payload: &[u8]) -> Result<()> {
        self.usable()?;
        self.writer.feed_all([payload])
    }

    /// Writes everything gathered by `feed` or the linger.
    pub fn flush(&self) -> Result<()> {
        self.usable()?;
        self.writer.flush()
    }

    /// Sends many messages with as few syscalls as possible.
    pub fn send_all<I, B>(&self, messages: I) -> Result<()>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        self.usable()?;
        self.writer.feed_all(messages)?;
        self.writer.flush()
    }

    /// Sets the linger window; zero writes every send at once.
    pub fn set_linger(&self, linger: Duration) -> Result<()> {
        self.writer.set_linger(linger)
    }

    /// The linger window.
    pub fn linger(&self) -> Duration {
        self.writer.linger()
    }

    /// The framing this link speaks.
    pub fn framing(&self) -> Framing {
        self.writer.framing()
    }

    /// Turns Nagle's algorithm off (`true`, the default) or on.
    pub fn set_nodelay(&self, nodelay: bool) -> Result<()> {
        Ok(self.stream().set_nodelay(nodelay)?)
    }

    /// Whether Nagle's algorithm is off (always true for Unix sockets).
    pub fn nodelay(&self) -> Result<bool> {
        Ok(self.stream().nodelay()?)
    }

    /// The address of the other end.
    pub fn peer_addr(&self) -> Result<Endpoint> {
        Ok(self.stream().peer_endpoint()?)
    }

    /// The address of this end.
    pub fn local_addr(&self) -> Result<Endpoint> {
        Ok(self.stream().local_endpoint()?)
    }

    /// Writes what is gathered, then shuts down reading, writing or both.
    /// After `Shutdown::Write` the peer sees a clean close and can still
    /// answer; `Shutdown::Read` (or `Both`) also wakes a thread waiting in
    /// the link's `recv`, which then sees the end of the stream.
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        if how != Shutdown::Read {
            self.writer.flush()?;
        }
        Ok(self.stream().shutdown(how)?)
    }
}

impl AsRawFd for Sender {
    fn as_raw_fd(&self) -> RawFd {
        self.stream().as_raw_fd()
    }
}

impl AsFd for Sender {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream().as_fd()
    }
}
