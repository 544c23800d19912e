use std::collections::HashMap;
use std::time::Duration;

use super::*;

/// A ring of peers wired in memory: what one sends over its right link
/// arrives over the next one's left link, after `delay_ticks` ticks.
struct Ring {
    peers: Vec<Peer>,
    wire: Vec<(usize, usize, Side, Message)>, // (due tick, to, side, message)
}

impl Ring {
    fn new(n: usize, balls: usize) -> Ring {
        let peers: Vec<Peer> = (0..n)
            .map(|i| Peer::new(&format!("p{i}"), i as u32 + 1, 1.3, Rng::new(i as u64 + 7)))
            .collect();
        let mut ring = Ring {
            peers,
            wire: Vec::new(),
        };
        for i in 0..n {
            for _ in 0..balls {
                ring.peers[i].add_ball(Duration::ZERO);
            }
            for side in Side::BOTH {
                let hello = ring.peers[i].connected(side, "mem");
                ring.send(i, hello, 0);
            }
        }
        ring
    }

    fn neighbour(&self, from: usize, side: Side) -> (usize, Side) {
        let n = self.peers.len();
        match side {
            Side::Right => ((from + 1) % n, Side::Left),
            Side::Left => ((from + n - 1) % n, Side::Right),
        }
    }

    fn run(&mut self, ticks: usize, dead: Option<usize>) -> usize {
        let mut handoffs = 0;
        for tick in 0..ticks {
            let now = Duration::from_millis(tick as u64 * 16);
            let due: Vec<_> = self.wire.iter().filter(|w| w.0 <= tick).copied().collect();
            self.wire.retain(|w| w.0 > tick);
            for (_, to, side, msg) in due {
                if Some(to) == dead {
                    continue;
                }
                for reply in self.peers[to].receive(side, msg, now) {
                    self.send(to, reply, tick);
                }
            }
            for i in 0..self.peers.len() {
                if Some(i) == dead {
                    continue;
                }
                for out in self.peers[i].tick(now) {
                    handoffs += 1;
                    self.send(i, out, tick);
                }
            }
        }
        handoffs
    }

    fn send(&mut self, from: usize, out: Output, tick: usize) {
        let Output::Send { side, message } = out else {
            return;
        };
        let (to, side) = self.neighbour(from, side);
        let bytes = message.encode();
        let msg = Message::decode(&bytes).unwrap();
        self.wire.push((tick + 2, to, side, msg));
    }

    fn census(&self, skip: Option<usize>) -> HashMap<u64, usize> {
        let mut seen = HashMap::new();
        for (i, p) in self.peers.iter().enumerate() {
            if Some(i) == skip {
                continue;
            }
            for id in p.held() {
                *seen.entry(id).or_insert(0) += 1;
            }
        }
        seen
    }
}

#[test]
fn a_ring_in_memory_conserves_every_ball() {
    let mut ring = Ring::new(4, 5);
    let handoffs = ring.run(3000, None);
    assert!(handoffs > 100, "only {handoffs} handoffs");
    ring.run(10, None);
    let census = ring.census(None);
    assert_eq!(census.len(), 20);
    assert!(census.values().all(|n| *n == 1), "{census:?}");
}

#[test]
fn balls_in_flight_to_a_dead_peer_bounce_back() {
    let mut ring = Ring::new(3, 6);
    ring.run(500, None);
    // Peer 1 dies: nothing more reaches it, and its neighbours see the
    // links go down after balls were already sent to it.
    ring.run(40, Some(1));
    let lost_with_it: Vec<u64> = ring.peers[1].held();
    for (i, side) in [(0, Side::Right), (2, Side::Left)] {
        ring.peers[i].link_down(side, "killed", Duration::from_secs(100));
    }
    ring.wire.clear();
    ring.run(500, Some(1));
    let census = ring.census(Some(1));
    assert!(census.values().all(|n| *n == 1), "duplicated: {census:?}");
    for id in census.keys() {
        assert!(!lost_with_it.contains(id));
    }
    assert_eq!(census.len() + lost_with_it.len(), 18, "a ball was lost");
}

#[test]
fn a_ball_crossing_a_down_edge_bounces() {
    let mut p = Peer::new("solo", 1, 1.0, Rng::new(3));
    p.add_ball(Duration::ZERO);
    let out = p.tick(Duration::from_secs(30));
    assert!(out.is_empty());
    assert_eq!(p.world.balls.len(), 1);
}
