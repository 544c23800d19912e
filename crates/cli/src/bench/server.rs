//! The bench server: answers the control exchange and serves the data
//! socket of each test (echo, sink, connect-echo). `tether bench --server`
//! runs it on the given endpoint; a plain `tether bench` runs the very same
//! code in a thread on 127.0.0.1, port 0.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tether::{DatagramLink, Endpoint, Link, Listener, Options};

use super::baseline::{FrameReader, StdStream};
use super::control::{
    control_options, parse_json, send_json, Reply, Request, Role, ServerResults, Stack,
    TestSettings, Transport, PROTOCOL,
};

/// How often blocked waits look at the stop flag.
const POLL: Duration = Duration::from_millis(20);
/// Bench clients served at once; more wait in the listen backlog.
const MAX_CLIENTS: usize = 32;
/// The most datagrams a UDP sink tracks (a bitmap of 8 MiB).
const MAX_TRACKED_DATAGRAMS: u64 = 64 * 1024 * 1024;
/// After `done`, a UDP sink keeps reading until the socket is quiet this
/// long (at most `UDP_DRAIN_MAX`).
const UDP_QUIET: Duration = Duration::from_millis(30);
const UDP_DRAIN_MAX: Duration = Duration::from_millis(500);

/// Serves bench clients until `stop` is set; one thread per client.
/// `log` gets one line per client connecting and leaving.
pub fn serve(
    listener: &Listener,
    stop: &Arc<AtomicBool>,
    allow_pinning: bool,
    log: impl Fn(&str) + Send + Sync + Clone + 'static,
) -> anyhow::Result<()> {
    let active = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Relaxed) {
        if active.load(Ordering::Relaxed) >= MAX_CLIENTS {
            std::thread::sleep(POLL);
            continue;
        }
        let Some(link) = listener
            .accept_timeout(POLL)
            .context("cannot accept a bench client")?
        else {
            continue;
        };
        let peer = link
            .peer_addr()
            .map(|p| p.to_string())
            .unwrap_or_else(|_| "?".into());
        active.fetch_add(1, Ordering::Relaxed);
        let (stop, active, log) = (Arc::clone(stop), Arc::clone(&active), log.clone());
        let spawned = std::thread::Builder::new()
            .name("bench-client".into())
            .spawn(move || {
                log(&format!("client {peer} connected"));
                match handle_client(link, &stop, allow_pinning) {
                    Ok(()) => log(&format!("client {peer} done")),
                    Err(e) => log(&format!("client {peer}: {e:#}")),
                }
                active.fetch_sub(1, Ordering::Relaxed);
            });
        if let Err(e) = spawned {
            return Err(e).context("cannot start a thread for a bench client");
        }
    }
    Ok(())
}

