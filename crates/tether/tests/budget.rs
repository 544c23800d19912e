//! `Options::budget`: async links that share a byte budget never hold more
//! than it (plus 8 KiB each) in unfinished frames, small messages still
//! pass, and a link stalled on the budget is closed by the frame timeout.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;
use std::time::Duration;

use tether::{AsyncLink, AsyncStream, Budget, Error, Options};

fn link(opts: &Options) -> (AsyncLink, std::os::unix::net::UnixStream) {
    let (ours, peer) = tokio::net::UnixStream::pair().expect("pair");
    let peer = peer.into_std().expect("std");
    peer.set_nonblocking(false).expect("blocking");
    let link = AsyncLink::from_stream(AsyncStream::Unix(ours), opts).expect("link");
    (link, peer)
}

#[tokio::test]
async fn links_that_share_a_budget_hold_no_more_than_it() {
    let budget = Budget::new(64 * 1024);
    let opts = Options::new()
        .budget(Some(budget.clone()))
        .frame_timeout(Some(Duration::from_millis(500)));
    let (mut big, mut big_peer) = link(&opts);
    let (mut small, mut small_peer) = link(&opts);
    // A 1 MiB frame, of which 512 KiB are sent (the rest never comes).
    let writer = std::thread::spawn(move || {
        big_peer.write_all(&(1u32 << 20).to_be_bytes()).unwrap();
        let _ = big_peer.write_all(&vec![7u8; 512 * 1024]);
        big_peer
    });
    let stalled = tokio::spawn(async move { big.recv().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(budget.used() <= budget.max(), "{} used", budget.used());
    assert!(budget.used() > 0, "the big frame took nothing");
    // The budget is spent, yet a small message of another link passes.
    small_peer.write_all(b"\0\0\0\x05hello").unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), small.recv())
        .await
        .expect("the small message waited")
        .unwrap();
    assert_eq!(&got[..], b"hello");
    // The stalled link is closed by the frame timeout and gives it all back.
    let e = tokio::time::timeout(Duration::from_secs(5), stalled)
        .await
        .expect("never closed")
        .unwrap()
        .expect_err("the frame never finished");
    assert!(matches!(e, Error::FrameTimeout { .. }), "{e}");
    assert_eq!(budget.used(), 0);
    drop(writer.join().unwrap());
}
