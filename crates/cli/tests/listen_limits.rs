//! `tether listen` against peers that hold its resources: a frame that
//! trickles in (a slowloris) is closed after `--frame-timeout` while a good
//! client is served.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "listen_send_support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::{listen, WAIT};

/// Connects and sends the header of a 1,000-byte frame, then one byte a
/// second (at most `bytes` of them) until the listener closes the
/// connection; returns how long after the header the close came.
fn slowloris(addr: &str, bytes: usize) -> std::thread::JoinHandle<Option<Duration>> {
    let mut s = TcpStream::connect(addr).unwrap();
    std::thread::spawn(move || {
        s.write_all(&1000u32.to_be_bytes()).unwrap();
        let start = Instant::now();
        s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        for _ in 0..bytes {
            let mut buf = [0u8; 1];
            match s.read(&mut buf) {
                // Closed by the listener (a reset counts too).
                Ok(0) => return Some(start.elapsed()),
                Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => {
                    return Some(start.elapsed())
                }
                _ => {}
            }
            if s.write_all(b"x").is_err() {
                return Some(start.elapsed());
            }
        }
        None
    })
}

#[test]
fn a_slowloris_is_closed_after_the_frame_timeout_while_a_good_client_is_served() {
    let l = listen("tcp://127.0.0.1:0", &["--frame-timeout", "1s"]);
    let addr = l.addr();
    let slow = slowloris(&addr, 10);
    let mut good = tether::Link::connect(l.endpoint.as_str()).unwrap();
    for i in 0..8 {
        good.send(format!("good {i}").as_bytes()).unwrap();
        let line = l.line();
        assert!(line.ends_with(&format!("good {i}")), "{line}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let closed = slow
        .join()
        .unwrap()
        .expect("the slowloris was never closed");
    assert!(
        closed >= Duration::from_millis(900) && closed < Duration::from_secs(4),
        "closed {closed:?} after the header"
    );
    let deadline = Instant::now() + WAIT;
    while !l.stderr().contains("--frame-timeout") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let err = l.stderr();
    assert!(
        err.contains("frame not whole within the --frame-timeout"),
        "{err}"
    );
    // The good client is still served after the slowloris is gone.
    good.send(b"after").unwrap();
    assert!(l.line().ends_with("after"));
}

/// A field of /proc/PID/status in KiB (VmRSS, VmHWM).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| {
            v.trim_start_matches(':')
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        })
        .unwrap()
}

const PEERS: usize = 200;
const FRAME: usize = 16 << 20;
const BUDGET_MIB: u64 = 256;
/// How long the peers push; then they close, with their frames unfinished.
const PUSH: Duration = Duration::from_secs(4);

/// One peer: starts a 16 MiB frame, pushes as much of it as the listener
/// takes until `until`, then closes; returns the bytes it pushed.
fn big_frame_peer(addr: &str, until: Instant) -> std::thread::JoinHandle<usize> {
    let mut s = TcpStream::connect(addr).unwrap();
    std::thread::spawn(move || {
        let chunk = vec![0x5au8; 64 * 1024];
        s.set_write_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        if s.write_all(&(FRAME as u32).to_be_bytes()).is_err() {
            return 0;
        }
        let mut sent = 0;
        while Instant::now() < until && sent + chunk.len() < FRAME {
            match s.write(&chunk) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => break,
            }
        }
        sent
    })
}

/// 200 peers each start a 16 MiB frame, push as fast as they can for 4 s
/// and close; the listener holds no more than the budget (its peak RSS,
/// the closes and what it read after them included, stays under it plus
/// 64 MiB) while every message of a good client arrives.
#[test]
fn many_big_unfinished_frames_stay_within_the_budget() {
    let l = listen("tcp://127.0.0.1:0", &["--frame-timeout", "20s"]);
    let (addr, pid) = (l.addr(), l.pid());
    let mut good = tether::Link::connect(l.endpoint.as_str()).unwrap();
    // One whole big message first, as a listener may take at any time:
    // freeing it is what makes glibc serve later frame buffers from its
    // arenas (it raises its mmap threshold to that size), which keep
    // freed memory; the peak went over the bound that way.
    good.send(&vec![b'b'; 12 << 20]).unwrap();
    let line = l.line();
    assert!(
        line.contains("12582912 B"),
        "{}",
        line.chars().take(200).collect::<String>()
    );
    let until = Instant::now() + PUSH;
    let peers: Vec<_> = (0..PEERS).map(|_| big_frame_peer(&addr, until)).collect();
    let mut sent_good = 0;
    while Instant::now() < until {
        good.send(format!("good {sent_good}").as_bytes()).unwrap();
        sent_good += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    let offered: usize = peers.into_iter().map(|p| p.join().unwrap()).sum();
    // After the closes the listener reads what was still queued for the
    // other peers, with the budget that the closed ones gave back.
    std::thread::sleep(Duration::from_secs(1));
    for _ in 0..5 {
        good.send(format!("good {sent_good}").as_bytes()).unwrap();
        sent_good += 1;
    }
    for i in 0..sent_good {
        let line = l.line();
        assert!(line.ends_with(&format!("good {i}")), "{line}");
    }
    let peak_mib = status_kib(pid, "VmHWM") / 1024;
    eprintln!(
        "offered {} MiB; listener peak RSS {peak_mib} MiB, now {} MiB",
        offered >> 20,
        status_kib(pid, "VmRSS") / 1024
    );
    assert!(
        offered as u64 > (BUDGET_MIB + 64) << 20,
        "only {} MiB offered: the test proves nothing",
        offered >> 20
    );
    assert!(peak_mib < BUDGET_MIB + 64, "peak RSS {peak_mib} MiB");
}
