//! Blocking links over real sockets on loopback (port 0, temp dirs).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use tether::{Error, Framing, Link, Listener, Options};

const WAIT: Duration = Duration::from_secs(10);

fn tcp_listener() -> Listener {
    Listener::bind("tcp://127.0.0.1:0").unwrap()
}

/// Spawns an echo server that serves `clients` connections one after another.
fn echo_server(listener: Listener, clients: usize) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        for _ in 0..clients {
            let mut link = listener.accept().unwrap();
            while let Ok(msg) = link.recv() {
                link.send(&msg).unwrap();
            }
        }
    })
}

#[test]
fn tcp_round_trip() {
    let listener = tcp_listener();
    let ep = listener.local_addr().unwrap();
    assert_ne!(ep.port(), Some(0));
    let server = echo_server(listener, 1);
    let mut link = Link::connect(&ep).unwrap();
    for msg in [&b""[..], b"Hello, World!", &[0, 1, 1, 0]] {
        link.send(msg).unwrap();
        assert_eq!(&link.recv().unwrap()[..], msg);
    }
    drop(link);
    server.join().unwrap();
}

#[test]
fn unix_round_trip_and_socket_file_cleanup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sock");
    let ep = format!("unix://{}", path.display());
    let listener = Listener::bind(ep.as_str()).unwrap();
    let server = echo_server(listener, 1);
    let mut link = Link::connect(ep.as_str()).unwrap();
    link.send(b"over a unix socket").unwrap();
    assert_eq!(&link.recv().unwrap()[..], b"over a unix socket");
    drop(link);
    server.join().unwrap();
    assert!(!path.exists(), "listener should remove its socket file");
}

#[test]
fn ipv6_loopback_when_available() {
    let Ok(listener) = Listener::bind("tcp://[::1]:0") else {
        eprintln!("no IPv6 loopback on this machine; skipped");
        return;
    };
    let ep = listener.local_addr().unwrap();
    assert!(ep.to_string().starts_with("tcp://[::1]:"), "{ep}");
    let server = echo_server(listener, 1);
    let mut link = Link::connect(&ep).unwrap();
    link.send(b"v6").unwrap();
    assert_eq!(&link.recv().unwrap()[..], b"v6");
    drop(link);
    server.join().unwrap();
}

#[test]
fn large_message_arrives_whole() {
    let listener = tcp_listener();
    let ep = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let mut link = listener.accept().unwrap();
        link.recv().unwrap()
    });
    let payload: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let mut link = Link::connect(&ep).unwrap();
    link.send(&payload).unwrap();
    let got = server.join().unwrap();
    assert_eq!(got.len(), 600_000);
    assert_eq!(&got[..], &payload[..]);
}

#[test]
fn many_small_messages_arrive_in_order() {
    const N: u32 = 100_000;
    let listener = tcp_listener();
    let ep = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let mut link = listener.accept().unwrap();
        for i in 0..N {
            let msg = link.recv().unwrap();
            assert_eq!(&msg[..], &i.to_be_bytes(), "message {i}");
        }
        assert!(matches!(link.recv(), Err(Error::Closed)));
    });
    let mut link = Link::connect(&ep).unwrap();
    for i in 0..N {
        link.send(&i.to_be_bytes()).unwrap();
    }
    drop(link);
    server.join().unwrap();
}

#[test]
fn batch_path_delivers_everything() {
    let (mut a, mut b) = Link::pair(&Options::default()).unwrap();
    let msgs: Vec<[u8; 4]> = (0..10_000u32).map(u32::to_le_bytes).collect();
    let reader = thread::spawn(move || (0..10_000).map(|_| b.recv().unwrap()).collect::<Vec<_>>());
    a.send_all(&msgs).unwrap();
    let got = reader.join().unwrap();
    assert!(got.iter().zip(&msgs).all(|(g, m)| &g[..] == m));
}

#[test]
fn peer_dying_mid_frame_is_truncated_not_delivered() {
    let listener = tcp_listener();
    let ep = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let mut link = listener.accept().unwrap();
        (link.recv(), link.recv())
    });
    let ep_str = ep.to_string();
    let mut raw = TcpStream::connect(ep_str.trim_start_matches("tcp://")).unwrap();
    raw.write_all(b"\x00\x00\x00\x02ok\x00\x00\x00\x0ahalf")
        .unwrap();
    drop(raw);
    let (first, second) = server.join().unwrap();
    assert_eq!(&first.unwrap()[..], b"ok");
    match second {
        Err(Error::Truncated {
            got: 8,
            expected: 14,
        }) => {}
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn huge_length_prefix_is_refused_and_listener_keeps_serving() {
    let listener = tcp_listener();
    let ep = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let mut outcomes = Vec::new();
        for _ in 0..2 {
            let mut link = listener.accept().unwrap();
            outcomes.push(link.recv().map(|m| m.to_vec()));
        }
        outcomes
    });
    let addr = ep.to_string().trim_start_matches("tcp://").to_owned();
    let mut evil = TcpStream::connect(&addr).unwrap();
    evil.write_all(&[0xff, 0xff, 0xff, 0xff]).unwrap();
    let mut good = Link::connect(&ep).unwrap();
    good.send(b"still here").unwrap();
    let outcomes = server.join().unwrap();
    match &outcomes[0] {
        Err(Error::Codec(e)) => assert_eq!(
            e.to_string(),
            "frame of 4294967295 bytes exceeds the 16 MiB limit"
        ),
        other => panic!("expected FrameTooLarge, got {other:?}"),
    }
    assert_eq!(outcomes[1].as_deref().unwrap(), b"still here");
}

