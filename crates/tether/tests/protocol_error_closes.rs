//! Issue 11, item 5: after the peer breaks the framing the link closes
//! the connection, and every later call says why.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use tether::{Error, Link, Options};

#[test]
fn a_frame_over_the_limit_closes_the_connection_and_later_calls_say_why() {
    let (ours, mut peer) = UnixStream::pair().expect("pair");
    let mut link = Link::from_unix(ours, &Options::new().max_frame_len(16)).expect("link");
    // A length prefix of 1,000 bytes against a 16-byte limit.
    peer.write_all(&1000u32.to_be_bytes()).expect("write");
    let first = link.recv().expect_err("over the limit");
    assert!(matches!(first, Error::Codec(_)), "{first}");
    // The peer sees the close (end of stream), not a silent hang.
    peer.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    let mut byte = [0u8; 1];
    assert_eq!(peer.read(&mut byte).expect("read"), 0);
    for later in [link.recv().map(|_| ()), link.send(b"x")] {
        let e = later.expect_err("still broken");
        assert_eq!(e.to_string(), first.to_string());
    }
}
