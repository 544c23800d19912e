//! Garbage: 200 connections of random bytes, oversized or lying length
//! prefixes and stalled half-frames, interleaved with well-formed clients.
//! Every well-formed message is printed, the listener keeps running, and its
//! resident memory stays bounded.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "listen_send_support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::{listen, WAIT};

const GARBAGE_CONNECTIONS: usize = 200;
const GOOD_CLIENTS: usize = 40;
const GOOD_MESSAGES_EACH: usize = 5;
const RSS_LIMIT_KIB: u64 = 200 * 1024;

/// Resident set size of a process, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// One hostile connection, chosen by `kind`.
fn garbage(addr: &str, kind: usize, rng: &mut fastrand::Rng) -> Option<TcpStream> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let result = match kind % 4 {
        // Random bytes: almost always a length far over the limit.
        0 => {
            let n = rng.usize(1..64 * 1024);
            let bytes: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(n).collect();
            s.write_all(&bytes)
        }
        // A prefix just over the 16 MiB limit, then a little data.
        1 => s.write_all(&[0x01, 0x00, 0x00, 0x01, 1, 2, 3]),
        // The largest prefix there is.
        2 => s.write_all(&[0xff; 4]),
        // A prefix under the limit (15 MiB) and only part of the frame,
        // then the connection stays open: a stalled half-frame.
        _ => {
            let mut bytes = vec![0x00, 0xf0, 0x00, 0x00];
            bytes.resize(4 + 100_000, 0xaa);
            s.write_all(&bytes)
        }
    };
    // Some writes fail once the listener drops the connection: expected.
    let _ = result;
    (kind % 4 == 3).then_some(s)
}

#[test]
fn garbage_never_stops_good_clients() {
    let mut l = listen("tcp://127.0.0.1:0", &[]);
    let addr = l.addr();
    let pid = l.pid();
    let mut rng = fastrand::Rng::with_seed(0x7e7e);
    let mut stalled = Vec::new();
    let mut expected = BTreeSet::new();
    let mut max_rss = 0;
    let started = Instant::now();

    let per_good = GARBAGE_CONNECTIONS / GOOD_CLIENTS;
    for i in 0..GARBAGE_CONNECTIONS {
        if let Some(s) = garbage(&addr, i, &mut rng) {
            stalled.push(s);
        }
        if i % per_good == 0 {
            let client = i / per_good;
            let mut link = tether::Link::connect(format!("tcp://{addr}").as_str()).unwrap();
            for j in 0..GOOD_MESSAGES_EACH {
                let msg = format!("good-{client}-{j}");
                link.send(msg.as_bytes()).unwrap();
                expected.insert(msg);
            }
            link.flush().unwrap();
        }
        if i % 20 == 0 {
            max_rss = max_rss.max(rss_kib(pid));
        }
        assert!(started.elapsed() < WAIT, "garbage phase took too long");
    }

    // Every good message is printed, whatever came around it.
    let mut seen = BTreeSet::new();
    let deadline = Instant::now() + WAIT;
    while seen.len() < expected.len() && Instant::now() < deadline {
        if let Some(line) = l.line_within(Duration::from_millis(200)) {
            if let Some(msg) = line.rsplit(' ').next() {
                if msg.starts_with("good-") {
                    seen.insert(msg.to_owned());
                }
            }
        }
    }
    assert_eq!(seen, expected);
    max_rss = max_rss.max(rss_kib(pid));
    assert!(l.running(), "the listener exited: {}", l.stderr());
    eprintln!(
        "listener peak RSS {max_rss} KiB, {} stalled half-frames held open",
        stalled.len()
    );
    assert!(
        max_rss < RSS_LIMIT_KIB,
        "listener RSS reached {max_rss} KiB with {} stalled half-frames",
        stalled.len()
    );

    // It logged the bad frames and dropped those connections.
    let stderr = l.stderr();
    assert!(stderr.contains("exceeds the 16 MiB limit; connection dropped"));

    drop(stalled);
    l.interrupt();
    let (status, stderr) = l.wait();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("dropped for bad framing"), "{stderr}");
}

/// Issue 11, item 7: one stderr line per bad peer made 1,000 lines for
/// 1,000 peers. Now each second prints its first few whole and sums up
/// the rest; every peer is still accounted for.
#[test]
fn a_thousand_bad_peers_make_a_handful_of_lines() {
    const BAD: usize = 1000;
    let mut l = listen("tcp://127.0.0.1:0", &[]);
    for _ in 0..BAD / 250 {
        let peers: Vec<TcpStream> = (0..250)
            .map(|_| {
                let mut s = TcpStream::connect(l.addr()).unwrap();
                s.write_all(&[0xff; 4]).unwrap();
                s
            })
            .collect();
        // The listener drops each: wait for its close.
        for mut s in peers {
            s.set_read_timeout(Some(WAIT)).unwrap();
            let _ = std::io::Read::read(&mut s, &mut [0u8; 16]);
        }
    }
    l.interrupt();
    let (status, stderr) = l.wait();
    assert!(status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() <= 40, "{} lines:\n{stderr}", lines.len());
    assert!(stderr.contains("exceeds the 16 MiB limit; connection dropped"));
    // Whole lines where few came in a second, a sum where many did.
    let (mut whole, mut summed, mut windows_summed) = (0, 0, 0);
    for line in &lines {
        if line.ends_with("; connection dropped") {
            whole += 1;
        } else if let Some(n) = line.strip_prefix("tether: ").and_then(|l| {
            l.strip_suffix(" peers dropped in the last second: frame over the 16 MiB limit")
        }) {
            summed += n.replace(',', "").parse::<usize>().unwrap();
            windows_summed += 1;
        }
    }
    assert!(windows_summed > 0, "{stderr}");
    // A summed window's total includes the 3 whole lines it printed first.
    assert_eq!(summed + whole - 3 * windows_summed, BAD, "{stderr}");
    assert!(
        stderr.contains("1000 connections dropped for bad framing"),
        "{stderr}"
    );
}
