//! Loopback benchmarks of tether's blocking link against raw `std::net`
//! sockets, measured in the same run:
//! - `roundtrip/*`: one 4-byte message to an echo server and back, over TCP.
//! - `roundtrip_unpinned/*`: the same with both threads free to move, std
//!   blocking against tether busy-polling.
//! - `one_way_4B/*`: 100,000 4-byte messages, counted by a receiver that
//!   parses every frame (`recv`, or borrowing with `recv_each`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use tether::{Link, Listener, Options};

const MESSAGES: u64 = 100_000;
/// The length prefix of a frame.
const HEADER: usize = tether::proto::LENGTH_PREFIX_LEN;
/// What the raw receiver reads per call, and the raw sender's batch.
const CHUNK: usize = 64 * 1024;

/// Pins the calling thread to one CPU. Round trips run both ends on CPU 0:
/// on a small VM a wake-up across CPUs costs tens of microseconds, by
/// chance, and would swamp the difference being measured.
fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; the calls only read it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Raw std::net echo server for 4-byte length-prefixed frames.
fn raw_echo_server() -> String {
    raw_echo_server_on(true)
}

fn raw_echo_server_unpinned() -> String {
    raw_echo_server_on(false)
}

fn raw_echo_server_on(pinned: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        if pinned {
            pin_to(0);
        }
        let (mut s, _) = listener.accept().unwrap();
        s.set_nodelay(true).unwrap();
        let mut frame = [0u8; HEADER + 4];
        while s.read_exact(&mut frame).is_ok() {
            if s.write_all(&frame).is_err() {
                break;
            }
        }
    });
    addr
}

/// Lets the calling thread run on any CPU again.
fn unpin() {
    // SAFETY: as in `pin_to`.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for cpu in 0..libc::CPU_SETSIZE as usize {
            libc::CPU_SET(cpu, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn tether_echo_server() -> tether::Endpoint {
    tether_echo_server_with(&Options::default(), true)
}

fn tether_echo_server_with(options: &Options, pinned: bool) -> tether::Endpoint {
    let listener = Listener::bind_with("tcp://127.0.0.1:0", options).unwrap();
    let ep = listener.local_addr().unwrap();
    thread::spawn(move || {
        if pinned {
            pin_to(0);
        }
        let mut link = listener.accept().unwrap();
        while let Ok(msg) = link.recv() {
            if link.send(&msg).is_err() {
                break;
            }
        }
    });
    ep
}

fn roundtrip(c: &mut Criterion) {
    let mut group = c.benchmark_group("roundtrip");
    group.measurement_time(Duration::from_secs(5));
    pin_to(0);

    let addr = raw_echo_server();
    let mut raw = TcpStream::connect(&addr).unwrap();
    raw.set_nodelay(true).unwrap();
    group.bench_function("std_net_4B", |b| {
        let mut frame = [0u8, 0, 0, 4, 0, 1, 1, 0];
        b.iter(|| {
            raw.write_all(&frame).unwrap();
            raw.read_exact(&mut frame).unwrap();
        });
    });

    // What tether's small-frame path saves: the same round trip with the
    // header and payload in two slices of one `writev`.
    let addr = raw_echo_server();
    let mut raw = TcpStream::connect(&addr).unwrap();
    raw.set_nodelay(true).unwrap();
    group.bench_function("std_net_writev_4B", |b| {
        let header = 4u32.to_be_bytes();
        let payload = [0u8, 1, 1, 0];
        let mut back = [0u8; HEADER + 4];
        b.iter(|| {
            let parts = [IoSlice::new(&header), IoSlice::new(&payload)];
            assert_eq!(raw.write_vectored(&parts).unwrap(), HEADER + 4);
            raw.read_exact(&mut back).unwrap();
        });
    });

    let ep = tether_echo_server();
    let mut link = Link::connect(&ep).unwrap();
    group.bench_function("tether_4B", |b| {
        b.iter(|| {
            link.send(&[0, 1, 1, 0]).unwrap();
            std::hint::black_box(link.recv().unwrap());
        });
    });

    let ep = tether_echo_server();
    let mut link = Link::connect(&ep).unwrap();
    group.bench_function("tether_request_4B", |b| {
        b.iter(|| std::hint::black_box(link.request(&[0, 1, 1, 0], None).unwrap()));
    });
    group.finish();
}

/// Round trips with both threads free to run on any CPU, where the
/// wake-up dominates: blocking std::net against tether busy-polling 50 µs
/// at both ends.
fn roundtrip_unpinned(c: &mut Criterion) {
    unpin();
    let mut group = c.benchmark_group("roundtrip_unpinned");
    group.measurement_time(Duration::from_secs(5));
    let addr = raw_echo_server_unpinned();
    let mut raw = TcpStream::connect(&addr).unwrap();
    raw.set_nodelay(true).unwrap();
    group.bench_function("std_net_4B", |b| {
        let mut frame = [0u8, 0, 0, 4, 0, 1, 1, 0];
        b.iter(|| {
            raw.write_all(&frame).unwrap();
            raw.read_exact(&mut frame).unwrap();
        });
    });
    let busy = Options::new().busy_poll(Duration::from_micros(50));
    let ep = tether_echo_server_with(&busy, false);
    let mut link = Link::connect_with(&ep, &busy).unwrap();
    group.bench_function("tether_busy_poll_4B", |b| {
        b.iter(|| std::hint::black_box(link.request(&[0, 1, 1, 0], None).unwrap()));
    });
    group.finish();
}

/// A receiver that counts `MESSAGES` parsed frames per round and reports,
/// taking each as a `Bytes` (`recv`) or borrowing them (`recv_each`).
fn tether_counter() -> Counter {
    counter(false)
}

fn borrowing_counter() -> Counter {
    counter(true)
}

fn counter(borrowing: bool) -> Counter {
    let listener = Listener::bind("tcp://127.0.0.1:0").unwrap();
    let ep = listener.local_addr().unwrap();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        pin_to(0);
        let mut link = listener.accept().unwrap();
        while go_rx.recv().is_ok() {
            let mut bytes = 0u64;
            if borrowing {
                let mut count = 0;
                while count < MESSAGES {
                    let left = (MESSAGES - count) as usize;
                    count += link
                        .recv_each(left, None, |m| bytes += m.len() as u64)
                        .unwrap() as u64;
                }
            } else {
                for _ in 0..MESSAGES {
                    bytes += link.recv().unwrap().len() as u64;
                }
            }
            done_tx.send(bytes).unwrap();
        }
    });
    (ep, go_tx, done_rx)
}