#[test]
fn timeouts_try_recv_and_nonblocking() {
    let (mut a, mut b) = Link::pair(&Options::default()).unwrap();
    let t = Instant::now();
    assert!(b.recv_timeout(Duration::from_millis(30)).unwrap().is_none());
    assert!(t.elapsed() >= Duration::from_millis(30));
    assert!(b.try_recv().unwrap().is_none());
    b.set_nonblocking(true).unwrap();
    assert!(matches!(b.recv(), Err(Error::WouldBlock)));
    a.send(b"x").unwrap();
    let deadline = Instant::now() + WAIT;
    let msg = loop {
        match b.recv() {
            Ok(m) => break m,
            Err(Error::WouldBlock) if Instant::now() < deadline => thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(&msg[..], b"x");
    a.send(b"y").unwrap();
    assert_eq!(
        &b.recv_timeout(WAIT).unwrap().unwrap()[..],
        b"y",
        "recv_timeout must return as soon as a message is there"
    );
}

#[test]
fn lingering_sends_are_written_without_further_calls() {
    let linger = Duration::from_millis(20);
    let (mut a, mut b) = Link::pair(&Options::default().linger(linger)).unwrap();
    // The first send on an idle link goes at once; the next two are gathered
    // and must be written by the flusher within the linger, with no further
    // call on `a`.
    for m in [b"1", b"2", b"3"] {
        a.send(m).unwrap();
    }
    let start = Instant::now();
    for m in [b"1", b"2", b"3"] {
        assert_eq!(&b.recv_timeout(WAIT).unwrap().unwrap()[..], m);
    }
    assert!(start.elapsed() < WAIT);
    // A receive flushes what is gathered: request/response never waits.
    a.send(b"4").unwrap();
    a.send(b"5").unwrap();
    assert!(a.recv_timeout(Duration::from_millis(1)).unwrap().is_none());
    assert_eq!(&b.try_recv_wait().unwrap()[..], b"4");
    assert_eq!(&b.try_recv_wait().unwrap()[..], b"5");
}

trait TryRecvWait {
    fn try_recv_wait(&mut self) -> Option<bytes::Bytes>;
}

impl TryRecvWait for Link {
    /// Polls with try_recv for a short, bounded time: proves the bytes are
    /// already on the socket rather than waiting for a flusher.
    fn try_recv_wait(&mut self) -> Option<bytes::Bytes> {
        let deadline = Instant::now() + Duration::from_millis(5);
        loop {
            if let Some(m) = self.try_recv().unwrap() {
                return Some(m);
            }
            if Instant::now() > deadline {
                return None;
            }
            thread::yield_now();
        }
    }
}

#[test]
fn dropping_a_link_writes_what_it_gathered() {
    let (mut a, mut b) = Link::pair(&Options::default().linger(Duration::from_secs(60))).unwrap();
    a.send(b"first").unwrap();
    a.send(b"gathered").unwrap();
    drop(a);
    assert_eq!(&b.recv().unwrap()[..], b"first");
    assert_eq!(&b.recv().unwrap()[..], b"gathered");
    assert!(matches!(b.recv(), Err(Error::Closed)));
}

#[test]
fn line_framing_over_tcp() {
    let listener =
        Listener::bind_with("tcp://127.0.0.1:0", &Options::new().framing(Framing::Line)).unwrap();
    let ep = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let mut link = listener.accept().unwrap();
        let mut got = Vec::new();
        while let Ok(m) = link.recv() {
            got.push(m);
        }
        got
    });
    let addr = ep.to_string().trim_start_matches("tcp://").to_owned();
    let mut raw = TcpStream::connect(addr).unwrap();
    let long = vec![b'z'; 600_000];
    raw.write_all(b"a\nb\n").unwrap();
    raw.write_all(&long).unwrap();
    raw.write_all(b"\nlast").unwrap();
    raw.shutdown(Shutdown::Write).unwrap();
    let got = server.join().unwrap();
    assert_eq!(got.len(), 4);
    assert_eq!(&got[0][..], b"a");
    assert_eq!(got[2].len(), 600_000);
    assert_eq!(&got[3][..], b"last");
}

#[test]
fn connect_retry_waits_for_a_late_listener() {
    // Reserve a free port, release it, and start listening on it later.
    let port = {
        let l = tcp_listener();
        l.local_addr().unwrap().port().unwrap()
    };
    let ep = format!("tcp://127.0.0.1:{port}");
    let late = {
        let ep = ep.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(150));
            let l = Listener::bind(ep.as_str()).unwrap();
            let mut link = l.accept().unwrap();
            link.recv().unwrap()
        })
    };
    let mut link = Link::connect_retry(ep.as_str(), WAIT, &Options::default()).unwrap();
    link.send(b"made it").unwrap();
    assert_eq!(&late.join().unwrap()[..], b"made it");
}

