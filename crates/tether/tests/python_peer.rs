//! Cross-language: the stdlib-only Python peer in interop/python, written
//! from docs/PROTOCOL.md alone, exchanges messages with tether's links.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use tether::{DatagramLink, Framing, Link, Listener, Options};

fn peer_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop/python/tether_peer.py")
}

/// Kills the peer if the test fails half-way.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tether_peer.py serve ENDPOINT ARGS...` and returns it with the
/// endpoint it reports on its first line.
fn serve(endpoint: &str, args: &[&str]) -> (Peer, String, impl Iterator<Item = String>) {
    let mut child = Command::new("python3")
        .arg(peer_script())
        .arg("serve")
        .arg(endpoint)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the interop tests");
    let mut lines = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| l.unwrap());
    let first = lines.next().expect("peer printed nothing");
    let bound = first
        .strip_prefix("LISTENING ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    (Peer(child), bound, lines)
}

#[test]
fn rust_link_against_python_echo_server_over_tcp_and_unix() {
    let dir = tempfile::tempdir().unwrap();
    let unix = format!("unix://{}", dir.path().join("py.sock").display());
    for endpoint in ["tcp://127.0.0.1:0", unix.as_str()] {
        let (mut peer, bound, mut lines) = serve(endpoint, &["--echo", "--count", "4"]);
        let mut link = Link::connect(bound.as_str()).unwrap();
        let big: Vec<u8> = (0..600_000u32).map(|i| (i * 7) as u8).collect();
        let messages: [&[u8]; 4] = [b"", b"Hello, World!", &[0, 1, 1, 0], &big];
        for m in messages {
            link.send(m).unwrap();
            assert_eq!(
                &link.recv_timeout(Duration::from_secs(10)).unwrap().unwrap()[..],
                m
            );
        }
        drop(link);
        let printed: Vec<String> = lines.by_ref().take(4).collect();
        assert_eq!(printed[1], "MSG 13 48656c6c6f2c20576f726c6421");
        assert_eq!(printed[2], "MSG 4 00010100");
        assert!(printed[3].starts_with("MSG 600000 "), "{}", printed[3]);
        assert!(peer.0.wait().unwrap().success());
    }
}

#[test]
fn python_client_against_rust_listener() {
    let listener = Listener::bind("tcp://127.0.0.1:0").unwrap();
    let ep = listener.local_addr().unwrap().to_string();
    let server = thread::spawn(move || {
        let mut link = listener.accept().unwrap();
        let mut got = Vec::new();
        while let Ok(m) = link.recv() {
            link.send(&m.iter().rev().copied().collect::<Vec<u8>>())
                .unwrap();
            got.push(m);
        }
        got
    });
    let out = Command::new("python3")
        .arg(peer_script())
        .args(["send", &ep, "--expect-replies", "abc", "tether"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["REPLY 3 636261", "REPLY 6 726568746574"]
    );
    let got = server.join().unwrap();
    assert_eq!(
        got,
        ["abc", "tether"].map(|s| bytes::Bytes::from(s.as_bytes()))
    );
}

#[test]
fn python_bulk_sender_many_frames_in_order() {
    let listener = Listener::bind("tcp://127.0.0.1:0").unwrap();
    let ep = listener.local_addr().unwrap().to_string();
    let server = thread::spawn(move || {
        let mut link = listener.accept().unwrap();
        let mut i = 0u64;
        while let Ok(m) = link.recv() {
            assert_eq!(m.len(), 12);
            assert_eq!(&m[..8], &i.to_be_bytes(), "frame {i}");
            i += 1;
        }
        i
    });
    let out = Command::new("python3")
        .arg(peer_script())
        .args(["bulk", &ep, "--count", "20000", "--size", "12"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.join().unwrap(), 20_000);
}

#[test]
fn bare_struct_records_with_fixed_framing() {
    // The classic client: struct.pack('I 2s f', 1, b'ab', 2.7) written with
    // no length prefix. Fixed framing of the record's size reads it as is.
    let record = tether::Record::new("I 2s f").unwrap();
    let size = std::num::NonZeroUsize::new(record.size()).unwrap();
    let opts = Options::new().framing(Framing::Fixed(size));
    let listener = Listener::bind_with("tcp://127.0.0.1:0", &opts).unwrap();
    let ep = listener.local_addr().unwrap().to_string();
    let server = thread::spawn(move || {
        let link = listener.accept().unwrap();
        link.map(|m| record.unpack(&m.unwrap()).unwrap().to_string())
            .collect::<Vec<_>>()
    });
    let out = Command::new("python3")
        .arg(peer_script())
        .args([
            "send-struct",
            &ep,
            "I 2s f",
            "--count",
            "3",
            "1",
            "ab",
            "2.7",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        server.join().unwrap(),
        vec!["(1, b'ab', 2.700000047683716)"; 3]
    );
}

#[test]
fn udp_against_python_echo() {
    let (_peer, bound, _lines) = serve("udp://127.0.0.1:0", &["--echo", "--count", "2"]);
    let mut link = DatagramLink::connect(bound.as_str()).unwrap();
    for m in [&b"one datagram"[..], &[9u8; 60_000][..]] {
        link.send(m).unwrap();
        let echo = link.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
        assert_eq!(&echo[..], m);
    }
}
