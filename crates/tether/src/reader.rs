//! The read half of a blocking link: one read buffer, the decoder, and the
//! ways to wait for a message (blocking, timed, non-blocking, busy-polled).

use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use tether_proto::{Decoder, FrameCodec};

use crate::error::{Error, Result};
use crate::patience::{Expiry, Patience};
use crate::stream::{wait_fd, OnSignal, Stream, KERNEL_TIMEOUT_MIN};

/// A read during a burst asks the kernel for up to this much, so a single
/// syscall can bring in many small frames.
pub(crate) const READ_CHUNK: usize = 64 * 1024;
/// The buffer of a link that is not in a burst: what an idle link keeps.
pub(crate) const IDLE_READ: usize = 8 * 1024;
/// Below this much free space the buffer is grown before reading.
const MIN_SPARE: usize = 1024;

#[derive(Debug)]
pub(crate) struct Reader {
    stream: Arc<Stream>,
    decoder: FrameCodec,
    buf: BytesMut,
    eof: bool,
    nonblocking: bool,
    on_signal: OnSignal,
    /// The `SO_RCVTIMEO` now set on the socket, to set it only on change.
    read_timeout: Option<Duration>,
    /// How long a blocking read first spins on non-blocking ones.
    busy_poll: Duration,
    /// The last read filled all the room it had: more is likely waiting,
    /// so the next read offers [`READ_CHUNK`].
    burst: bool,
    /// The idle and frame timeouts.
    patience: Patience,
}

impl Reader {
    pub(crate) fn new(
        stream: Arc<Stream>,
        decoder: FrameCodec,
        busy_poll: Duration,
        patience: Patience,
    ) -> Self {
        Self {
            patience,
            stream,
            decoder,
            buf: BytesMut::new(),
            eof: false,
            nonblocking: false,
            on_signal: OnSignal::Restart,
            read_timeout: None,
            busy_poll,
            burst: false,
        }
    }

    pub(crate) fn stream(&self) -> &Stream {
        &self.stream
    }

    pub(crate) fn decoder(&self) -> &FrameCodec {
        &self.decoder
    }

    pub(crate) fn set_interruptible(&mut self, interruptible: bool) {
        self.on_signal = if interruptible {
            OnSignal::Return
        } else {
            OnSignal::Restart
        };
    }

    pub(crate) fn set_busy_poll(&mut self, busy_poll: Duration) {
        self.busy_poll = busy_poll;
    }

    pub(crate) fn busy_poll(&self) -> Duration {
        self.busy_poll
    }

    pub(crate) fn set_nonblocking(&mut self, nonblocking: bool) -> Result<()> {
        self.stream.set_nonblocking(nonblocking)?;
        self.nonblocking = nonblocking;
        Ok(())
    }