/// A server in a thread of this process, on 127.0.0.1 port 0.
#[derive(Debug)]
pub struct Embedded {
    endpoint: Endpoint,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Embedded {
    /// Binds and starts serving.
    pub fn start() -> anyhow::Result<Embedded> {
        let listener = Listener::bind_with("tcp://127.0.0.1:0", &control_options())
            .context("cannot start the embedded bench server")?;
        let endpoint = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || serve(&listener, &flag, true, |_| {}))?;
        Ok(Embedded {
            endpoint,
            stop,
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One client: tests one after another until it closes.
fn handle_client(
    mut link: Link,
    stop: &Arc<AtomicBool>,
    allow_pinning: bool,
) -> anyhow::Result<()> {
    // The control link has no linger thread to wake: every reply follows a
    // request.
    let local_ip = match link.local_addr()? {
        Endpoint::Tcp { .. } => link
            .local_addr()?
            .socket_addrs()
            .ok()
            .and_then(|a| a.first().map(SocketAddr::ip)),
        _ => None,
    };
    let mut hello_done = false;
    loop {
        let msg = match link.recv_timeout(POLL) {
            Ok(Some(m)) => m,
            Ok(None) if stop.load(Ordering::Relaxed) => return Ok(()),
            Ok(None) => continue,
            Err(e) if e.is_disconnect() => return Ok(()),
            Err(e) => return Err(e).context("control link"),
        };
        let request: Request = match parse_json(&msg) {
            Ok(r) => r,
            Err(e) => {
                send_json(&mut link, &error_reply(&e))?;
                return Err(e);
            }
        };
        match request {
            Request::Hello { protocol, .. } => {
                if protocol != PROTOCOL {
                    send_json(
                        &mut link,
                        &Reply::Error {
                            message: format!(
                                "this server speaks control protocol {PROTOCOL}, not {protocol}"
                            ),
                        },
                    )?;
                    return Ok(());
                }
                hello_done = true;
                send_json(
                    &mut link,
                    &Reply::Hello {
                        protocol: PROTOCOL,
                        version: env!("CARGO_PKG_VERSION").to_owned(),
                    },
                )?;
            }
            Request::Settings(mut settings) if hello_done => {
                if !allow_pinning {
                    settings.cpu = None;
                }
                run_test(&mut link, &settings, local_ip)?
            }
            other => {
                let message = format!("unexpected {other:?} here");
                send_json(&mut link, &Reply::Error { message })?;
            }
        }
    }
}

fn error_reply(e: &anyhow::Error) -> Reply {
    Reply::Error {
        message: format!("{e:#}"),
    }
}

/// Waits for the next control message, or `None` if the client left.
fn next_request(link: &mut Link) -> anyhow::Result<Option<Request>> {
    match link.recv() {
        Ok(m) => match parse_json(&m) {
            Ok(r) => Ok(Some(r)),
            Err(e) => {
                // Told why, then closed: the exchange cannot be trusted.
                send_json(link, &error_reply(&e))?;
                Err(e)
            }
        },
        Err(e) if e.is_disconnect() => Ok(None),
        Err(e) => Err(e).context("control link"),
    }
}

/// settings -> ready -> run -> ... -> done -> results.
fn run_test(link: &mut Link, settings: &TestSettings, ip: Option<IpAddr>) -> anyhow::Result<()> {
    let (socket, endpoint) = match DataSocket::bind(settings, ip) {
        Ok(s) => s,
        Err(e) => return send_json(link, &error_reply(&e)),
    };
    send_json(
        link,
        &Reply::Ready {
            endpoint: endpoint.to_string(),
        },
    )?;
    match next_request(link)? {
        Some(Request::Run) => {}
        Some(other) => {
            let message = format!("expected run, got {other:?}");
            return send_json(link, &Reply::Error { message });
        }
        None => return Ok(()),
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let settings = *settings;
    let worker = std::thread::Builder::new()
        .name("bench-data".into())
        .spawn(move || {
            if let Some(cpu) = settings.cpu {
                super::pin_thread(cpu);
            }
            socket.serve(&settings, &flag)
        })?;
    // The client's traffic runs now; its `done` (or its leaving) ends it.
    let next = next_request(link);
    stop.store(true, Ordering::Relaxed);
    let outcome = match worker.join() {
        Ok(r) => r,
        Err(_) => Err(anyhow::anyhow!("the data thread panicked")),
    };
    match next? {
        Some(Request::Done) => {}
        Some(other) => {
            let message = format!("expected done, got {other:?}");
            return send_json(link, &Reply::Error { message });
        }
        None => return Ok(()),
    }
    match outcome {
        Ok(results) => send_json(link, &Reply::Results(results)),
        Err(e) => send_json(link, &error_reply(&e)),
    }
}

/// A Unix socket path in the temp dir, removed when dropped.
struct SocketPath(PathBuf);

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
enum DataSocket {
    Tether(Listener),
    StdTcp(TcpListener),
    /// The path is held for its `Drop`, which removes the file.
    StdUnix(UnixListener, #[allow(dead_code)] SocketPath),
    TetherUdp(DatagramLink),
    StdUdp(UdpSocket),
}

impl DataSocket {
    fn bind(s: &TestSettings, ip: Option<IpAddr>) -> anyhow::Result<(DataSocket, Endpoint)> {
        let ip = ip.unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let any_port = SocketAddr::new(ip, 0);
        let options = Options::new().nodelay(s.nodelay);
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
                (DataSocket::TetherUdp(l), ep)
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
                (DataSocket::StdUdp(l), ep)
            }
        })
    }

    fn fd(&self) -> RawFd {
        match self {
            DataSocket::Tether(l) => l.as_raw_fd(),
            DataSocket::StdTcp(l) => l.as_raw_fd(),
            DataSocket::StdUnix(l, _) => l.as_raw_fd(),
            DataSocket::TetherUdp(l) => l.as_raw_fd(),
            DataSocket::StdUdp(l) => l.as_raw_fd(),
        }
    }

    /// Accepts one stream connection, or `None` once `stop` is set.
    fn accept(&self, s: &TestSettings, stop: &AtomicBool) -> anyhow::Result<Option<Conn>> {
        loop {
            if readable(self.fd(), POLL)? {
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
                    DataSocket::TetherUdp(_) | DataSocket::StdUdp(_) => {
                        bail!("no connections on a datagram socket")
                    }
                }));
            }
            if stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
        }
    }

