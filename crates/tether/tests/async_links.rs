//! Async links on tokio over loopback, against blocking peers and each other.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tether::{AsyncDatagramLink, AsyncLink, AsyncListener, Error, Framing, Link, Options};

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn async_echo_with_a_blocking_client() {
    let listener = AsyncListener::bind("tcp://127.0.0.1:0").await.unwrap();
    let ep = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut link, peer) = listener.accept().await.unwrap();
        assert!(peer.to_string().starts_with("tcp://127.0.0.1:"));
        let mut n = 0;
        while let Ok(msg) = link.recv().await {
            link.send(&msg).await.unwrap();
            n += 1;
        }
        n
    });
    let client = tokio::task::spawn_blocking(move || {
        let mut link = Link::connect(&ep).unwrap();
        for i in 0..100u32 {
            link.send(&i.to_be_bytes()).unwrap();
            assert_eq!(&link.recv().unwrap()[..], &i.to_be_bytes());
        }
    });
    client.await.unwrap();
    assert_eq!(server.await.unwrap(), 100);
}

#[tokio::test]
async fn stream_and_sink_over_unix() {
    let dir = tempfile::tempdir().unwrap();
    let ep = format!("unix://{}", dir.path().join("a.sock").display());
    let opts = Options::new().framing(Framing::Line);
    let listener = AsyncListener::bind_with(ep.as_str(), &opts).await.unwrap();
    let server = tokio::spawn(async move {
        let (link, _) = listener.accept().await.unwrap();
        link.map(|m| m.unwrap()).collect::<Vec<Bytes>>().await
    });
    let mut link = AsyncLink::connect_with(ep.as_str(), &opts).await.unwrap();
    for word in ["alpha", "beta", "gamma"] {
        link.feed(word.as_bytes()).await.unwrap();
    }
    link.flush().await.unwrap();
    SinkExt::<Bytes>::send(&mut link, Bytes::from_static(b"delta"))
        .await
        .unwrap();
    link.shutdown().await.unwrap();
    let got = server.await.unwrap();
    assert_eq!(
        got,
        ["alpha", "beta", "gamma", "delta"].map(|w| Bytes::from_static(w.as_bytes()))
    );
}

