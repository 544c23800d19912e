//! What the bench puts on the wire outside tether's own code: the filler
//! and sequence stamp of a payload, and plain `std::net` stream sockets
//! with frames (a 4-byte big-endian length prefix, as tether's length
//! framing) written and parsed by hand, as a careful program without tether
//! would.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tether::proto::limits::{size_label, LENGTH_PREFIX_LEN};
use tether::{Endpoint, DEFAULT_MAX_FRAME_LEN};

/// The byte every bench payload is filled with (before its stamp).
pub const FILLER: u8 = 0x5a;

/// Bytes asked of the kernel per read.
const READ_BUF: usize = 256 * 1024;

/// The batch flush threshold, shared by tether's batch mode and std's.
pub const BATCH_BYTES: usize = 64 * 1024;

/// Bytes of the sequence stamp at the start of a payload: a little-endian
/// u64, cut to the payload when it is shorter.
pub const SEQUENCE_LEN: usize = 8;

/// A payload of `size` bytes of [`FILLER`].
pub fn payload(size: usize) -> Vec<u8> {
    vec![FILLER; size]
}

/// How many messages of `size` go between two looks at the clock: about
/// [`BATCH_BYTES`] worth, so reading the clock costs nothing next to the
/// sending.
#[inline]
pub fn check_every(size: usize) -> u64 {
    (BATCH_BYTES / (size + LENGTH_PREFIX_LEN)).clamp(1, 4096) as u64
}

/// A connected std stream socket.
#[derive(Debug)]
pub enum StdStream {
    /// TCP.
    Tcp(TcpStream),
    /// Unix stream.
    Unix(UnixStream),
}

impl StdStream {
    /// Connects to a `tcp://` or `unix://` endpoint.
    pub fn connect(endpoint: &Endpoint, nodelay: bool) -> anyhow::Result<StdStream> {
        let stream = match endpoint {
            Endpoint::Tcp { .. } => {
                let addrs = endpoint.socket_addrs()?;
                let s = TcpStream::connect(&addrs[..])
                    .with_context(|| format!("cannot connect to {endpoint}"))?;
                s.set_nodelay(nodelay)?;
                StdStream::Tcp(s)
            }
            Endpoint::Unix(path) => StdStream::Unix(
                UnixStream::connect(path)
                    .with_context(|| format!("cannot connect to {endpoint}"))?,
            ),
            Endpoint::Udp { .. } => bail!("{endpoint} is not a stream endpoint"),
        };
        Ok(stream)
    }

    /// Closes the sending direction: the peer sees the end of the stream.
    pub fn shutdown_write(&self) -> io::Result<()> {
        match self {
            StdStream::Tcp(s) => s.shutdown(Shutdown::Write),
            StdStream::Unix(s) => s.shutdown(Shutdown::Write),
        }
    }
}

