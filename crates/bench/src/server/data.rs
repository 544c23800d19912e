//! The data socket of one test, bound for the stack and transport the
//! client asked for, and the stream side of serving it: accept, then echo
//! or count (the datagram side is in `udp`).

use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tether::proto::limits::LENGTH_PREFIX_LEN;
use tether::{wait_readable, DatagramLink, Endpoint, Link, Listener, Options};

use super::stop::POLL;
use super::udp::Datagrams;
use crate::control::{Role, ServerResults, Stack, TestSettings, Transport, MAX_BUSY_POLL};
use crate::wire::{FrameReader, StdStream};

impl AsFd for DataSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            DataSocket::Tether(l) => l.as_fd(),
            DataSocket::StdTcp(l) => l.as_fd(),
            DataSocket::StdUnix(l, _) => l.as_fd(),
            DataSocket::Udp(d) => d.as_fd(),
        }
    }
}

/// A Unix socket path in the temp dir, removed when dropped.
pub(super) struct SocketPath(PathBuf);

impl SocketPath {
    fn new() -> SocketPath {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        SocketPath(
            std::env::temp_dir().join(format!("tether-bench-{}-{n}.sock", std::process::id())),
        )
    }
}

impl Drop for SocketPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The bound data socket of one test.
pub(super) enum DataSocket {
    /// A tether listener, TCP or Unix.
    Tether(Listener),
    /// A std TCP listener.
    StdTcp(TcpListener),
    /// The path is held for its `Drop`, which removes the file.
    StdUnix(UnixListener, #[allow(dead_code)] SocketPath),
    /// A UDP socket of either stack.
    Udp(Datagrams),
}

impl DataSocket {
    pub(super) fn bind(
        s: &TestSettings,
        ip: Option<IpAddr>,
    ) -> anyhow::Result<(DataSocket, Endpoint)> {
        let ip = ip.unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let any_port = SocketAddr::new(ip, 0);
        let mut options = Options::new().nodelay(s.nodelay);
        if let Some(ns) = s.busy_poll_ns {
            // A client's word, so capped: a spin holds a CPU.
            options = options.busy_poll(Duration::from_nanos(ns).min(MAX_BUSY_POLL));
        }
        Ok(match (s.stack, s.transport) {
            (Stack::Tether, Transport::Tcp) => {
                let l = Listener::bind_with(Endpoint::tcp(any_port), &options)?;
                let ep = l.local_addr()?;
                (DataSocket::Tether(l), ep)
            }
            (Stack::Tether, Transport::Unix) => {
                let path = SocketPath::new();
                let l = Listener::bind_with(Endpoint::Unix(path.0.clone()), &options)?;
                // The listener removes its own file.
                std::mem::forget(path);
                let ep = l.local_addr()?;
                (DataSocket::Tether(l), ep)
            }
            (Stack::Tether, Transport::Udp) => {
                let l = DatagramLink::bind(Endpoint::udp(any_port))?;
                let ep = l.local_addr()?;
                (DataSocket::Udp(Datagrams::Tether(l)), ep)
            }
            (Stack::Std, Transport::Tcp) => {
                let l = TcpListener::bind(any_port)?;
                let ep = Endpoint::tcp(l.local_addr()?);
                (DataSocket::StdTcp(l), ep)
            }
            (Stack::Std, Transport::Unix) => {
                let path = SocketPath::new();
                let l = UnixListener::bind(&path.0)
                    .with_context(|| format!("cannot listen on {}", path.0.display()))?;
                let ep = Endpoint::Unix(path.0.clone());
                (DataSocket::StdUnix(l, path), ep)
            }
            (Stack::Std, Transport::Udp) => {
                let l = UdpSocket::bind(any_port)?;
                let ep = Endpoint::udp(l.local_addr()?);
                (DataSocket::Udp(Datagrams::Std(l)), ep)
            }
        })
    }

    /// Accepts one stream connection, or `None` once `stop` is set.
    fn accept(&self, s: &TestSettings, stop: &AtomicBool) -> anyhow::Result<Option<Conn>> {
        loop {
            if wait_readable(self, POLL)? {
                return Ok(Some(match self {
                    DataSocket::Tether(l) => Conn::Tether(l.accept()?),
                    DataSocket::StdTcp(l) => {
                        let (t, _) = l.accept()?;
                        t.set_nodelay(s.nodelay)?;
                        Conn::Std(StdStream::Tcp(t), FrameReader::new())
                    }
                    DataSocket::StdUnix(l, _) => {
                        Conn::Std(StdStream::Unix(l.accept()?.0), FrameReader::new())
                    }
                    DataSocket::Udp(_) => bail!("no connections on a datagram socket"),
                }));
            }
            if stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
        }
    }