#[tokio::test]
async fn truncation_and_timeouts() {
    let listener = AsyncListener::bind("tcp://127.0.0.1:0").await.unwrap();
    let addr = listener
        .local_addr()
        .unwrap()
        .to_string()
        .replace("tcp://", "");
    let writer = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"\x00\x00\x00\x09abc").unwrap();
        std::thread::sleep(Duration::from_millis(50));
    });
    let (mut link, _) = listener.accept().await.unwrap();
    assert!(link
        .recv_timeout(Duration::from_millis(10))
        .await
        .unwrap()
        .is_none());
    writer.join().unwrap();
    match link.recv().await {
        Err(Error::Truncated {
            got: 7,
            expected: 13,
        }) => {}
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[tokio::test]
async fn async_udp_round_trip() {
    let mut server = AsyncDatagramLink::bind("udp://127.0.0.1:0").await.unwrap();
    let client = AsyncDatagramLink::connect(&server.local_addr().unwrap())
        .await
        .unwrap();
    client.send(b"ping").await.unwrap();
    let (msg, from) = server.recv_from().await.unwrap();
    assert_eq!(&msg[..], b"ping");
    server.send_to(b"pong", from).await.unwrap();
    assert!(matches!(
        client.send(&vec![0u8; 70_000]).await,
        Err(Error::DatagramTooLarge { max: 65_507, .. })
    ));
}

/// A connected pair over loopback TCP: (async server side, blocking client).
async fn async_pair(options: &Options) -> (AsyncLink, Link) {
    let listener = AsyncListener::bind_with("tcp://127.0.0.1:0", options)
        .await
        .unwrap();
    let ep = listener.local_addr().unwrap();
    let opts = options.clone();
    let client = tokio::task::spawn_blocking(move || Link::connect_with(&ep, &opts).unwrap());
    let (server, _) = listener.accept().await.unwrap();
    (server, client.await.unwrap())
}

#[tokio::test]
async fn async_recv_batch_hands_over_everything_buffered() {
    let (mut b, mut a) = async_pair(&Options::default()).await;
    let msgs: Vec<[u8; 4]> = (0..1000u32).map(u32::to_be_bytes).collect();
    a.send_all(&msgs).unwrap();
    let mut got = Vec::new();
    let mut calls = 0;
    while got.len() < 1000 && calls < 1000 {
        let n = b.recv_batch(&mut got, 300, Some(WAIT)).await.unwrap();
        assert!((1..=300).contains(&n), "a batch of {n}");
        calls += 1;
    }
    assert_eq!(got.len(), 1000);
    assert!(got.iter().zip(&msgs).all(|(g, m)| &g[..] == m));
    assert!(calls < 1000, "batches must hold more than one message");
    let short = Some(Duration::from_millis(5));
    assert_eq!(b.recv_batch(&mut got, 10, short).await.unwrap(), 0);
    assert_eq!(b.recv_batch(&mut got, 0, None).await.unwrap(), 0);
    drop(a);
    assert!(matches!(
        b.recv_batch(&mut got, 10, Some(WAIT)).await,
        Err(Error::Closed)
    ));
}

#[tokio::test]
async fn async_recv_batch_leaves_a_bad_frame_for_the_next_call() {
    let options = Options::new().max_frame_len(16);
    let listener = AsyncListener::bind_with("tcp://127.0.0.1:0", &options)
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut raw = std::net::TcpStream::connect(addr.trim_start_matches("tcp://")).unwrap();
    let (mut b, _) = listener.accept().await.unwrap();
    // One good frame, then a length prefix over the limit, in one write.
    raw.write_all(b"\x00\x00\x00\x02ok\x00\x00\x01\x00")
        .unwrap();
    let mut got = Vec::new();
    assert_eq!(b.recv_batch(&mut got, 10, Some(WAIT)).await.unwrap(), 1);
    assert_eq!(&got[0][..], b"ok");
    assert!(matches!(
        b.recv_batch(&mut got, 10, Some(WAIT)).await,
        Err(Error::Codec(_))
    ));
}

#[tokio::test]
async fn async_try_recv_never_waits() {
    let (mut b, mut a) = async_pair(&Options::default()).await;
    assert!(b.try_recv().await.unwrap().is_none());
    a.send(b"x").unwrap();
    a.send(b"y").unwrap();
    // The bytes are on their way over loopback: poll, bounded in time.
    let deadline = std::time::Instant::now() + WAIT;
    let first = loop {
        if let Some(m) = b.try_recv().await.unwrap() {
            break m;
        }
        assert!(std::time::Instant::now() < deadline, "nothing arrived");
        tokio::task::yield_now().await;
    };
    assert_eq!(&first[..], b"x");
    assert_eq!(&b.recv_timeout(WAIT).await.unwrap().unwrap()[..], b"y");
    drop(a);
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        match b.try_recv().await {
            Err(Error::Closed) => break,
            Ok(None) if std::time::Instant::now() < deadline => tokio::task::yield_now().await,
            other => panic!("expected Closed, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn async_recv_each_lends_every_buffered_message() {
    let (mut b, mut a) = async_pair(&Options::default()).await;
    let msgs: Vec<[u8; 4]> = (0u32..500).map(|i| i.to_be_bytes()).collect();
    a.send_all(&msgs).unwrap();
    let mut got = Vec::new();
    while got.len() < msgs.len() {
        let n = b
            .recv_each(usize::MAX, Some(WAIT), |m| got.push(m.to_vec()))
            .await
            .unwrap();
        assert!(n > 0, "timed out after {}", got.len());
    }
    assert_eq!(got, msgs.iter().map(|m| m.to_vec()).collect::<Vec<_>>());
    assert_eq!(b.recv_each(0, Some(WAIT), |_| {}).await.unwrap(), 0);
    let quiet = Duration::from_millis(5);
    assert_eq!(b.recv_each(9, Some(quiet), |_| {}).await.unwrap(), 0);
}