/// The raw equivalent: reads big chunks and parses length prefixes by hand.
fn raw_counter() -> (String, mpsc::Sender<()>, mpsc::Receiver<u64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        pin_to(0);
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; CHUNK];
        let (mut start, mut end) = (0usize, 0usize);
        while go_rx.recv().is_ok() {
            let mut count = 0;
            let mut bytes = 0u64;
            while count < MESSAGES {
                if end - start < HEADER
                    || end - start
                        < HEADER
                            + u32::from_be_bytes(buf[start..start + HEADER].try_into().unwrap())
                                as usize
                {
                    buf.copy_within(start..end, 0);
                    end -= start;
                    start = 0;
                    end += s.read(&mut buf[end..]).unwrap();
                    continue;
                }
                let len =
                    u32::from_be_bytes(buf[start..start + HEADER].try_into().unwrap()) as usize;
                bytes += len as u64;
                start += HEADER + len;
                count += 1;
            }
            done_tx.send(bytes).unwrap();
        }
    });
    (addr, go_tx, done_rx)
}

/// A counting receiver: its endpoint, the go signal, and the bytes it
/// counted once all messages arrived.
type Counter = (tether::Endpoint, mpsc::Sender<()>, mpsc::Receiver<u64>);

/// Times `MESSAGES` 4-byte messages written with `write` (`Link::feed` or
/// `Link::send`) to a counting receiver, then a flush when `flush` says.
fn count_sends(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    mut link: Link,
    (_, go, done): &Counter,
    write: fn(&mut Link, &[u8]) -> tether::Result<()>,
    flush: bool,
) {
    group.bench_function(name, |b| {
        b.iter(|| {
            go.send(()).unwrap();
            for i in 0..MESSAGES as u32 {
                write(&mut link, &i.to_le_bytes()).unwrap();
            }
            if flush {
                link.flush().unwrap();
            }
            done.recv().unwrap()
        });
    });
}

fn one_way(c: &mut Criterion) {
    // Sender and receiver on separate CPUs, as two busy processes would be.
    pin_to(1);
    let mut group = c.benchmark_group("one_way_4B");
    group.throughput(Throughput::Elements(MESSAGES));
    group.measurement_time(Duration::from_secs(5));
    group.sample_size(20);

    let (addr, go, done) = raw_counter();
    let mut raw = TcpStream::connect(&addr).unwrap();
    raw.set_nodelay(true).unwrap();
    let mut batch = Vec::with_capacity(CHUNK);
    group.bench_function("std_net_batch", |b| {
        b.iter(|| {
            go.send(()).unwrap();
            for i in 0..MESSAGES as u32 {
                batch.extend_from_slice(&4u32.to_be_bytes());
                batch.extend_from_slice(&i.to_le_bytes());
                if batch.len() >= CHUNK {
                    raw.write_all(&batch).unwrap();
                    batch.clear();
                }
            }
            raw.write_all(&batch).unwrap();
            batch.clear();
            done.recv().unwrap()
        });
    });

    let counter = tether_counter();
    let link = Link::connect(&counter.0).unwrap();
    count_sends(
        &mut group,
        "tether_feed_flush",
        link,
        &counter,
        Link::feed,
        true,
    );

    let counter = borrowing_counter();
    let link = Link::connect(&counter.0).unwrap();
    let name = "tether_feed_flush_recv_each";
    count_sends(&mut group, name, link, &counter, Link::feed, true);

    let counter = tether_counter();
    let link = Link::connect(&counter.0).unwrap();
    let name = "tether_send_linger_default";
    count_sends(&mut group, name, link, &counter, Link::send, true);

    let counter = tether_counter();
    let link = Link::connect_with(&counter.0, &Options::new().linger(Duration::ZERO)).unwrap();
    group.sample_size(10);
    count_sends(
        &mut group,
        "tether_send_linger_0",
        link,
        &counter,
        Link::send,
        false,
    );
    group.finish();
}

criterion_group!(benches, roundtrip, roundtrip_unpinned, one_way);
criterion_main!(benches);
