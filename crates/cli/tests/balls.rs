//! `tether balls` as a user runs it: peers in child processes, one killed
//! while balls are in flight to it; the textbook's programs both ways.

#![allow(clippy::unwrap_used)]
mod balls_support;

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use balls_support::{held_at_end, ids, spawn};
use serde_json::Value;

fn fast(name: &str, balls: &str, secs: &str) -> Vec<String> {
    [
        "--listen",
        "tcp://127.0.0.1:0",
        "--balls",
        balls,
        "--speed",
        "6",
        "--for",
        secs,
        "--name",
        name,
    ]
    .map(String::from)
    .to_vec()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn a_killed_peer_loses_only_its_own_balls_and_its_neighbours_reconnect() {
    let c = spawn(&args(&fast("C", "4", "9s")));
    let c_at = c.endpoint();
    let mut b_args = fast("B", "4", "60s");
    b_args.extend(["--right".into(), c_at.clone()]);
    let b = spawn(&args(&b_args));
    let b_at = b.endpoint();
    let mut a_args = fast("A", "4", "9s");
    a_args.extend(["--right".into(), b_at.clone()]);
    let a = spawn(&args(&a_args));
    a.wait_for("A's right link", |v| {
        v["event"] == "neighbour_up" && v["side"] == "right"
    });
    c.wait_for("C's left link", |v| {
        v["event"] == "neighbour_up" && v["side"] == "left"
    });
    thread::sleep(Duration::from_millis(1500));
    // Stopped, B acks nothing: what A and C send it now stays in flight.
    b.signal(libc::SIGSTOP);
    thread::sleep(Duration::from_millis(700));
    let b1 = b.kill(libc::SIGKILL);
    thread::sleep(Duration::from_millis(500));
    let mut b2_args = fast("B2", "0", "4s");
    b2_args[1] = b_at.clone();
    b2_args.extend(["--right".into(), c_at]);
    let b2 = spawn(&args(&b2_args));
    let (a, c, b2) = (a.finish(), c.finish(), b2.finish());
    assert_no_ball_lost_or_doubled(&a, &b1, &c, &b2);
    let bounced = ids(&a, "bounced").len() + ids(&c, "bounced").len();
    assert!(bounced > 0, "no ball was in flight to the stopped peer");
    let ups = |log: &[Value], side: &str| {
        log.iter()
            .filter(|v| v["event"] == "neighbour_up" && v["side"] == side)
            .count()
    };
    assert!(
        ups(&a, "right") >= 2,
        "A did not reconnect to the restarted peer"
    );
    assert!(
        ups(&c, "left") >= 2,
        "the restarted peer did not connect to C"
    );
    assert!(
        !ids(&b2, "received").is_empty(),
        "no ball reached the restarted peer"
    );
}

/// Every ball created is held exactly once at the end, except those the
/// killed peer `b1` had; none of those was sent by a survivor and left
/// unacknowledged without a bounce.
fn assert_no_ball_lost_or_doubled(a: &[Value], b1: &[Value], c: &[Value], b2: &[Value]) {
    let mut created: HashSet<u64> = HashSet::new();
    for log in [a, b1, c, b2] {
        created.extend(ids(log, "created"));
    }
    let mut count: HashMap<u64, usize> = HashMap::new();
    for log in [a, c, b2] {
        for id in held_at_end(log) {
            *count.entry(id).or_default() += 1;
        }
    }
    assert!(count.values().all(|n| *n == 1), "duplicated: {count:?}");
    let b1_had: HashSet<u64> = ids(b1, "created")
        .into_iter()
        .chain(ids(b1, "received"))
        .collect();
    for id in created.iter().filter(|id| !count.contains_key(id)) {
        assert!(
            b1_had.contains(id),
            "ball {id} lost, and the killed peer never had it"
        );
        for log in [a, c] {
            let last = log
                .iter()
                .filter(|v| v["ball"]["id"].as_u64() == Some(*id))
                .rfind(|v| {
                    ["sent", "acknowledged", "bounced", "received"]
                        .contains(&v["event"].as_str().unwrap_or(""))
                });
            if let Some(last) = last {
                assert_ne!(
                    last["event"], "sent",
                    "ball {id} sent, never acknowledged, not bounced: lost"
                );
            }
        }
    }
}

/// What the textbook's programs do to send: connect, send the text, close.
fn textbook_send(to: &str, text: &str) {
    let addr = to.strip_prefix("tcp://").unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(text.as_bytes()).unwrap();
}

#[test]
fn the_textbook_format_both_ways() {
    // The test is the textbook's left-hand program: it listens for balls.
    let left = TcpListener::bind("127.0.0.1:0").unwrap();
    let left_at = format!("tcp://{}", left.local_addr().unwrap());
    let peer = spawn(&[
        "--textbook",
        "right",
        "--listen",
        "tcp://127.0.0.1:0",
        "--left",
        &left_at,
        "--balls",
        "0",
        "--for",
        "6s",
    ]);
    let ours = peer.endpoint();
    textbook_send(&ours, "10,300,30,-3,20,255,0,128");
    textbook_send(&ours, "10,200,25,4,15,0,255,0\n");
    textbook_send(&ours, "10,200,x");
    let got = peer.wait_for("the first ball", |v| {
        v["event"] == "received" && v["ball"]["colour"][0] == 255
    });
    assert!((got["ball"]["radius"].as_f64().unwrap() - 20.0 / 600.0).abs() < 1e-9);
    assert!(
        (got["ball"]["vx"].as_f64().unwrap() - 3.0).abs() < 1e-9,
        "30 px/frame at 60 fps on 600 px"
    );
    peer.wait_for("the ball with a newline", |v| {
        v["event"] == "received" && v["ball"]["colour"][1] == 255
    });
    let refused = peer.wait_for("the refusal", |v| v["event"] == "refused");
    assert!(
        refused["reason"].as_str().unwrap().contains("3 fields"),
        "{refused}"
    );
    // The balls bounce off the right wall and leave by the left edge: what
    // the textbook's receiver does is one read, then split on commas.
    left.set_nonblocking(false).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = 0;
    while seen < 2 && Instant::now() < deadline {
        let (mut s, _) = left.accept().unwrap();
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf).unwrap();
        let text = std::str::from_utf8(&buf[..n]).unwrap();
        let fields: Vec<i64> = text.split(',').map(|f| f.parse().unwrap()).collect();
        assert_eq!(fields.len(), 8, "{text}");
        assert!(fields[2] < 0, "moving left: {text}");
        assert!(fields[4] == 20 || fields[4] == 15, "{text}");
        seen += 1;
    }
    assert_eq!(seen, 2);
    let events = peer.finish();
    assert_eq!(ids(&events, "acknowledged").len(), 2);
    assert!(ids(&events, "bounced").is_empty());
}

#[test]
fn a_textbook_ball_that_cannot_be_delivered_bounces_back() {
    let gone = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("tcp://{}", gone.local_addr().unwrap());
    drop(gone);
    let peer = spawn(&[
        "--textbook",
        "left",
        "--listen",
        "tcp://127.0.0.1:0",
        "--right",
        &target,
        "--balls",
        "3",
        "--speed",
        "8",
        "--for",
        "3s",
    ]);
    let events = peer.finish();
    assert!(!ids(&events, "bounced").is_empty(), "no ball bounced back");
    assert_eq!(held_at_end(&events).len(), 3);
}
