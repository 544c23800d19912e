//! Experiment 5, the baseline: the same round trips and bulk transfers over
//! plain `std::net` sockets, with no tether code on either end. Frames are
//! the same 4-byte big-endian length prefix, parsed by hand from a big read
//! buffer: what a careful program without tether would write.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tether::Endpoint;

use super::latency::Pinger;
use super::report::RateMode;

/// Bytes asked of the kernel per read.
const READ_BUF: usize = 256 * 1024;
/// Largest frame the hand parser accepts, as tether's default limit.
const MAX_FRAME: usize = 16 * 1024 * 1024;
/// The batch flush threshold, shared with tether's batch mode.
pub const BATCH_BYTES: usize = 64 * 1024;

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

    /// The next whole frame, its 4-byte header included, reading from `r`
    /// as needed; `None` when the stream ends between frames.
    pub fn next<R: Read>(&mut self, r: &mut R) -> io::Result<Option<&[u8]>> {
        loop {
            let have = self.end - self.start;
            if have >= 4 {
                let mut header = [0u8; 4];
                header.copy_from_slice(&self.buf[self.start..self.start + 4]);
                let len = u32::from_be_bytes(header) as usize;
                if len > MAX_FRAME {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("frame of {len} bytes exceeds the 16 MiB limit"),
                    ));
                }
                if have >= 4 + len {
                    let from = self.start;
                    self.start = from + 4 + len;
                    return Ok(Some(&self.buf[from..self.start]));
                }
                if 4 + len > self.buf.len() {
                    // Grown only once the header is checked against the limit.
                    self.buf.resize(4 + len, 0);
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

/// `payload` with its 4-byte big-endian length in front.
pub fn framed(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Round trips over a std stream: one `write_all` of the framed message,
/// then parse the reply.
pub struct StdStreamPinger {
    stream: StdStream,
    frame: Vec<u8>,
    reader: FrameReader,
}

impl StdStreamPinger {
    /// Connects.
    pub fn connect(endpoint: &Endpoint, nodelay: bool, size: usize) -> anyhow::Result<Self> {
        Ok(Self {
            stream: StdStream::connect(endpoint, nodelay)?,
            frame: framed(&vec![0x5a; size]),
            reader: FrameReader::new(),
        })
    }
}

impl Pinger for StdStreamPinger {
    fn ping(&mut self, _seq: u64) -> anyhow::Result<bool> {
        self.stream.write_all(&self.frame)?;
        match self.reader.next(&mut self.stream)? {
            Some(_) => Ok(true),
            None => bail!("the server closed the connection"),
        }
    }
}

/// Round trips over a connected std UDP socket; a datagram carries the
/// sequence number in its first bytes, so a late answer is not mistaken for
/// the current one.
pub struct StdUdpPinger {
    socket: UdpSocket,
    payload: Vec<u8>,
    buf: Vec<u8>,
}

impl StdUdpPinger {
    /// Binds an ephemeral port and connects it to `endpoint`.
    pub fn connect(endpoint: &Endpoint, size: usize) -> anyhow::Result<Self> {
        let addrs = endpoint.socket_addrs()?;
        let Some(addr) = addrs.first() else {
            bail!("{endpoint} resolves to no address")
        };
        let local: std::net::SocketAddr = if addr.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(addr)?;
        // Set once: a receive then costs one syscall, as it would in a
        // program written for speed.
        socket.set_read_timeout(Some(super::latency::UDP_TIMEOUT))?;
        Ok(Self {
            socket,
            payload: vec![0x5a; size],
            buf: vec![0; 65_536],
        })
    }
}

impl Pinger for StdUdpPinger {
    fn ping(&mut self, seq: u64) -> anyhow::Result<bool> {
        stamp(&mut self.payload, seq);
        self.socket.send(&self.payload)?;
        // Late answers to earlier rounds are skipped; each wait is bounded
        // by the socket's read timeout, and the skipping by the count.
        for _ in 0..64 {
            match self.socket.recv(&mut self.buf) {
                Ok(n) if stamped(&self.buf[..n], seq) => return Ok(true),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(false)
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(false)
    }
}

/// Writes the low bytes of `seq` into the start of `payload` (up to 8).
pub fn stamp(payload: &mut [u8], seq: u64) {
    let n = payload.len().min(8);
    payload[..n].copy_from_slice(&seq.to_le_bytes()[..n]);
}

/// Whether `payload` starts with the stamp of `seq`.
pub fn stamped(payload: &[u8], seq: u64) -> bool {
    let n = payload.len().min(8);
    payload[..n] == seq.to_le_bytes()[..n]
}

/// Sends `count` messages of `size` bytes over a std stream, stopping early
/// at `deadline`; returns (messages sent, stopped by time).
pub fn send_stream(
    endpoint: &Endpoint,
    mode: RateMode,
    nodelay: bool,
    size: usize,
    count: u64,
    time: Duration,
) -> anyhow::Result<(u64, bool)> {
    let mut stream = StdStream::connect(endpoint, nodelay)?;
    let payload = vec![0x5a; size];
    let frame = framed(&payload);
    let check_every = super::rate::check_every(size);
    let deadline = Instant::now() + time;
    let mut sent = 0u64;
    let mut capped = false;
    let mut batch: Vec<u8> = Vec::with_capacity(BATCH_BYTES + frame.len());
    while sent < count {
        if sent % check_every == 0 && Instant::now() >= deadline {
            capped = true;
            break;
        }
        match mode {
            RateMode::StdBatch => {
                // Framed into the buffer message by message, as tether's
                // feed does, so both pay for the copy.
                batch.extend_from_slice(&(payload.len() as u32).to_be_bytes());
                batch.extend_from_slice(&payload);
                if batch.len() >= BATCH_BYTES {
                    stream.write_all(&batch)?;
                    batch.clear();
                }
            }
            _ => stream.write_all(&frame)?,
        }
        sent += 1;
    }
    stream.write_all(&batch)?;
    stream.shutdown_write()?;
    Ok((sent, capped))
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
                assert_eq!(&frame[4..], &p[..], "chunk {chunk}");
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
        let huge = (MAX_FRAME as u32 + 1).to_be_bytes();
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
