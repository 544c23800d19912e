//! The ring over `tether` links: a thread accepts the left neighbour, a
//! thread keeps connecting to the right one (with back-off), and each link
//! has a reader; sends go straight out through the link's `Sender`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tether::{Link, Listener, Options, Sender};

use super::event::NetEvent;
use super::reader::{read_link, StopFlag};
use super::{Transport, POLL};
use crate::backoff::Backoff;
use crate::peer::{Output, Peer};
use crate::world::Side;

/// Longest wait for one connection attempt to the right neighbour.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// The ring transport.
pub struct Ring {
    rx: mpsc::Receiver<NetEvent>,
    tx: mpsc::Sender<NetEvent>,
    early: Option<NetEvent>,
    current: [Option<(u64, Sender)>; 2],
    stop: StopFlag,
    generations: Arc<AtomicU64>,
    threads: Vec<JoinHandle<()>>,
    listen_addr: String,
}

fn options() -> Options {
    // A ball is one small record: write each at once.
    Options::new().linger(Duration::ZERO)
}

impl Ring {
    /// Listens on `listen` for the left neighbour.
    pub fn bind(listen: &str) -> tether::Result<Ring> {
        let listener = Listener::bind_with(listen, &options())?;
        let listen_addr = listener.local_addr()?.to_string();
        let (tx, rx) = mpsc::channel();
        let stop: StopFlag = Arc::new(AtomicBool::new(false));
        let generations = Arc::new(AtomicU64::new(1));
        let (t, s, g) = (tx.clone(), stop.clone(), generations.clone());
        let threads = vec![thread::spawn(move || accept_left(&listener, &t, &s, &g))];
        Ok(Ring {
            rx,
            tx,
            early: None,
            current: [None, None],
            stop,
            generations,
            threads,
            listen_addr,
        })
    }

    /// Keeps a link to the right neighbour at `right`, reconnecting with
    /// back-off whenever it breaks.
    pub fn connect_right(&mut self, right: &str) -> tether::Result<()> {
        let endpoint: tether::Endpoint = right.parse()?;
        let (t, s, g) = (self.tx.clone(), self.stop.clone(), self.generations.clone());
        self.threads
            .push(thread::spawn(move || connect_right(&endpoint, &t, &s, &g)));
        Ok(())
    }

    fn handle(&mut self, peer: &mut Peer, event: NetEvent, now: Duration) {
        match event {
            NetEvent::Up {
                side,
                generation,
                endpoint,
                sender,
            } => {
                // A new left neighbour replaces the old link.
                if let Some((_, old)) = self.current[side.index()].take() {
                    let _ = old.shutdown(std::net::Shutdown::Both);
                    peer.link_down(side, "replaced by a new connection", now);
                }
                self.current[side.index()] = Some((generation, sender));
                let hello = peer.connected(side, &endpoint);
                self.send(peer, hello, now);
            }
            NetEvent::Message {
                side,
                generation,
                message,
            } => {
                if self.is_current(side, generation) {
                    for reply in peer.receive(side, message, now) {
                        self.send(peer, reply, now);
                    }
                }
            }
            NetEvent::Down {
                side,
                generation,
                reason,
            } => {
                if self.is_current(side, generation) {
                    self.current[side.index()] = None;
                    peer.link_down(side, &reason, now);
                }
            }
        }
    }

    fn is_current(&self, side: Side, generation: u64) -> bool {
        self.current[side.index()]
            .as_ref()
            .is_some_and(|(g, _)| *g == generation)
    }
}

impl Transport for Ring {
    fn pump(&mut self, peer: &mut Peer, now: Duration) {
        if let Some(event) = self.early.take() {
            self.handle(peer, event, now);
        }
        while let Ok(event) = self.rx.try_recv() {
            self.handle(peer, event, now);
        }
    }

    fn send(&mut self, peer: &mut Peer, out: Output, now: Duration) {
        let (side, message) = match out {
            Output::Send { side, message } => (side, message),
            Output::Close { side } => {
                // The peer gave up on the link (hung): its reader's later
                // report is of a link no longer current.
                if let Some((_, sender)) = self.current[side.index()].take() {
                    let _ = sender.shutdown(std::net::Shutdown::Both);
                }
                return;
            }
        };
        let Some((_, sender)) = &self.current[side.index()] else {
            // The link went between the step and now: the ball comes back.
            peer.link_down(side, "not connected", now);
            return;
        };
        if let Err(err) = sender.send(&message.encode()) {
            let _ = sender.shutdown(std::net::Shutdown::Both);
            self.current[side.index()] = None;
            peer.link_down(side, &err.to_string(), now);
        }
    }

    fn listen_addr(&self) -> String {
        self.listen_addr.clone()
    }

    fn wait(&mut self, timeout: Duration) {
        if self.early.is_none() {
            self.early = self.rx.recv_timeout(timeout).ok();
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for (_, s) in self.current.iter().flatten() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn accept_left(
    listener: &Listener,
    tx: &mpsc::Sender<NetEvent>,
    stop: &Arc<AtomicBool>,
    generations: &AtomicU64,
) {
    let mut readers: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        readers.retain(|r| !r.is_finished());
        let Ok(Some(link)) = listener.accept_timeout(POLL) else {
            continue;
        };
        let generation = generations.fetch_add(1, Ordering::Relaxed);
        let (tx, stop) = (tx.clone(), stop.clone());
        readers.push(thread::spawn(move || {
            read_link(link, Side::Left, generation, &tx, &stop)
        }));
    }
    for r in readers {
        let _ = r.join();
    }
}

fn connect_right(
    endpoint: &tether::Endpoint,
    tx: &mpsc::Sender<NetEvent>,
    stop: &AtomicBool,
    generations: &AtomicU64,
) {
    let start = Instant::now();
    let mut backoff = Backoff::default();
    while !stop.load(Ordering::Relaxed) {
        let now = start.elapsed();
        if !backoff.due(now) {
            thread::sleep(backoff.wait(now).min(POLL));
            continue;
        }
        if let Ok(link) = Link::connect_timeout(endpoint, CONNECT_TIMEOUT, &options()) {
            backoff.succeeded();
            let generation = generations.fetch_add(1, Ordering::Relaxed);
            read_link(link, Side::Right, generation, tx, stop);
        }
        backoff.failed(start.elapsed());
    }
}
