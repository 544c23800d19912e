//! Ctrl-C (SIGINT) ends `tether listen` with exit 0 and a summary, even with
//! peers still connected.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "listen_send_support/mod.rs"]
mod support;

use std::io::Write;
use std::net::{TcpStream, UdpSocket};

use support::listen;

#[test]
fn sigint_stops_tcp_listener_with_summary() {
    let mut l = listen("tcp://127.0.0.1:0", &[]);
    // A peer that sends one message and stays connected.
    let mut peer = TcpStream::connect(l.addr()).unwrap();
    peer.write_all(b"\x00\x00\x00\x05hello").unwrap();
    assert!(l.line().ends_with("  5 B   hello"));
    l.interrupt();
    let (status, stderr) = l.wait();
    assert!(status.success(), "{status:?} {stderr}");
    let summary = stderr.lines().last().unwrap();
    assert!(
        summary.starts_with("1 connection, 1 message, 5 B in "),
        "{stderr}"
    );
    drop(peer);
}

#[test]
fn sigint_stops_udp_listener_with_summary() {
    let mut l = listen("udp://127.0.0.1:0", &[]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.send_to(b"dgram", l.addr()).unwrap();
    assert!(l.line().ends_with("  5 B   dgram"));
    l.interrupt();
    let (status, stderr) = l.wait();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("1 message, 5 B in "),
        "{stderr}"
    );
}

#[test]
fn sigint_at_once_after_the_first_line_is_still_clean() {
    for endpoint in ["tcp://127.0.0.1:0", "udp://127.0.0.1:0"] {
        let mut l = listen(endpoint, &[]);
        l.interrupt();
        let (status, stderr) = l.wait();
        assert!(status.success(), "{endpoint}: {status:?} {stderr}");
        assert!(stderr.contains("0 messages, 0 B in "), "{stderr}");
    }
}