    /// Serves the test until its end: the client's close, or `stop`.
    pub(super) fn serve(
        self,
        s: &TestSettings,
        stop: &AtomicBool,
    ) -> anyhow::Result<ServerResults> {
        let mut r = ServerResults::default();
        if let DataSocket::Udp(d) = self {
            return match s.role {
                Role::Echo => d.echo(stop),
                Role::Sink => d.sink(s, stop),
                Role::ConnectEcho => bail!("connect-echo needs a stream transport"),
            };
        }
        match s.role {
            Role::Echo | Role::Sink => {
                let Some(mut conn) = self.accept(s, stop)? else {
                    return Ok(r);
                };
                r.connections = 1;
                if s.role == Role::Echo {
                    conn.echo(&mut r, u64::MAX)?;
                } else {
                    conn.sink(&mut r, s.owned_recv)?;
                }
            }
            Role::ConnectEcho => {
                while let Some(mut conn) = self.accept(s, stop)? {
                    r.connections += 1;
                    // Answers one message, then closes first.
                    conn.echo(&mut r, 1)?;
                }
            }
        }
        Ok(r)
    }
}

/// One accepted stream connection.
enum Conn {
    Tether(Link),
    Std(StdStream, FrameReader),
}

impl Conn {
    /// Sends back each message, up to `limit` of them or the client's close.
    fn echo(&mut self, r: &mut ServerResults, limit: u64) -> anyhow::Result<()> {
        let mut answered = 0;
        while answered < limit {
            match self {
                Conn::Tether(link) => match link.recv() {
                    Ok(m) => {
                        link.send(&m)?;
                        r.bytes += m.len() as u64;
                    }
                    Err(e) if e.is_disconnect() => return Ok(()),
                    Err(e) => return Err(e.into()),
                },
                Conn::Std(stream, reader) => match reader.next(stream)? {
                    Some(frame) => {
                        // The frame as it came, header included.
                        stream.write_all(frame)?;
                        r.bytes += (frame.len() - LENGTH_PREFIX_LEN) as u64;
                    }
                    None => return Ok(()),
                },
            }
            answered += 1;
            r.messages += 1;
        }
        Ok(())
    }

    /// Counts messages until the end of the stream; the clock starts at the
    /// first whole message. `owned`: a tether link hands out one `Bytes`
    /// per message (`recv`) instead of borrowing them (`recv_each`).
    fn sink(&mut self, r: &mut ServerResults, owned: bool) -> anyhow::Result<()> {
        let mut first: Option<Instant> = None;
        let (mut n, mut bytes) = (0u64, 0u64);
        match self {
            // Borrowing every buffered message at once, as the std reader
            // parses its buffer: no allocation or refcount per message.
            Conn::Tether(link) if owned => loop {
                match link.recv() {
                    Ok(m) => {
                        if n == 0 {
                            first = Some(Instant::now());
                        }
                        n += 1;
                        bytes += m.len() as u64;
                    }
                    Err(e) if e.is_disconnect() => break,
                    Err(e) => return Err(e.into()),
                }
            },
            Conn::Tether(link) => loop {
                let got = link.recv_each(usize::MAX, None, |m| bytes += m.len() as u64);
                match got {
                    Ok(got) => {
                        if n == 0 {
                            first = Some(Instant::now());
                        }
                        n += got as u64;
                    }
                    Err(e) if e.is_disconnect() => break,
                    Err(e) => return Err(e.into()),
                }
            },
            Conn::Std(stream, reader) => {
                while let Some(frame) = reader.next(stream)? {
                    if n == 0 {
                        first = Some(Instant::now());
                    }
                    n += 1;
                    bytes += (frame.len() - LENGTH_PREFIX_LEN) as u64;
                }
            }
        }
        r.elapsed_ns = first.map_or(0, |f| f.elapsed().as_nanos() as u64);
        r.messages = n;
        r.bytes = bytes;
        Ok(())
    }
}
