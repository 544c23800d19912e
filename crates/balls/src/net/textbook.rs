//! The textbook's transport: one TCP connection per ball, the ball as a
//! line of text (see [`crate::textbook`]). A listener thread reads arriving
//! balls, a sender thread delivers leaving ones; a ball whose connection
//! fails comes back.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::Transport;
use crate::peer::{Output, Peer};
use crate::textbook::{TextBall, MAX_LEN};
use crate::wire::Message;
use crate::world::Side;

/// How long a sender may take to send its ball and close.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Connections read at the same time; more wait in the kernel's backlog.
const MAX_READERS: usize = 16;
/// How often the listener looks for a connection (it is non-blocking so
/// that it can also see the stop flag).
const ACCEPT_POLL: Duration = Duration::from_millis(2);

enum TbEvent {
    Ball(TextBall),
    Refused(String),
    Delivered(u64),
    Failed(u64, String),
}

/// The textbook transport for one side.
pub struct Textbook {
    side: Side,
    rx: mpsc::Receiver<TbEvent>,
    out: Option<mpsc::Sender<(u64, String)>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    listen_addr: String,
    target: String,
}

/// `tcp://host:port` or `host:port` as socket addresses.
pub fn socket_addr(endpoint: &str) -> std::io::Result<SocketAddr> {
    let bare = endpoint.strip_prefix("tcp://").unwrap_or(endpoint);
    bare.to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no address for {bare}"),
        )
    })
}

impl Textbook {
    /// Listens on `listen` for balls that enter over `side`, and sends
    /// balls leaving over `side` to `target`.
    pub fn start(side: Side, listen: &str, target: &str) -> std::io::Result<Textbook> {
        let listener = TcpListener::bind(socket_addr(listen)?)?;
        listener.set_nonblocking(true)?;
        let listen_addr = format!("tcp://{}", listener.local_addr()?);
        let target_addr = socket_addr(target)?;
        let (tx, rx) = mpsc::channel();
        let (out_tx, out_rx) = mpsc::channel::<(u64, String)>();
        let stop = Arc::new(AtomicBool::new(false));
        let (t, s) = (tx.clone(), stop.clone());
        let mut threads = vec![thread::spawn(move || accept(&listener, &t, &s))];
        threads.push(thread::spawn(move || {
            for (id, text) in out_rx {
                let ev = match deliver(target_addr, &text) {
                    Ok(()) => TbEvent::Delivered(id),
                    Err(err) => TbEvent::Failed(id, err.to_string()),
                };
                if tx.send(ev).is_err() {
                    break;
                }
            }
        }));
        Ok(Textbook {
            side,
            rx,
            out: Some(out_tx),
            stop,
            threads,
            listen_addr,
            target: format!("tcp://{target_addr}"),
        })
    }

    /// Where balls leaving over the side go.
    pub fn target(&self) -> &str {
        &self.target
    }
}

impl Transport for Textbook {
    fn pump(&mut self, peer: &mut Peer, now: Duration) {
        while let Ok(ev) = self.rx.try_recv() {
            match ev {
                TbEvent::Ball(text) => {
                    // The textbook's programs expect no answer: the ball is
                    // ours once read.
                    let ball = text.to_ball(peer.new_ball_id());
                    peer.take(self.side, 0.0, ball, now);
                }
                TbEvent::Refused(reason) => peer.refused(None, &reason, now),
                TbEvent::Delivered(id) => peer.acked(self.side, id, now),
                TbEvent::Failed(id, reason) => peer.send_failed(self.side, id, &reason, now),
            }
        }
    }

    fn send(&mut self, peer: &mut Peer, out: Output, now: Duration) {
        let Output::Send {
            side,
            message: Message::Ball {
                depth, mut ball, ..
            },
        } = out
        else {
            return;
        };
        ball.x = match side {
            Side::Left => -depth,
            Side::Right => peer.world.width + depth,
        };
        let text = TextBall::from_ball(&ball).format();
        let queued = self
            .out
            .as_ref()
            .is_some_and(|q| q.send((ball.id, text)).is_ok());
        if !queued {
            peer.send_failed(side, ball.id, "sender thread gone", now);
        }
    }

    fn listen_addr(&self) -> String {
        self.listen_addr.clone()
    }
}

impl Drop for Textbook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.out = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn deliver(target: SocketAddr, text: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect_timeout(&target, Duration::from_secs(1))?;
    stream.set_write_timeout(Some(Duration::from_secs(1)))?;
    stream.write_all(text.as_bytes())?;
    stream.shutdown(Shutdown::Write)
}

fn accept(listener: &TcpListener, tx: &mpsc::Sender<TbEvent>, stop: &AtomicBool) {
    let busy = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Relaxed) {
        if busy.load(Ordering::Relaxed) >= MAX_READERS {
            thread::sleep(ACCEPT_POLL);
            continue;
        }
        match listener.accept() {
            Ok((stream, _)) => {
                let (tx, busy) = (tx.clone(), busy.clone());
                busy.fetch_add(1, Ordering::Relaxed);
                thread::spawn(move || {
                    let ev = match read_ball(stream) {
                        Ok(ball) => TbEvent::Ball(ball),
                        Err(reason) => TbEvent::Refused(reason),
                    };
                    let _ = tx.send(ev);
                    busy.fetch_sub(1, Ordering::Relaxed);
                });
            }
            Err(_) => thread::sleep(ACCEPT_POLL),
        }
    }
}

/// Reads one connection to its end, at most [`MAX_LEN`] bytes, and parses it.
fn read_ball(stream: TcpStream) -> Result<TextBall, String> {
    let from = stream
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    let fail = |e: &dyn std::fmt::Display| format!("from {from}: {e}");
    stream.set_nonblocking(false).map_err(|e| fail(&e))?;
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| fail(&e))?;
    let mut data = Vec::with_capacity(64);
    // One byte over the limit tells "too long" from "exactly the limit".
    stream
        .take(MAX_LEN as u64 + 1)
        .read_to_end(&mut data)
        .map_err(|e| fail(&e))?;
    TextBall::parse(&data).map_err(|e| fail(&e))
}
