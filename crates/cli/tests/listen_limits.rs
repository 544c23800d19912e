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
