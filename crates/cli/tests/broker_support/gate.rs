//! A TCP relay between a bridge and its broker that the test opens and
//! shuts: while shut, connections are taken and closed at once, so the
//! bridge's reconnects fail until the test says the broker may be used
//! again (after its own subscriber is back on the restarted broker).

#![allow(clippy::unwrap_used)]

use std::io::ErrorKind;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// How long a gate serves at most, so its thread cannot outlive a test.
const LIFETIME: Duration = Duration::from_secs(300);

/// The relay; its thread stops when it is dropped.
pub struct Gate {
    /// Where the bridge connects.
    pub port: u16,
    open: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
}

impl Gate {
    /// An open gate to the broker on `upstream`.
    pub fn new(upstream: u16) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let done = Arc::new(AtomicBool::new(false));
        let (o, d) = (Arc::clone(&open), Arc::clone(&done));
        thread::spawn(move || serve(&listener, upstream, &o, &d));
        Gate { port, open, done }
    }

    /// New connections are closed at once (existing ones die with the
    /// broker they lead to).
    pub fn shut(&self) {
        self.open.store(false, Ordering::Release);
    }

    /// New connections reach the broker again.
    pub fn open(&self) {
        self.open.store(true, Ordering::Release);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Release);
    }
}

fn serve(listener: &TcpListener, upstream: u16, open: &AtomicBool, done: &AtomicBool) {
    let end = Instant::now() + LIFETIME;
    while !done.load(Ordering::Acquire) && Instant::now() < end {
        match listener.accept() {
            Ok((client, _)) => {
                client.set_nonblocking(false).unwrap();
                if !open.load(Ordering::Acquire) {
                    continue;
                }
                if let Ok(broker) = TcpStream::connect(("127.0.0.1", upstream)) {
                    relay(client, broker);
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(5)),
            Err(_) => return,
        }
    }
}

/// Copies both ways; when either side ends, both are shut.
fn relay(client: TcpStream, broker: TcpStream) {
    for (mut from, mut to) in [
        (client.try_clone().unwrap(), broker.try_clone().unwrap()),
        (broker, client),
    ] {
        thread::spawn(move || {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
        });
    }
}
