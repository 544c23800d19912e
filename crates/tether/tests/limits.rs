//! The limits of `Options` against hostile peers. The idle and frame
//! timeouts, on blocking and async links:
//! a peer that starts a frame and then trickles (a slowloris) is closed
//! after the frame timeout, and every later call says why. Also the
//! async link's close after a framing error (the blocking one is in
//! `protocol_error_closes.rs`), and the connection cap of listeners.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

#[cfg(feature = "tokio")]
use tether::{AsyncLink, AsyncStream};
use tether::{Error, Link, Options};

const FRAME: Duration = Duration::from_millis(300);

/// The peer end sees the close: a read returns end of stream (or a reset)
/// within a few seconds, not a hang.
fn sees_close(peer: &mut UnixStream) {
    peer.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut byte = [0u8; 1];
    match peer.read(&mut byte) {
        Ok(0) => {}
        Ok(n) => panic!("{n} bytes instead of a close"),
        Err(e) => assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "still open"),
    }
}

#[test]
fn a_frame_that_trickles_is_closed_after_the_frame_timeout() {
    let (ours, mut peer) = UnixStream::pair().expect("pair");
    let mut link = Link::from_unix(ours, &Options::new().frame_timeout(Some(FRAME))).expect("link");
    // A whole frame first: it arrives, and does not start the clock.
    peer.write_all(b"\0\0\0\x02ok").expect("write");
    assert_eq!(&link.recv().expect("whole frame")[..], b"ok");
    // Then the header of a 1,000-byte frame and one byte every 100 ms.
    peer.write_all(&1000u32.to_be_bytes()).expect("write");
    let trickle = std::thread::spawn({
        let mut peer = peer.try_clone().expect("clone");
        move || {
            for _ in 0..30 {
                std::thread::sleep(Duration::from_millis(100));
                if peer.write_all(b"x").is_err() {
                    break;
                }
            }
        }
    });
    let start = Instant::now();
    let e = link.recv().expect_err("the frame never finishes");
    let took = start.elapsed();
    assert!(
        matches!(e, Error::FrameTimeout { got, .. } if got > 4),
        "{e}"
    );
    assert!(took >= FRAME - Duration::from_millis(20), "{took:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    sees_close(&mut peer);
    for later in [link.recv().map(|_| ()), link.send(b"x")] {
        assert_eq!(later.expect_err("closed").to_string(), e.to_string());
    }
    assert!(link.is_broken());
    trickle.join().expect("trickle");
}

#[test]
fn a_timed_receive_reports_the_frame_timeout_too() {
    let (ours, mut peer) = UnixStream::pair().expect("pair");
    let mut link = Link::from_unix(ours, &Options::new().frame_timeout(Some(FRAME))).expect("link");
    peer.write_all(b"\0\0\0\x09half").expect("write");
    // Short timed waits in a loop, as an event loop would: the frame's
    // time runs across them.
    let start = Instant::now();
    let e = loop {
        match link.recv_timeout(Duration::from_millis(20)) {
            Ok(None) => assert!(start.elapsed() < Duration::from_secs(5), "never timed out"),
            Ok(Some(m)) => panic!("a message {m:?}"),
            Err(e) => break e,
        }
    };
    assert!(matches!(e, Error::FrameTimeout { got: 8, .. }), "{e}");
    sees_close(&mut peer);
}

#[test]
fn the_idle_timeout_closes_a_silent_peer_and_whole_frames_keep_it_open() {
    let (ours, mut peer) = UnixStream::pair().expect("pair");
    let idle = Duration::from_millis(200);
    let mut link = Link::from_unix(ours, &Options::new().idle_timeout(Some(idle))).expect("link");
    for _ in 0..3 {
        std::thread::sleep(idle / 2);
        peer.write_all(b"\0\0\0\x01k").expect("write");
        assert_eq!(&link.recv().expect("frame")[..], b"k");
    }
    let e = link.recv().expect_err("silent");
    assert!(
        matches!(e, Error::IdleTimeout { after } if after == idle),
        "{e}"
    );
    sees_close(&mut peer);
}

#[test]
fn without_a_frame_timeout_a_slow_frame_still_arrives() {
    let (ours, mut peer) = UnixStream::pair().expect("pair");
    let mut link = Link::from_unix(ours, &Options::new().frame_timeout(None)).expect("link");
    peer.write_all(b"\0\0\0\x02a").expect("write");
    assert_eq!(link.recv_timeout(FRAME * 2).expect("wait"), None);
    peer.write_all(b"b").expect("write");
    assert_eq!(&link.recv().expect("frame")[..], b"ab");
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn an_async_link_closes_a_trickling_frame_after_the_frame_timeout() {
    let (ours, peer) = tokio::net::UnixStream::pair().expect("pair");
    let opts = Options::new().frame_timeout(Some(FRAME));
    let mut link = AsyncLink::from_stream(AsyncStream::Unix(ours), &opts).expect("link");
    let mut peer = peer.into_std().expect("std");
    peer.set_nonblocking(false).expect("blocking");
    peer.write_all(b"\0\0\0\x02ok\0\0\x03\xe8").expect("write");
    assert_eq!(&link.recv().await.expect("whole frame")[..], b"ok");
    let mut writer = peer.try_clone().expect("clone");
    let trickle = std::thread::spawn(move || {
        for _ in 0..30 {
            std::thread::sleep(Duration::from_millis(100));
            if writer.write_all(b"x").is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let e = link.recv().await.expect_err("never finishes");
    let took = start.elapsed();
    assert!(matches!(e, Error::FrameTimeout { .. }), "{e}");
    assert!(
        took >= FRAME - Duration::from_millis(20) && took < Duration::from_secs(2),
        "{took:?}"
    );
    closed_for_good(&mut link, peer, &e).await;
    trickle.join().expect("trickle");
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn an_async_link_closes_after_a_framing_error_and_later_calls_say_why() {
    let (ours, peer) = tokio::net::UnixStream::pair().expect("pair");
    let opts = Options::new().max_frame_len(16);
    let mut link = AsyncLink::from_stream(AsyncStream::Unix(ours), &opts).expect("link");
    let mut peer = peer.into_std().expect("std");
    peer.set_nonblocking(false).expect("blocking");
    peer.write_all(&1000u32.to_be_bytes()).expect("write");
    let first = link.recv().await.expect_err("over the limit");
    assert!(matches!(first, Error::Codec(_)), "{first}");
    closed_for_good(&mut link, peer, &first).await;
}

/// The peer sees the close, and every later call repeats `why`.
#[cfg(feature = "tokio")]
async fn closed_for_good(link: &mut AsyncLink, mut peer: UnixStream, why: &Error) {
    tokio::task::spawn_blocking(move || sees_close(&mut peer))
        .await
        .expect("join");
    let why = why.to_string();
    assert_eq!(link.recv().await.expect_err("broken").to_string(), why);
    assert_eq!(link.try_recv().await.expect_err("broken").to_string(), why);
    assert_eq!(link.send(b"x").await.expect_err("broken").to_string(), why);
    assert!(link.is_broken());
}

/// `Options::max_connections`: at the cap a listener accepts no one until
/// one of its links is dropped; the newcomer waits in the backlog.
#[test]
fn a_listener_at_its_connection_cap_waits_for_a_link_to_go() {
    let opts = Options::new().max_connections(Some(1));
    let listener = tether::Listener::bind_with("tcp://127.0.0.1:0", &opts).expect("bind");
    let ep = listener.local_addr().expect("addr");
    let _a = Link::connect(&ep).expect("a");
    let _b = Link::connect(&ep).expect("b: the backlog holds it");
    let first = listener
        .accept_timeout(Duration::from_secs(5))
        .expect("accept")
        .expect("a is accepted");
    assert!(listener
        .accept_timeout(Duration::from_millis(200))
        .expect("accept")
        .is_none());
    drop(first);
    assert!(listener
        .accept_timeout(Duration::from_secs(5))
        .expect("accept")
        .is_some());
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn an_async_listener_at_its_connection_cap_waits_for_a_link_to_go() {
    let opts = Options::new().max_connections(Some(1));
    let listener = tether::AsyncListener::bind_with("tcp://127.0.0.1:0", &opts)
        .await
        .expect("bind");
    let ep = listener.local_addr().expect("addr");
    let _a = AsyncLink::connect(&ep).await.expect("a");
    let _b = AsyncLink::connect(&ep).await.expect("b");
    let (first, _) = listener.accept().await.expect("a is accepted");
    let waiting = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(waiting.is_err(), "accepted past the cap");
    drop(first);
    tokio::time::timeout(Duration::from_secs(5), listener.accept())
        .await
        .expect("b waited past a's drop")
        .expect("accept");
}
