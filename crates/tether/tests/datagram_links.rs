//! UDP links on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use tether::{DatagramLink, Error};

#[test]
fn udp_round_trip_and_limits() {
    let mut server = DatagramLink::bind("udp://127.0.0.1:0").unwrap();
    let ep = server.local_addr().unwrap();
    let mut client = DatagramLink::connect(&ep).unwrap();
    client.send(b"ping").unwrap();
    let (msg, from) = server
        .recv_from_timeout(Duration::from_secs(5))
        .unwrap()
        .unwrap();
    assert_eq!(&msg[..], b"ping");
    server.send_to(b"pong", from).unwrap();
    assert_eq!(&client.recv().unwrap()[..], b"pong");
    client.send(b"").unwrap();
    assert_eq!(server.recv().unwrap().len(), 0);
    let max = vec![7u8; 65_507];
    client.send(&max).unwrap();
    assert_eq!(server.recv().unwrap().len(), 65_507);
    match client.send(&vec![0u8; 65_508]) {
        Err(Error::DatagramTooLarge {
            len: 65_508,
            max: 65_507,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(server.try_recv().unwrap().is_none());
    assert!(server
        .recv_timeout(Duration::from_millis(10))
        .unwrap()
        .is_none());
}

#[test]
fn wrong_scheme_is_explained() {
    let err = DatagramLink::bind("tcp://127.0.0.1:0").unwrap_err();
    assert_eq!(
        err.to_string(),
        "tcp://127.0.0.1:0 is not a udp:// endpoint; use Link for tcp:// and unix://"
    );
}

#[test]
fn long_udp_timeouts_wait_in_the_kernel_and_still_deliver() {
    let mut server = DatagramLink::bind("udp://127.0.0.1:0").unwrap();
    let ep = server.local_addr().unwrap();
    let t = std::time::Instant::now();
    assert!(server
        .recv_timeout(Duration::from_millis(60))
        .unwrap()
        .is_none());
    assert!(t.elapsed() >= Duration::from_millis(55));
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        let mut c = DatagramLink::connect(&ep).unwrap();
        c.send(b"later").unwrap();
    });
    let got = server.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(got.as_deref(), Some(&b"later"[..]));
    sender.join().unwrap();
    // An untimed recv after a timed one must not inherit the timeout.
    server.set_nonblocking(true).unwrap();
    assert!(matches!(server.recv(), Err(Error::WouldBlock)));
}