    /// Serves the test until its end: the client's close, or `stop`.
    fn serve(self, s: &TestSettings, stop: &AtomicBool) -> anyhow::Result<ServerResults> {
        let mut r = ServerResults::default();
        if s.transport == Transport::Udp {
            return match s.role {
                Role::Echo => self.udp_echo(stop),
                Role::Sink => self.udp_sink(s, stop),
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
                    conn.sink(&mut r)?;
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

    /// Both stacks wait the same way: one blocking receive with
    /// `SO_RCVTIMEO`, so the stop flag is seen within [`POLL`].
    fn set_udp_timeout(&self) -> io::Result<()> {
        match self {
            DataSocket::TetherUdp(l) => l.socket().set_read_timeout(Some(POLL)),
            DataSocket::StdUdp(s) => s.set_read_timeout(Some(POLL)),
            _ => Err(io::ErrorKind::Unsupported.into()),
        }
    }

    /// One datagram (into `buf` for std, as tether's own `Bytes` for
    /// tether), or `None` when the wait timed out.
    fn udp_recv(&mut self, buf: &mut [u8]) -> anyhow::Result<Option<(Datagram, SocketAddr)>> {
        let got = match self {
            DataSocket::TetherUdp(l) => match l.recv_from() {
                Ok((m, from)) => Ok((Datagram::Tether(m), from)),
                // A timeout of SO_RCVTIMEO comes as EAGAIN, which tether
                // names WouldBlock.
                Err(tether::Error::WouldBlock) => return Ok(None),
                Err(tether::Error::Io(e)) => Err(e),
                Err(e) => return Err(e.into()),
            },
            DataSocket::StdUdp(s) => s.recv_from(buf).map(|(n, from)| (Datagram::Std(n), from)),
            _ => return Err(anyhow::anyhow!("not a datagram socket")),
        };
        match got {
            Ok(got) => Ok(Some(got)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn udp_echo(mut self, stop: &AtomicBool) -> anyhow::Result<ServerResults> {
        let mut r = ServerResults::default();
        let mut buf = vec![0u8; 65_536];
        self.set_udp_timeout()?;
        while !stop.load(Ordering::Relaxed) {
            let Some((d, from)) = self.udp_recv(&mut buf)? else {
                continue;
            };
            let n = match (&mut self, &d) {
                (DataSocket::TetherUdp(l), Datagram::Tether(m)) => {
                    l.send_to(m, from)?;
                    m.len()
                }
                (DataSocket::StdUdp(s), Datagram::Std(n)) => {
                    s.send_to(&buf[..*n], from)?;
                    *n
                }
                _ => 0,
            };
            r.messages += 1;
            r.bytes += n as u64;
        }
        Ok(r)
    }

    fn udp_sink(mut self, s: &TestSettings, stop: &AtomicBool) -> anyhow::Result<ServerResults> {
        let mut r = ServerResults::default();
        let tracked = s.max_datagrams.min(MAX_TRACKED_DATAGRAMS);
        let mut seen = vec![0u64; tracked.div_ceil(64) as usize];
        let mut highest: Option<u64> = None;
        let mut first: Option<Instant> = None;
        let mut last = Instant::now();
        let mut stopped_at: Option<Instant> = None;
        let mut buf = vec![0u8; 65_536];
        self.set_udp_timeout()?;
        loop {
            let got = self.udp_recv(&mut buf)?.map(|(d, _)| {
                let bytes: &[u8] = match &d {
                    Datagram::Tether(m) => m,
                    Datagram::Std(n) => &buf[..*n],
                };
                head8(bytes).map(|h| (h, bytes.len()))
            });
            let now = Instant::now();
            match got {
                Some(Some((head, len))) => {
                    let seq = u64::from_le_bytes(head);
                    let (word, bit) = ((seq / 64) as usize, 1u64 << (seq % 64));
                    if seq >= tracked {
                        r.invalid += 1;
                    } else if seen[word] & bit != 0 {
                        r.duplicates += 1;
                    } else {
                        seen[word] |= bit;
                        if highest.is_some_and(|h| seq < h) {
                            r.reordered += 1;
                        }
                        highest = Some(highest.map_or(seq, |h| h.max(seq)));
                        r.messages += 1;
                        r.bytes += len as u64;
                        first.get_or_insert(now);
                        last = now;
                    }
                }
                Some(None) => r.invalid += 1,
                None => {}
            }
            if stop.load(Ordering::Relaxed) {
                let since = *stopped_at.get_or_insert(now);
                let quiet = now.duration_since(last.max(since)) >= UDP_QUIET;
                if quiet || now.duration_since(since) >= UDP_DRAIN_MAX {
                    break;
                }
            }
        }
        r.elapsed_ns = first.map_or(0, |f| last.duration_since(f).as_nanos() as u64);
        Ok(r)
    }
}

/// A received datagram: tether's own buffer, or a length in the caller's.
enum Datagram {
    Tether(tether::Bytes),
    Std(usize),
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
                        r.bytes += frame.len() as u64 - 4;
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
    /// first whole message.
    fn sink(&mut self, r: &mut ServerResults) -> anyhow::Result<()> {
        let mut first: Option<Instant> = None;
        let (mut n, mut bytes) = (0u64, 0u64);
        match self {
            Conn::Tether(link) => loop {
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
            Conn::Std(stream, reader) => {
                while let Some(frame) = reader.next(stream)? {
                    if n == 0 {
                        first = Some(Instant::now());
                    }
                    n += 1;
                    bytes += frame.len() as u64 - 4;
                }
            }
        }
        r.elapsed_ns = first.map_or(0, |f| f.elapsed().as_nanos() as u64);
        r.messages = n;
        r.bytes = bytes;
        Ok(())
    }
}

/// The sequence number field of a datagram, if it is long enough.
fn head8(datagram: &[u8]) -> Option<[u8; 8]> {
    datagram.get(..8)?.try_into().ok()
}

/// Whether `fd` becomes readable within `timeout`.
fn readable(fd: RawFd, timeout: Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: one valid pollfd for the duration of the call.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    match n {
        n if n > 0 => Ok(true),
        0 => Ok(false),
        _ => {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}
