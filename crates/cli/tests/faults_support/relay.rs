//! A user-space UDP relay that reorders: this kernel has no netem, so
//! datagrams bound for the listener's namespace are turned (iptables DNAT)
//! to this relay, which forwards each to the bench sink, sending every
//! `SWAP_EVERY`th one after the datagram that follows it. It counts what it
//! made late exactly as the bench sink counts "reordered": a datagram whose
//! sequence number is below the highest already forwarded.

use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::{Net, B_ADDR};

/// One datagram in this many is held back behind the next one.
pub const SWAP_EVERY: u64 = 50;

/// The relay waits while the sink's socket holds more than this, so that
/// it never overflows the sink (whose buffer is the default ~200 KiB).
const SINK_HIGH: u64 = 64 << 10;

/// A running relay; stopped and joined on drop.
pub struct Relay {
    stop: Arc<AtomicBool>,
    /// Datagrams forwarded.
    pub forwarded: Arc<AtomicU64>,
    /// Datagrams forwarded after a higher sequence number of their stream.
    pub reordered: Arc<AtomicU64>,
    /// Datagrams the kernel dropped at the relay's socket (its buffer full:
    /// the relay, a debug build, is slower than an unpaced sender), known
    /// once the relay stopped. They are dropped before any reordering, and
    /// keep the relay at most a buffer behind the sender.
    pub overflowed: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Net {
    /// Starts a relay in namespace `b` and turns every UDP datagram that
    /// arrives there over the veth pair to it.
    pub fn reorder_udp(&self) -> Relay {
        let ns_path = format!("/var/run/netns/{}", self.b);
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let forwarded = Arc::new(AtomicU64::new(0));
        let reordered = Arc::new(AtomicU64::new(0));
        let overflowed = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, forwarded, reordered) = (stop.clone(), forwarded.clone(), reordered.clone());
            let overflowed = overflowed.clone();
            std::thread::spawn(move || {
                enter_netns(&ns_path);
                let socket = UdpSocket::bind((B_ADDR, 0)).unwrap();
                socket
                    .set_read_timeout(Some(Duration::from_millis(5)))
                    .unwrap();
                port_tx.send(socket.local_addr().unwrap().port()).unwrap();
                let mut state = Forwarding::default();
                let mut buf = vec![0u8; 65536];
                while !stop.load(Ordering::Relaxed) {
                    match socket.recv_from(&mut buf) {
                        Ok((n, from)) => state.take(&socket, &buf[..n], from),
                        // Quiet: a held datagram waits for no successor.
                        Err(_) => state.release(&socket),
                    }
                    forwarded.store(state.forwarded, Ordering::Relaxed);
                    reordered.store(state.reordered, Ordering::Relaxed);
                }
                let own = socket.local_addr().unwrap().port();
                overflowed.store(socket_drops(own).unwrap_or(0), Ordering::Relaxed);
            })
        };
        let port = port_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let to = format!("{B_ADDR}:{port}");
        self.exec(
            &self.b,
            "iptables",
            &[
                "-t",
                "nat",
                "-A",
                "PREROUTING",
                "!",
                "-i",
                "lo",
                "-p",
                "udp",
                "-j",
                "DNAT",
                "--to-destination",
                &to,
            ],
        );
        Relay {
            stop,
            forwarded,
            reordered,
            overflowed,
            thread: Some(thread),
        }
    }
}

impl Relay {
    /// Stops the relay; its counts are final from then on.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits (a bounded while) until the socket bound to `port` holds at
/// most [`SINK_HIGH`] bytes.
fn wait_for_room(port: u16) {
    for _ in 0..1000 {
        let queued = udp_table()
            .into_iter()
            .find(|s| s.port == port)
            .map_or(0, |s| s.queued);
        if queued <= SINK_HIGH {
            return;
        }
        std::thread::sleep(Duration::from_micros(20));
    }
}

/// Moves the calling thread (only) into the network namespace at `path`.
fn enter_netns(path: &str) {
    let ns = std::fs::File::open(path).unwrap();
    // SAFETY: a valid namespace fd; setns changes only this thread.
    let r = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(r, 0, "setns {path}: {}", std::io::Error::last_os_error());
}

/// The relay's state: the stream it forwards, what it holds back, counts.
#[derive(Default)]
struct Forwarding {
    source: Option<SocketAddr>,
    target: Option<SocketAddr>,
    highest: Option<u64>,
    held: Option<Vec<u8>>,
    seen: u64,
    forwarded: u64,
    reordered: u64,
}

impl Forwarding {
    /// One datagram from `from`: a new sender is a new bench point, whose
    /// sink socket is looked up afresh.
    fn take(&mut self, socket: &UdpSocket, datagram: &[u8], from: SocketAddr) {
        if self.source != Some(from) {
            self.release(socket);
            self.source = Some(from);
            self.highest = None;
            let own = socket.local_addr().unwrap().port();
            self.target = newest_udp_port(own).map(|p| SocketAddr::from(([10, 203, 0, 2], p)));
        }
        self.seen += 1;
        if self.held.is_none() && self.seen % SWAP_EVERY == 0 {
            self.held = Some(datagram.to_vec());
            return;
        }
        self.forward(socket, datagram);
        self.release(socket);
    }

    /// Sends the held datagram, if any.
    fn release(&mut self, socket: &UdpSocket) {
        if let Some(held) = self.held.take() {
            self.forward(socket, &held);
        }
    }

    fn forward(&mut self, socket: &UdpSocket, datagram: &[u8]) {
        let Some(target) = self.target else { return };
        let seq = datagram
            .get(..8)
            .map(|h| u64::from_le_bytes(h.try_into().unwrap()));
        if self.forwarded % 64 == 0 {
            wait_for_room(target.port());
        }
        if socket.send_to(datagram, target).is_err() {
            return;
        }
        self.forwarded += 1;
        if let Some(seq) = seq {
            if self.highest.is_some_and(|h| seq < h) {
                self.reordered += 1;
            }
            self.highest = Some(self.highest.map_or(seq, |h| h.max(seq)));
        }
    }
}

/// The kernel's drop count of the UDP socket bound to local `port` in this
/// thread's namespace.
fn socket_drops(port: u16) -> Option<u64> {
    udp_table()
        .into_iter()
        .find(|s| s.port == port)
        .map(|s| s.drops)
}

/// A row of `/proc/net/udp`.
struct UdpSocketRow {
    inode: u64,
    port: u16,
    /// Bytes waiting in its receive queue.
    queued: u64,
    drops: u64,
}

/// Every UDP socket in this thread's namespace.
fn udp_table() -> Vec<UdpSocketRow> {
    let table = std::fs::read_to_string("/proc/thread-self/net/udp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some(UdpSocketRow {
                port: u16::from_str_radix(f.get(1)?.rsplit(':').next()?, 16).ok()?,
                queued: u64::from_str_radix(f.get(4)?.rsplit(':').next()?, 16).ok()?,
                inode: f.get(9)?.parse().ok()?,
                drops: f.last()?.parse().ok()?,
            })
        })
        .collect()
}

/// The local UDP port of the newest socket (highest inode) in this
/// thread's namespace, other than `own`: the bench sink of the point.
fn newest_udp_port(own: u16) -> Option<u16> {
    udp_table()
        .into_iter()
        .filter(|s| s.port != own)
        .max_by_key(|s| s.inode)
        .map(|s| s.port)
}
