//! The handover under a link that breaks while both peers live, and under
//! a neighbour that hangs (SIGSTOP): no ball lost, none duplicated.

#![allow(clippy::unwrap_used)]
mod balls_support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use balls_support::{census, ids, spawn};
use serde_json::Value;

fn fast(name: &str, secs: &str, right: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = [
        "--listen",
        "tcp://127.0.0.1:0",
        "--balls",
        "5",
        "--speed",
        "8",
        "--for",
        secs,
        "--name",
        name,
    ]
    .map(String::from)
    .to_vec();
    if let Some(right) = right {
        v.extend(["--right".into(), right.into()]);
    }
    v
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn count(log: &[Value], event: &str, side: &str) -> usize {
    log.iter()
        .filter(|v| v["event"] == event && v["side"] == side)
        .count()
}

/// Forwards connections to `to`, and after one in `every` chunks (either
/// way) cuts the connection at once: what was not forwarded is lost, as
/// when a network path breaks in the middle of a handover.
struct Cutter {
    at: String,
    to: Arc<Mutex<Option<String>>>,
    cuts: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Cutter {
    /// Listens at once; forwards once [`Cutter::target`] says where to.
    fn start(every: usize) -> Cutter {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let at = format!("tcp://{}", listener.local_addr().unwrap());
        let to: Arc<Mutex<Option<String>>> = Arc::default();
        let cuts = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (t, c, s) = (to.clone(), cuts.clone(), stop.clone());
        let thread = thread::spawn(move || {
            let chunks = Arc::new(AtomicUsize::new(0));
            let deadline = Instant::now() + Duration::from_secs(30);
            while !s.load(Ordering::Relaxed) && Instant::now() < deadline {
                let target = t.lock().unwrap().clone();
                let Some(target) = target else {
                    thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let Ok((a, _)) = listener.accept() else {
                    thread::sleep(Duration::from_millis(5));
                    continue;
                };
                a.set_nonblocking(false).unwrap();
                let Ok(b) = TcpStream::connect(target.strip_prefix("tcp://").unwrap()) else {
                    continue;
                };
                for (from, into) in [(&a, &b), (&b, &a)] {
                    let (from, into) = (from.try_clone().unwrap(), into.try_clone().unwrap());
                    let (c, chunks) = (c.clone(), chunks.clone());
                    thread::spawn(move || pipe(from, into, every, &chunks, &c));
                }
            }
        });
        Cutter {
            at,
            to,
            cuts,
            stop,
            thread: Some(thread),
        }
    }

    fn target(&self, to: &str) {
        *self.to.lock().unwrap() = Some(to.to_string());
    }
}

/// Copies `from` into `into` until one in `every` chunks has gone, then
/// cuts both directions.
fn pipe(
    mut from: TcpStream,
    mut into: TcpStream,
    every: usize,
    chunks: &AtomicUsize,
    cuts: &AtomicUsize,
) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || into.write_all(&buf[..n]).is_err() {
            break;
        }
        if chunks.fetch_add(1, Ordering::Relaxed) % every == every - 1 {
            cuts.fetch_add(1, Ordering::Relaxed);
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = into.shutdown(Shutdown::Both);
}

impl Drop for Cutter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn links_cut_in_the_middle_of_handovers_lose_and_double_no_ball() {
    // A -> cutter -> B -> A: the link A-B breaks again and again, just
    // after a record went one way or the other, at every step of a
    // handover in turn; B -> A stays whole, so balls go round.
    let cutter = Cutter::start(5);
    let a = spawn(&args(&fast("A", "8s", Some(&cutter.at))));
    let b = spawn(&args(&fast("B", "8s", Some(&a.endpoint()))));
    cutter.target(&b.endpoint());
    let (a, b) = (a.finish(), b.finish());
    let cuts = cutter.cuts.load(Ordering::Relaxed);
    drop(cutter);
    assert!(cuts >= 5, "only {cuts} cuts");
    let lost = census(&[&a, &b]);
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert!(count(&a, "neighbour_up", "right") >= 5, "A reconnected");
    let bounced = ids(&a, "bounced").len();
    assert!(bounced > 0, "no cut fell inside a handover");
    assert!(!ids(&b, "received").is_empty() && !ids(&a, "received").is_empty());
}

#[test]
fn a_hung_neighbour_gets_its_balls_bounced_and_becomes_a_wall() {
    let c = spawn(&args(&fast("C", "9s", None)));
    let b = spawn(&args(&fast("B", "9s", Some(&c.endpoint()))));
    let a = spawn(&args(&fast("A", "9s", Some(&b.endpoint()))));
    a.wait_for("A's right link", |v| {
        v["event"] == "neighbour_up" && v["side"] == "right"
    });
    c.wait_for("C's left link", |v| {
        v["event"] == "neighbour_up" && v["side"] == "left"
    });
    thread::sleep(Duration::from_millis(1000));
    // Stopped, B still takes the bytes (its kernel does) but acks nothing.
    b.signal(libc::SIGSTOP);
    let hung = |v: &Value| {
        v["event"] == "bounced" && v["reason"].as_str().unwrap_or("").contains("no ack")
    };
    let bounced = a.wait_for("a ball bounced off the hung peer", |v| hung(v));
    let since = bounced["t"].as_f64().unwrap();
    thread::sleep(Duration::from_millis(1500));
    b.signal(libc::SIGCONT);
    let (a, b, c) = (a.finish(), b.finish(), c.finish());
    // While B was stopped, A sent it nothing more: that side was a wall.
    let resumed = a
        .iter()
        .find(|v| {
            v["event"] == "neighbour_up" && v["side"] == "right" && v["t"].as_f64().unwrap() > since
        })
        .expect("A reconnected to B once it ran again");
    let sent_while_hung = a
        .iter()
        .filter(|v| v["event"] == "sent" && v["side"] == "right")
        .filter(|v| (since..resumed["t"].as_f64().unwrap()).contains(&v["t"].as_f64().unwrap()))
        .count();
    assert_eq!(sent_while_hung, 0, "A sent balls to the hung peer");
    assert!(
        resumed["t"].as_f64().unwrap() - since > 1.0,
        "B was up while stopped"
    );
    let lost = census(&[&a, &b, &c]);
    assert!(lost.is_empty(), "nobody died, yet lost: {lost:?}");
    assert!(count(&c, "neighbour_down", "left") >= 1);
}