#[test]
fn connect_refused_names_the_endpoint() {
    let port = tcp_listener().local_addr().unwrap().port().unwrap();
    let ep = format!("tcp://127.0.0.1:{port}");
    let err = Link::connect(ep.as_str()).unwrap_err();
    assert!(matches!(err, Error::Connect { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("cannot connect to {ep}: ")),
        "{err}"
    );
}

#[test]
fn long_timeouts_use_the_kernel_and_still_deliver_split_frames() {
    let (mut raw, other) = std::os::unix::net::UnixStream::pair().unwrap();
    let mut b = Link::from_unix(other, &Options::default()).unwrap();
    let t = Instant::now();
    assert!(b.recv_timeout(Duration::from_millis(60)).unwrap().is_none());
    assert!(
        t.elapsed() >= Duration::from_millis(55),
        "{:?}",
        t.elapsed()
    );
    // A frame whose halves arrive apart is still one message.
    let writer = thread::spawn(move || {
        raw.write_all(b"\x00\x00\x00\x06hal").unwrap();
        thread::sleep(Duration::from_millis(20));
        raw.write_all(b"ves\x00\x00\x00\x04next").unwrap();
        // An untimed recv after a timed one must not inherit the timeout.
        thread::sleep(Duration::from_millis(120));
        raw.write_all(b"\x00\x00\x00\x04late").unwrap();
        raw
    });
    assert_eq!(&b.recv_timeout(WAIT).unwrap().unwrap()[..], b"halves");
    assert_eq!(&b.recv_timeout(WAIT).unwrap().unwrap()[..], b"next");
    assert_eq!(&b.recv().unwrap()[..], b"late");
    drop(writer.join().unwrap());
    assert!(matches!(b.recv(), Err(Error::Closed)));
}

#[test]
fn recv_batch_hands_over_everything_buffered() {
    let (mut a, mut b) = Link::pair(&Options::default()).unwrap();
    let msgs: Vec<[u8; 4]> = (0..1000u32).map(u32::to_be_bytes).collect();
    a.send_all(&msgs).unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + WAIT;
    while got.len() < 1000 && Instant::now() < deadline {
        b.recv_batch(&mut got, 300, Some(WAIT)).unwrap();
    }
    assert_eq!(got.len(), 1000);
    assert!(got.iter().zip(&msgs).all(|(g, m)| &g[..] == m));
    assert_eq!(
        b.recv_batch(&mut got, 10, Some(Duration::from_millis(5)))
            .unwrap(),
        0
    );
}

#[test]
fn fed_messages_are_never_overtaken_by_a_send() {
    for linger in [Duration::ZERO, Duration::from_millis(5)] {
        let (mut a, mut b) = Link::pair(&Options::default().linger(linger)).unwrap();
        a.feed(b"fed").unwrap();
        a.send(b"sent").unwrap();
        assert_eq!(&b.recv_timeout(WAIT).unwrap().unwrap()[..], b"fed");
        assert_eq!(&b.recv_timeout(WAIT).unwrap().unwrap()[..], b"sent");
    }
}

#[test]
fn a_large_send_while_gathering_goes_out_at_once_and_in_order() {
    // A linger far longer than the test: only the large frame's write can
    // deliver the small one gathered before it.
    let (mut a, mut b) = Link::pair(&Options::default().linger(Duration::from_secs(60))).unwrap();
    a.send(b"first").unwrap();
    a.send(b"gathered").unwrap();
    let big = vec![3u8; 1 << 20];
    let reader = thread::spawn(move || {
        let got: Vec<_> = (0..3)
            .map(|_| b.recv_timeout(WAIT).unwrap().unwrap())
            .collect();
        (got, b)
    });
    a.send(&big).unwrap();
    let (got, _b) = reader.join().unwrap();
    assert_eq!(&got[0][..], b"first");
    assert_eq!(&got[1][..], b"gathered");
    assert_eq!(got[2].len(), 1 << 20);
    drop(a);
}

#[test]
fn a_bad_message_in_a_batch_keeps_the_good_ones_before_it() {
    let opts = Options::default().max_frame_len(8);
    let (mut a, mut b) = Link::pair(&opts).unwrap();
    let batch: [&[u8]; 3] = [b"ok", b"far too long", b"never"];
    match a.send_all(batch) {
        Err(Error::Codec(e)) => {
            assert_eq!(e.to_string(), "frame of 12 bytes exceeds the 8 bytes limit")
        }
        other => panic!("expected FrameTooLarge, got {other:?}"),
    }
    // A receive writes what was gathered, so the good message is not stuck.
    assert!(a.recv_timeout(Duration::from_millis(1)).unwrap().is_none());
    assert_eq!(&b.try_recv_wait().unwrap()[..], b"ok");
}
