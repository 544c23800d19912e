//! What an idle `AsyncLink` keeps: at most 16 KiB of buffers, after a
//! burst of small messages and after big ones, both ways.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use tether::{AsyncLink, AsyncListener};

const WAIT: Duration = Duration::from_secs(10);
const IDLE_MAX: usize = 16 * 1024;

async fn pair() -> (AsyncLink, AsyncLink) {
    let listener = AsyncListener::bind("tcp://127.0.0.1:0").await.unwrap();
    let ep = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(AsyncLink::connect(&ep), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

/// Issue 16, item 6: `Framed` kept a grown read or write buffer for ever.
#[tokio::test]
async fn an_idle_async_link_gives_back_what_a_burst_grew() {
    let (mut a, mut b) = pair().await;
    assert!(a.buffer_capacity() <= IDLE_MAX && b.buffer_capacity() <= IDLE_MAX);
    const COUNT: usize = 10_000;
    let big = vec![3u8; 1 << 20];
    let sender = tokio::spawn(async move {
        a.send_all(vec![[7u8; 100]; COUNT]).await.unwrap();
        a.send(&big).await.unwrap();
        a
    });
    let mut got = Vec::new();
    while got.len() < COUNT + 1 {
        tokio::time::timeout(WAIT, b.recv_batch(&mut got, usize::MAX, None))
            .await
            .unwrap()
            .unwrap();
    }
    let mut a = sender.await.unwrap();
    assert_eq!(got.last().unwrap().len(), 1 << 20);
    drop(got);
    // The big message out of `b`, and one small exchange: both idle again.
    b.send(&vec![5u8; 1 << 20]).await.unwrap();
    assert_eq!(a.recv().await.unwrap().len(), 1 << 20);
    a.send(b"ping").await.unwrap();
    assert_eq!(&b.recv().await.unwrap()[..], b"ping");
    b.send(b"pong").await.unwrap();
    assert_eq!(&a.recv().await.unwrap()[..], b"pong");
    for (name, link) in [("sender", &mut a), ("receiver", &mut b)] {
        let held = link.buffer_capacity();
        assert!(held <= IDLE_MAX, "{name} holds {held} bytes");
    }
}

#[tokio::test]
async fn a_link_that_only_receives_holds_no_write_buffer() {
    let (mut a, mut b) = pair().await;
    a.send(b"hello").await.unwrap();
    assert_eq!(&b.recv().await.unwrap()[..], b"hello");
    assert!(b.buffer_capacity() <= 8 * 1024, "{}", b.buffer_capacity());
}
