//! A ring of peers in this process over real loopback links: balls cross
//! from screen to screen and none is lost or duplicated.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::thread;
use std::time::{Duration, Instant};

use tether_balls::net::ring::Ring;
use tether_balls::net::Transport;
use tether_balls::rng::Rng;
use tether_balls::{EventKind, Peer};

struct Node {
    peer: Peer,
    ring: Ring,
}

fn ring_of(n: usize, balls: usize) -> Vec<Node> {
    let rings: Vec<Ring> = (0..n)
        .map(|_| Ring::bind("tcp://127.0.0.1:0").unwrap())
        .collect();
    let addrs: Vec<String> = rings.iter().map(|r| r.listen_addr()).collect();
    rings
        .into_iter()
        .enumerate()
        .map(|(i, mut ring)| {
            ring.connect_right(&addrs[(i + 1) % n]).unwrap();
            // Narrow screens and fast balls: many handoffs a second.
            let mut peer = Peer::new(&format!("p{i}"), i as u32 + 1, 0.3, Rng::new(i as u64 + 1));
            peer.speed = 12.0;
            for _ in 0..balls {
                peer.add_ball(Duration::ZERO);
            }
            Node { peer, ring }
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    created: Vec<u64>,
    sent: usize,
    acked: usize,
    bounced: usize,
}

/// Runs every node until `enough` handoffs were sent or 20 s pass; with
/// `step` false it only pumps the network (the last acks arrive) for 0.5 s.
fn drive(nodes: &mut [Node], start: Instant, step: bool, enough: usize, tally: &mut Tally) {
    let deadline = Instant::now()
        + if step {
            Duration::from_secs(20)
        } else {
            Duration::from_millis(500)
        };
    while Instant::now() < deadline && !(step && tally.sent >= enough) {
        let now = start.elapsed();
        for node in nodes.iter_mut() {
            node.ring.pump(&mut node.peer, now);
            if step {
                for out in node.peer.tick(now) {
                    node.ring.send(&mut node.peer, out, now);
                }
            }
            for event in node.peer.take_events() {
                match event.kind {
                    EventKind::Created { ball } => tally.created.push(ball.id),
                    EventKind::Sent { .. } => tally.sent += 1,
                    EventKind::Acknowledged { .. } => tally.acked += 1,
                    EventKind::Bounced { .. } => tally.bounced += 1,
                    _ => {}
                }
            }
        }
        thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_ring_of_five_passes_a_thousand_handoffs_and_keeps_every_ball() {
    let mut nodes = ring_of(5, 6);
    let start = Instant::now();
    let mut tally = Tally::default();
    drive(&mut nodes, start, true, 1000, &mut tally);
    drive(&mut nodes, start, false, 0, &mut tally);
    assert!(tally.sent >= 1000, "only {} handoffs in 20 s", tally.sent);
    assert_eq!(tally.bounced, 0, "a ball bounced back in a healthy ring");
    assert_eq!(tally.acked, tally.sent, "every handoff acknowledged");
    assert_eq!(tally.created.len(), 30);
    let mut census: HashMap<u64, usize> = HashMap::new();
    for node in &nodes {
        for id in node.peer.held() {
            *census.entry(id).or_default() += 1;
        }
    }
    for id in &tally.created {
        assert_eq!(census.get(id), Some(&1), "ball {id:#x} lost or duplicated");
    }
    assert_eq!(census.len(), 30, "a ball from nowhere");
}