    pub(crate) fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// Bytes the read buffer holds room for: what this link keeps.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    pub(crate) fn recv(&mut self) -> Result<Bytes> {
        let got = self.wait_for(None, Self::next_buffered)?;
        // A wait with no timeout ends with a message or an error.
        got.ok_or(Error::WouldBlock)
    }

    pub(crate) fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Bytes>> {
        self.wait_for(Some(timeout), Self::next_buffered)
    }

    /// Waits up to `timeout` (`None`: for ever, or [`Error::WouldBlock`] in
    /// non-blocking mode) until `take` gives something from the buffer.
    /// While part of a frame waits (or with an idle timeout), the wait is
    /// also bounded by the link's [`Patience`], whose expiry is an error.
    /// Each read is one syscall: a plain blocking read when no deadline
    /// applies, `SO_RCVTIMEO` for long waits, `poll` for short ones.
    fn wait_for<T>(
        &mut self,
        timeout: Option<Duration>,
        mut take: impl FnMut(&mut Self) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        if let Some(got) = self.take_noting(&mut take)? {
            return Ok(Some(got));
        }
        let until = timeout.map(|t| Instant::now() + t);
        let mut first = true;
        loop {
            let limit = self.patience.deadline();
            // A non-blocking receive never waits, not even for a deadline.
            let patience_end = limit.filter(|_| !(self.nonblocking && until.is_none()));
            let end = match (until, patience_end) {
                (Some(u), Some((p, _))) => Some(u.min(p)),
                (u, p) => u.or(p.map(|(at, _)| at)),
            };
            let wait = match end.or(limit.map(|(at, _)| at)) {
                None => None,
                Some(_) => {
                    let now = Instant::now();
                    if let Some(why) = self.patience.expired(now) {
                        return Err(self.expired(why));
                    }
                    match (first, patience_end) {
                        // The caller's own timeout, unchanged from call to
                        // call, so `SO_RCVTIMEO` is set only when it changes.
                        (true, None) => timeout,
                        _ => end.map(|e| e.saturating_duration_since(now)),
                    }
                }
            };
            first = false;
            match wait {
                Some(w) if w.is_zero() => return Ok(None),
                None => {
                    self.set_read_timeout(None)?;
                    self.fill(self.nonblocking)?;
                }
                Some(w) if w >= KERNEL_TIMEOUT_MIN && !self.nonblocking => {
                    self.set_read_timeout(Some(w))?;
                    match self.fill(false) {
                        Ok(()) => {}
                        // The kernel's timeout: look at the deadlines again.
                        Err(Error::WouldBlock) => continue,
                        Err(e) => return Err(e),
                    }
                }
                Some(w) => {
                    if !wait_fd(self.stream.as_raw_fd(), libc::POLLIN, Some(w))? {
                        continue;
                    }
                    match self.fill(true) {
                        Ok(()) | Err(Error::WouldBlock) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            self.patience.heard(Instant::now);
            if let Some(got) = self.take_noting(&mut take)? {
                return Ok(Some(got));
            }
        }
    }

    /// `take`, telling the patience whether a frame was taken or part of
    /// one waits.
    fn take_noting<T>(
        &mut self,
        take: &mut impl FnMut(&mut Self) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let got = take(self)?;
        if got.is_some() {
            self.patience.frame_done();
        } else {
            self.patience.waiting(!self.buf.is_empty(), Instant::now);
        }
        Ok(got)
    }

    /// The error for a timeout that ran out.
    fn expired(&self, why: Expiry) -> Error {
        match why {
            Expiry::Idle(after) => Error::IdleTimeout { after },
            Expiry::Frame(after) => Error::FrameTimeout {
                after,
                got: self.buf.len(),
            },
        }
    }

    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        if self.read_timeout != timeout {
            self.stream.set_read_timeout(timeout)?;
            self.read_timeout = timeout;
        }
        Ok(())
    }

    pub(crate) fn recv_batch(
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
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(frame)) => {
                    out.push(frame);
                    n += 1;
                }
                Ok(None) | Err(_) => break,
            }
        }
        self.give_back_if_drained();
        Ok(n)
    }

    /// Waits up to `timeout` for one whole message, then lends `f` it and
    /// every other whole message already read, up to `max`, as slices of
    /// the read buffer: no allocation, no copy, no reference count per
    /// message, and no further syscall. Returns how many (0 when the
    /// timeout passed).
    pub(crate) fn recv_each<F>(
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
        let Some(first) = self.wait_for(timeout, Self::first_of_batch)? else {
            return Ok(0);
        };
        if let Some(last) = first {
            // The last message before a close, taken by `decode_eof`.
            f(&last);
            return Ok(1);
        }
        // A bad frame later in the buffer stays there: the next call
        // reports it, after this batch is handed over.
        let (n, at) = self.decoder.each_frame(&self.buf, max, f);
        self.buf.advance(at);
        self.give_back_if_drained();
        Ok(n)
    }

    /// `Some(None)` when a whole frame waits at the start of the buffer;
    /// `Some(Some(frame))` for the last frame before a close (which only
    /// `decode_eof` can take); `Closed` or `Truncated` at the end.
    fn first_of_batch(&mut self) -> Result<Option<Option<Bytes>>> {
        if self.decoder.find(&self.buf)?.is_some() {
            return Ok(Some(None));
        }
        if !self.eof {
            return Ok(None);
        }
        match self.decoder.decode_eof(&mut self.buf)? {
            Some(frame) => Ok(Some(Some(frame))),
            None => Err(Error::Closed),
        }
    }

    pub(crate) fn try_recv(&mut self) -> Result<Option<Bytes>> {
        if let Some(frame) = self.take_noting(&mut Self::next_buffered)? {
            return Ok(Some(frame));
        }
        match self.fill(true) {
            Ok(()) => self.patience.heard(Instant::now),
            Err(Error::WouldBlock) => {}
            Err(e) => return Err(e),
        }
        if let Some(frame) = self.take_noting(&mut Self::next_buffered)? {
            return Ok(Some(frame));
        }
        // Never waits, but a deadline that has passed still closes.
        if self.patience.deadline().is_some() {
            if let Some(why) = self.patience.expired(Instant::now()) {
                return Err(self.expired(why));
            }
        }
        Ok(None)
    }

    /// A whole frame from the buffer, or the end of the stream.
    fn next_buffered(&mut self) -> Result<Option<Bytes>> {
        if let Some(frame) = self.decoder.decode(&mut self.buf)? {
            self.give_back_if_drained();
            return Ok(Some(frame));
        }
        if !self.eof {
            return Ok(None);
        }
        match self.decoder.decode_eof(&mut self.buf)? {
            Some(frame) => Ok(Some(frame)),
            None => Err(Error::Closed),
        }
    }

    /// After a burst, an empty buffer bigger than an idle link needs is let
    /// go (frames handed out keep their own bytes alive); the next read
    /// starts small again.
    fn give_back_if_drained(&mut self) {
        if self.buf.is_empty() && !self.burst && self.buf.capacity() > IDLE_READ {
            self.buf = BytesMut::new();
        }
    }

    /// One read from the socket into the buffer. A blocking read first
    /// spins on non-blocking ones for the busy-poll time, if any.
    fn fill(&mut self, dont_wait: bool) -> Result<()> {
        self.make_room()?;
        let room = self.buf.capacity() - self.buf.len();
        let mut n = None;
        if !dont_wait && !self.busy_poll.is_zero() {
            n = self.spin()?;
        }
        let n = match n {
            Some(n) => n,
            None => self
                .stream
                .recv_into(&mut self.buf, dont_wait, self.on_signal)?,
        };
        self.burst = n == room;
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// Non-blocking reads until one brings bytes or the busy-poll time is
    /// up (`None`: the blocking read follows).
    fn spin(&mut self) -> Result<Option<usize>> {
        let start = Instant::now();
        loop {
            match self.stream.recv_into(&mut self.buf, true, self.on_signal) {
                Ok(n) => return Ok(Some(n)),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e.into()),
            }
            if start.elapsed() >= self.busy_poll {
                return Ok(None);
            }
            std::hint::spin_loop();
        }
    }

    /// Room for the next read: the rest of a big frame whose length is
    /// known (checked against the limit), so it is read straight into one
    /// buffer of its size; else a chunk, big during a burst.
    fn make_room(&mut self) -> Result<()> {
        if let Some(total) = self.decoder.announced_len(&self.buf)? {
            if total > self.buf.capacity() {
                self.buf.reserve(total - self.buf.len());
                return Ok(());
            }
        }
        if self.buf.capacity() - self.buf.len() < MIN_SPARE {
            self.buf
                .reserve(if self.burst { READ_CHUNK } else { IDLE_READ });
        }
        Ok(())
    }
}
