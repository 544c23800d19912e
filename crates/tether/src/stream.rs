//! The byte stream under a blocking link: a TCP or Unix socket, read and
//! written with the few syscalls a link needs.

use std::io::{self, IoSlice};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use bytes::BytesMut;
use socket2::SockRef;

use crate::endpoint::Endpoint;

/// Timeouts from this long up are left to the kernel (`SO_RCVTIMEO`), so a
/// timed receive is one syscall, as an untimed one is. The kernel counts in
/// scheduler ticks (1 to 4 ms), too coarse for shorter ones, which `poll`.
pub(crate) const KERNEL_TIMEOUT_MIN: Duration = Duration::from_millis(50);

/// What a blocking receive does when a signal interrupts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnSignal {
    /// Wait on, as Rust's std does.
    Restart,
    /// Return `ErrorKind::Interrupted`, so the caller can run its handlers.
    Return,
}

/// A connected stream socket.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn sock(&self) -> SockRef<'_> {
        match self {
            Stream::Tcp(s) => SockRef::from(s),
            Stream::Unix(s) => SockRef::from(s),
        }
    }

    /// Reads what the socket holds into the spare capacity of `buf`, without
    /// zeroing it first. `dont_wait` makes this one read non-blocking whatever
    /// the socket's mode. A read that a signal interrupts is restarted,
    /// unless `on_signal` is [`OnSignal::Return`]. Returns 0 at end of stream.
    pub(crate) fn recv_into(
        &self,
        buf: &mut BytesMut,
        dont_wait: bool,
        on_signal: OnSignal,
    ) -> io::Result<usize> {
        let flags = if dont_wait { libc::MSG_DONTWAIT } else { 0 };
        loop {
            let spare = buf.spare_capacity_mut();
            match self.sock().recv_with_flags(spare, flags) {
                Ok(n) => {
                    // SAFETY: the kernel initialised the first `n` bytes of
                    // the spare capacity, which recv never exceeds.
                    unsafe { buf.set_len(buf.len() + n) };
                    return Ok(n);
                }
                Err(e)
                    if e.kind() == io::ErrorKind::Interrupted && on_signal == OnSignal::Restart =>
                {
                    continue
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes every byte of `slices`, in as few syscalls as the kernel allows.
    /// A non-blocking socket that is full is waited on, so a frame is never
    /// left half-written.
    pub(crate) fn write_all_vectored(&self, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
        IoSlice::advance_slices(&mut slices, 0);
        while !slices.is_empty() {
            let written = self
                .sock()
                .send_vectored_with_flags(slices, libc::MSG_NOSIGNAL);
            match written {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut slices, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_fd(self.as_raw_fd(), libc::POLLOUT, None)?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes every byte with `send(2)`, cheaper than `writev` for one
    /// slice. `MSG_NOSIGNAL`: a closed peer is an error, never a SIGPIPE
    /// that kills a host program which did not ignore it.
    pub(crate) fn write_all(&self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match self.sock().send_with_flags(bytes, libc::MSG_NOSIGNAL) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_fd(self.as_raw_fd(), libc::POLLOUT, None)?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub(crate) fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nonblocking(on),
            Stream::Unix(s) => s.set_nonblocking(on),
        }
    }

    pub(crate) fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(timeout),
            Stream::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    pub(crate) fn set_nodelay(&self, on: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nodelay(on),
            Stream::Unix(_) => Ok(()),
        }
    }

    pub(crate) fn nodelay(&self) -> io::Result<bool> {
        match self {
            Stream::Tcp(s) => s.nodelay(),
            Stream::Unix(_) => Ok(true),
        }
    }

    /// The address of the other end.
    pub(crate) fn peer_endpoint(&self) -> io::Result<Endpoint> {
        Ok(match self {
            Stream::Tcp(s) => Endpoint::tcp(s.peer_addr()?),
            Stream::Unix(s) => Endpoint::unix_peer(s.peer_addr()?.as_pathname()),
        })
    }

    /// The address of this end.
    pub(crate) fn local_endpoint(&self) -> io::Result<Endpoint> {
        Ok(match self {
            Stream::Tcp(s) => Endpoint::tcp(s.local_addr()?),
            Stream::Unix(s) => Endpoint::unix_peer(s.local_addr()?.as_pathname()),
        })
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(how),
            Stream::Unix(s) => s.shutdown(how),
        }
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }
}

impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Stream::Tcp(s) => s.as_fd(),
            Stream::Unix(s) => s.as_fd(),
        }
    }
}

/// Waits until `fd` has something to read (data, a connection to accept,
/// or the end of the stream) or `timeout` passes; true if it has. The wait
/// tether's own links use, for programs that wait on their own sockets too
/// (the bench server's std listeners).
pub fn wait_readable(fd: &impl AsFd, timeout: std::time::Duration) -> io::Result<bool> {
    wait_fd(fd.as_fd().as_raw_fd(), libc::POLLIN, Some(timeout))
}

/// Waits until `fd` is ready for `events` (`POLLIN`/`POLLOUT`) or `timeout`
/// passes; true if ready. `None` waits for ever. Interrupted waits resume
/// with the time that is left.
pub(crate) fn wait_fd(
    fd: RawFd,
    events: libc::c_short,
    timeout: Option<Duration>,
) -> io::Result<bool> {
    let deadline = timeout.map(|t| std::time::Instant::now() + t);
    loop {
        let ms: libc::c_int = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(std::time::Instant::now());
                // Round up so a 100 µs timeout does not become a busy 0 ms poll.
                left.as_micros()
                    .div_ceil(1000)
                    .min(libc::c_int::MAX as u128) as libc::c_int
            }
        };
        let mut pfd = libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        // SAFETY: one valid pollfd, for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        match n {
            n if n > 0 => return Ok(true),
            0 => return Ok(false),
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}