impl Read for StdStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            StdStream::Tcp(s) => s.read(buf),
            StdStream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for StdStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            StdStream::Tcp(s) => s.write(buf),
            StdStream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsRawFd for StdStream {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            StdStream::Tcp(s) => s.as_raw_fd(),
            StdStream::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// Length-prefixed frames parsed by hand out of one big buffer.
#[derive(Debug)]
pub struct FrameReader {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Default for FrameReader {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameReader {
    /// An empty reader with a 256 KiB buffer.
    pub fn new() -> Self {
        Self {
            buf: vec![0; READ_BUF],
            start: 0,
            end: 0,
        }
    }

    /// The next whole frame, its length prefix included, reading from `r`
    /// as needed; `None` when the stream ends between frames.
    pub fn next<R: Read>(&mut self, r: &mut R) -> io::Result<Option<&[u8]>> {
        loop {
            let have = self.end - self.start;
            if have >= LENGTH_PREFIX_LEN {
                let mut header = [0u8; LENGTH_PREFIX_LEN];
                header.copy_from_slice(&self.buf[self.start..self.start + LENGTH_PREFIX_LEN]);
                let len = u32::from_be_bytes(header) as usize;
                if len > DEFAULT_MAX_FRAME_LEN {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "frame of {len} bytes exceeds the {} limit",
                            size_label(DEFAULT_MAX_FRAME_LEN)
                        ),
                    ));
                }
                let whole = LENGTH_PREFIX_LEN + len;
                if have >= whole {
                    let from = self.start;
                    self.start = from + whole;
                    return Ok(Some(&self.buf[from..self.start]));
                }
                if whole > self.buf.len() {
                    // Grown only once the header is checked against the limit.
                    self.buf.resize(whole, 0);
                }
            }
            if self.start > 0 && (self.end == self.buf.len() || self.start == self.end) {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let n = loop {
                match r.read(&mut self.buf[self.end..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            if n == 0 {
                if self.start == self.end {
                    return Ok(None);
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "stream closed mid-frame",
                ));
            }
            self.end += n;
        }
    }
}

/// Calls `send` once per message until `count` are sent or `time` has
/// passed (the clock read every [`check_every`] messages of `size`);
/// returns (messages sent, stopped by time).
#[inline]
pub fn send_for(
    size: usize,
    count: u64,
    time: Duration,
    mut send: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<(u64, bool)> {
    let every = check_every(size);
    let deadline = Instant::now() + time;
    let mut sent = 0u64;
    while sent < count {
        if sent % every == 0 && Instant::now() >= deadline {
            return Ok((sent, true));
        }
        send()?;
        sent += 1;
    }
    Ok((sent, false))
}

/// `payload` with its 4-byte big-endian length in front.
pub fn framed(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(LENGTH_PREFIX_LEN + payload.len());
    push_framed(&mut out, payload);
    out
}

/// Appends `payload` with its length in front to `out`.
#[inline]
pub fn push_framed(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
}

/// The whole sequence stamp of a payload, if it is long enough to hold one.
pub fn sequence(payload: &[u8]) -> Option<u64> {
    let head: [u8; SEQUENCE_LEN] = payload.get(..SEQUENCE_LEN)?.try_into().ok()?;
    Some(u64::from_le_bytes(head))
}

/// Writes the low bytes of `seq` into the start of `payload` (up to
/// [`SEQUENCE_LEN`]).
#[inline]
pub fn stamp(payload: &mut [u8], seq: u64) {
    let n = payload.len().min(SEQUENCE_LEN);
    payload[..n].copy_from_slice(&seq.to_le_bytes()[..n]);
}

/// Whether `payload` starts with the stamp of `seq`.
#[inline]
pub fn stamped(payload: &[u8], seq: u64) -> bool {
    let n = payload.len().min(SEQUENCE_LEN);
    payload[..n] == seq.to_le_bytes()[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its bytes a few at a time, like a slow socket.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn frames_are_parsed_across_any_split() {
        let payloads: Vec<Vec<u8>> = vec![vec![], vec![1], vec![2; 300], vec![3; 600_000]];
        let wire: Vec<u8> = payloads.iter().flat_map(|p| framed(p)).collect();
        for chunk in [1, 3, 4, 5, 4096, usize::MAX] {
            let mut src = Trickle(&wire, chunk);
            let mut reader = FrameReader::new();
            for p in &payloads {
                let frame = reader.next(&mut src).unwrap().unwrap();
                assert_eq!(&frame[LENGTH_PREFIX_LEN..], &p[..], "chunk {chunk}");
            }
            assert!(reader.next(&mut src).unwrap().is_none());
        }
    }

    #[test]
    fn a_cut_frame_and_an_oversized_one_are_errors() {
        let wire = framed(b"hello");
        let mut reader = FrameReader::new();
        let err = reader.next(&mut Trickle(&wire[..6], 2)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let mut reader = FrameReader::new();
        let huge = (DEFAULT_MAX_FRAME_LEN as u32 + 1).to_be_bytes();
        let err = reader.next(&mut Trickle(&huge, 4)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        // The claim did not make the buffer grow.
        assert_eq!(reader.buf.len(), READ_BUF);
    }

    #[test]
    fn stamps_round_trip() {
        let mut p = vec![0u8; 4];
        stamp(&mut p, 0x0102_0304_0506);
        assert!(stamped(&p, 0x0102_0304_0506));
        assert!(!stamped(&p, 7));
    }
}
