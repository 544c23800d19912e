//! The fast path: borrowing batch receive, request, busy polling, buffers
//! that shrink back after a burst, big frames read whole.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use tether::{Error, Framing, Link, Options};

const WAIT: Option<Duration> = Some(Duration::from_secs(5));

#[test]
fn recv_each_lends_every_buffered_message_in_order() {
    let (mut a, mut b) = Link::pair(&Options::default()).unwrap();
    let msgs: Vec<Vec<u8>> = (0u32..1000).map(|i| i.to_be_bytes().to_vec()).collect();
    a.send_all(&msgs).unwrap();
    let mut got = Vec::new();
    while got.len() < msgs.len() {
        let n = b
            .recv_each(usize::MAX, WAIT, |m| got.push(m.to_vec()))
            .unwrap();
        assert!(n > 0, "timed out after {} messages", got.len());
    }
    assert_eq!(got, msgs);
}

#[test]
fn recv_each_stops_at_max_and_keeps_the_rest() {
    let (mut a, mut b) = Link::pair(&Options::default()).unwrap();
    a.send_all([b"1", b"2", b"3"]).unwrap();
    let mut got = Vec::new();
    assert_eq!(b.recv_each(2, WAIT, |m| got.push(m.to_vec())).unwrap(), 2);
    assert_eq!(b.recv().unwrap(), &b"3"[..]);
    assert_eq!(got, [b"1".to_vec(), b"2".to_vec()]);
    assert_eq!(b.recv_each(0, WAIT, |_| unreachable!()).unwrap(), 0);
}

#[test]
fn recv_each_times_out_with_zero() {
    let (_a, mut b) = Link::pair(&Options::default()).unwrap();
    let n = b
        .recv_each(10, Some(Duration::from_millis(5)), |_| unreachable!())
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn recv_each_leaves_a_bad_frame_for_the_next_call() {
    let (raw, peer) = UnixStream::pair().unwrap();
    let mut b = Link::from_unix(peer, &Options::new().max_frame_len(8)).unwrap();
    let mut raw = raw;
    raw.write_all(b"\x00\x00\x00\x02ok\x00\x00\x01\x00")
        .unwrap();
    let mut got = Vec::new();
    assert_eq!(b.recv_each(10, WAIT, |m| got.push(m.to_vec())).unwrap(), 1);
    assert_eq!(got, [b"ok".to_vec()]);
    assert!(matches!(
        b.recv_each(10, WAIT, |_| {}),
        Err(Error::Codec(_))
    ));
}

#[test]
fn recv_each_on_lines_gives_the_last_unterminated_line_at_close() {
    let opts = Options::new().framing(Framing::Line);
    let (raw, peer) = UnixStream::pair().unwrap();
    let mut b = Link::from_unix(peer, &opts).unwrap();
    let mut raw = raw;
    raw.write_all(b"one\ntw").unwrap();
    let mut got = Vec::new();
    b.recv_each(10, WAIT, |m| got.push(m.to_vec())).unwrap();
    raw.write_all(b"o\nthree").unwrap();
    drop(raw);
    b.recv_each(10, WAIT, |m| got.push(m.to_vec())).unwrap();
    b.recv_each(10, WAIT, |m| got.push(m.to_vec())).unwrap();
    assert_eq!(got, [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]);
    assert!(matches!(b.recv_each(10, WAIT, |_| {}), Err(Error::Closed)));
}

#[test]
fn request_sends_and_waits_for_the_reply() {
    let (mut a, mut b) = Link::pair(&Options::default()).unwrap();
    let echo = std::thread::spawn(move || {
        for _ in 0..100 {
            let msg = b.recv().unwrap();
            b.send(&msg).unwrap();
        }
        b
    });
    for i in 0u32..100 {
        let reply = a.request(&i.to_le_bytes(), WAIT).unwrap().unwrap();
        assert_eq!(reply, &i.to_le_bytes()[..]);
    }
    let _b = echo.join().unwrap();
    let none = a.request(b"x", Some(Duration::from_millis(5))).unwrap();
    assert!(none.is_none());
}

#[test]
fn busy_polling_receives_the_same_messages() {
    let opts = Options::new().busy_poll(Duration::from_micros(50));
    let (mut a, mut b) = Link::pair(&opts).unwrap();
    assert_eq!(b.busy_poll(), Duration::from_micros(50));
    let echo = std::thread::spawn(move || {
        while let Ok(msg) = b.recv() {
            b.send(&msg).unwrap();
        }
    });
    for i in 0u32..200 {
        let reply = a.request(&i.to_le_bytes(), WAIT).unwrap().unwrap();
        assert_eq!(reply, &i.to_le_bytes()[..]);
    }
    a.set_busy_poll(Duration::ZERO);
    assert_eq!(a.request(b"z", WAIT).unwrap().unwrap(), &b"z"[..]);
    drop(a);
    echo.join().unwrap();
}

#[test]
fn an_idle_link_gives_back_its_burst_buffer() {
    let (mut a, mut b) = Link::pair(&Options::new().linger(Duration::ZERO)).unwrap();
    assert!(b.buffer_capacity() <= 16 * 1024);
    const COUNT: usize = 10_000;
    let sender = std::thread::spawn(move || {
        let burst = [7u8; 100];
        a.send_all(vec![&burst[..]; COUNT]).unwrap();
        a
    });
    let mut n = 0;
    while n < COUNT {
        let got = b.recv_each(usize::MAX, WAIT, |_| {}).unwrap();
        assert!(got > 0, "timed out after {n}");
        n += got;
    }
    let mut a = sender.join().unwrap();
    assert_eq!(b.buffered_len(), 0);
    // One small exchange after the burst: the link is idle again.
    a.send(b"ping").unwrap();
    assert_eq!(b.recv().unwrap(), &b"ping"[..]);
    assert!(
        b.buffer_capacity() <= 16 * 1024,
        "holds {} bytes",
        b.buffer_capacity()
    );
}

#[test]
fn a_big_frame_arrives_whole() {
    let (mut a, mut b) = Link::pair(&Options::default()).unwrap();
    let big: Vec<u8> = (0..3 << 20).map(|i: u32| i as u8).collect();
    let sent = big.clone();
    let writer = std::thread::spawn(move || {
        a.send(&sent).unwrap();
        a.send(b"after").unwrap();
        a
    });
    assert_eq!(b.recv().unwrap(), &big[..]);
    assert_eq!(b.recv().unwrap(), &b"after"[..]);
    drop(writer.join().unwrap());
}
