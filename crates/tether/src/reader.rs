//! The read half of a blocking link: one read buffer, the decoder, and the
//! ways to wait for a message (blocking, timed, non-blocking, busy-polled).

use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use tether_proto::{Decoder, FrameCodec};

use crate::error::{Error, Result};
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
}

impl Reader {
    pub(crate) fn new(stream: Arc<Stream>, decoder: FrameCodec, busy_poll: Duration) -> Self {
        Self {
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
    fn wait_for<T>(
        &mut self,
        timeout: Option<Duration>,
        mut take: impl FnMut(&mut Self) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        if let Some(got) = take(self)? {
            return Ok(Some(got));
        }
        let Some(timeout) = timeout else {
            self.set_read_timeout(None)?;
            loop {
                self.fill(self.nonblocking)?;
                if let Some(got) = take(self)? {
                    return Ok(Some(got));
                }
            }
        };
        if timeout >= KERNEL_TIMEOUT_MIN && !self.nonblocking {
            return self.wait_kernel_timeout(timeout, take);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if !wait_fd(self.stream.as_raw_fd(), libc::POLLIN, Some(left))? {
                return Ok(None);
            }
            match self.fill(true) {
                Ok(()) | Err(Error::WouldBlock) => {}
                Err(e) => return Err(e),
            }
            if let Some(got) = take(self)? {
                return Ok(Some(got));
            }
        }
    }

    /// A timed wait as blocking reads with `SO_RCVTIMEO`: one syscall when
    /// a whole message comes in one read.
    fn wait_kernel_timeout<T>(
        &mut self,
        timeout: Duration,
        mut take: impl FnMut(&mut Self) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let mut deadline = None;
        let mut wait = timeout;
        loop {
            self.set_read_timeout(Some(wait))?;
            match self.fill(false) {
                Ok(()) => {}
                Err(Error::WouldBlock) => return Ok(None),
                Err(e) => return Err(e),
            }
            if let Some(got) = take(self)? {
                return Ok(Some(got));
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
        let (mut n, mut at) = (0, 0);
        while n < max {
            // A bad frame later in the buffer stays there: the next call
            // reports it, after this batch is handed over.
            match self.decoder.find(&self.buf[at..]) {
                Ok(Some(found)) => {
                    f(&self.buf[at + found.payload.start..at + found.payload.end]);
                    at += found.len;
                    n += 1;
                }
                Ok(None) | Err(_) => break,
            }
        }
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
