//! Every way one handover can be cut: the link breaks (or the receiver
//! hangs) after each of its four records, with the record then on the wire
//! lost or read late; then the same peers reconnect, or one of them comes
//! back as a new peer. The ball must end on exactly one screen, or, if it
//! is nowhere, have been lost with the peer that owned it.

use std::collections::VecDeque;
use std::time::Duration;

use crate::peer::{Output, Peer, ACK_TIMEOUT};
use crate::rng::Rng;
use crate::wire::Message;
use crate::world::{Ball, Side};

const ID: u64 = 0x0000_0001_0000_0001;

/// S's right link is R's left link; records wait in one queue each way.
struct Pair {
    s: Peer,
    r: Peer,
    to_r: VecDeque<Message>,
    to_s: VecDeque<Message>,
    now: Duration,
}

fn queue(q: &mut VecDeque<Message>, outs: Vec<Output>) {
    for out in outs {
        if let Output::Send { message, .. } = out {
            q.push_back(message);
        }
    }
}

impl Pair {
    fn new() -> Pair {
        let mut pair = Pair {
            s: Peer::new("S", 1, 1.0, Rng::new(1)),
            r: Peer::new("R", 2, 1.0, Rng::new(2)),
            to_r: VecDeque::new(),
            to_s: VecDeque::new(),
            now: Duration::from_millis(1),
        };
        pair.connect();
        pair
    }

    fn connect(&mut self) {
        self.to_r
            .push_back(hello(self.s.connected(Side::Right, "r")));
        self.to_s
            .push_back(hello(self.r.connected(Side::Left, "s")));
        self.settle();
        assert!(self.s.link(Side::Right).up && self.r.link(Side::Left).up);
    }

    /// Delivers one record each way until both queues are empty.
    fn settle(&mut self) {
        for _ in 0..100 {
            if !self.deliver_to_r() && !self.deliver_to_s() {
                return;
            }
        }
        panic!("the handover does not end");
    }

    fn deliver_to_r(&mut self) -> bool {
        self.deliver(true)
    }

    fn deliver_to_s(&mut self) -> bool {
        self.deliver(false)
    }

    /// Delivers the next record to R (or to S); false if there is none.
    fn deliver(&mut self, to_r: bool) -> bool {
        let (queue_in, peer, side) = if to_r {
            (&mut self.to_r, &mut self.r, Side::Left)
        } else {
            (&mut self.to_s, &mut self.s, Side::Right)
        };
        let Some(m) = queue_in.pop_front() else {
            return false;
        };
        let outs = peer.receive(side, m, self.now);
        queue(if to_r { &mut self.to_s } else { &mut self.to_r }, outs);
        true
    }

    /// Puts the ball at S's right edge and steps until it is offered.
    fn offer(&mut self) {
        self.s.world.balls.push(Ball {
            id: ID,
            x: 0.99,
            y: 0.5,
            vx: 1.0,
            vy: 0.0,
            radius: 0.05,
            colour: [1, 2, 3],
        });
        self.now += Duration::from_millis(50);
        let outs = self.s.tick(self.now);
        queue(&mut self.to_r, outs);
        assert_eq!(self.to_r.len(), 1, "the ball is offered");
    }

    /// Delivers the first `k` records of the handover (ball, ack, commit,
    /// done alternate directions).
    fn deliver_first(&mut self, k: usize) {
        for i in 0..k {
            let moved = if i % 2 == 0 {
                self.deliver_to_r()
            } else {
                self.deliver_to_s()
            };
            assert!(moved, "record {i} was sent");
        }
    }

    /// The record now on the wire: read late by its receiver (its answer
    /// lost), or lost; then both sides see the link down.
    fn cut(&mut self, late: bool) {
        // One record is on the wire at a time: at most one queue holds it.
        if late && !self.deliver_to_r() {
            self.deliver_to_s();
        }
        self.to_r.clear();
        self.to_s.clear();
        self.s.link_down(Side::Right, "cut", self.now);
        self.r.link_down(Side::Left, "cut", self.now);
    }

    fn on_screen(p: &Peer) -> bool {
        p.world.balls.iter().any(|b| b.id == ID)
    }

    fn has(p: &Peer) -> bool {
        Pair::on_screen(p) || p.pending().contains(&ID) || p.held().contains(&ID)
    }
}

fn hello(out: Output) -> Message {
    match out {
        Output::Send { message, .. } => message,
        Output::Close { .. } => panic!("a hello, not a close"),
    }
}

/// For each k in `records`: the ball offered, its first k records delivered; `f`
/// gets the pair, the case's name, and whether the record then on the wire
/// is read late (else lost).
fn every_cut(records: &[usize], name: &str, f: impl Fn(Pair, &str, bool)) {
    for &k in records {
        for late in [false, true] {
            let what = format!("{name} after {k} records, late {late}");
            let mut p = Pair::new();
            p.offer();
            p.deliver_first(k);
            f(p, &what, late);
        }
    }
}

/// After the same two peers reconnect: on exactly one screen, nothing left
/// pending or unconfirmed.
fn assert_once(p: &Pair, what: &str) {
    let (s, r) = (Pair::on_screen(&p.s), Pair::on_screen(&p.r));
    assert!(s != r, "{what}: on S {s}, on R {r}");
    assert!(p.r.pending().is_empty() && p.s.held().len() == usize::from(s));
    assert_eq!(p.s.link(Side::Right).handover().unconfirmed(), 0, "{what}");
    assert!(!p.s.busy() && !p.r.busy(), "{what}");
}

#[test]
fn a_link_cut_anywhere_in_a_handover_leaves_the_ball_on_one_screen() {
    every_cut(&[0, 1, 2, 3, 4], "cut", |mut p, what, late| {
        p.cut(late);
        assert!(
            !(Pair::on_screen(&p.s) && Pair::on_screen(&p.r)),
            "{what}: on both screens while apart"
        );
        p.connect();
        assert_once(&p, what);
        // And the ring goes on: the ball can be handed over again.
        assert_eq!(p.r.link(Side::Left).handover().unconfirmed(), 0);
    });
}

#[test]
fn a_hung_receiver_gets_nothing_it_may_show_after_the_timeout() {
    // 0: R stopped before reading the ball; 1: R's ack is slower than the
    // timeout and reaches a closed link.
    every_cut(&[0, 1], "hung", |mut p, what, late| {
        // R is stopped: S waits out the timeout, takes the ball back
        // and closes the link.
        p.now += ACK_TIMEOUT + Duration::from_millis(10);
        let outs = p.s.tick(p.now);
        assert!(
            outs.contains(&Output::Close { side: Side::Right }),
            "{what}"
        );
        assert!(Pair::on_screen(&p.s), "{what}: bounced back");
        assert!(!p.s.link(Side::Right).up, "{what}: the side is a wall");
        // R wakes, reads what its socket held (or it was lost), then
        // the close; S reads nothing more on the link it closed.
        if late {
            p.deliver_to_r();
        }
        p.to_r.clear();
        p.to_s.clear();
        p.r.link_down(Side::Left, "closed", p.now);
        assert!(!(Pair::on_screen(&p.s) && Pair::on_screen(&p.r)), "{what}");
        p.connect();
        assert_once(&p, what);
    });
}

#[test]
fn a_receiver_that_dies_loses_only_a_ball_it_owned() {
    every_cut(&[0, 1, 2, 3, 4], "R dies", |mut p, what, late| {
        p.cut(late);
        let r_owned = Pair::on_screen(&p.r) || (p.r.pending().contains(&ID) && !Pair::has(&p.s));
        p.r = Peer::new("R2", 3, 1.0, Rng::new(3));
        p.connect();
        assert!(!Pair::has(&p.r), "{what}");
        assert!(Pair::on_screen(&p.s) || r_owned, "{what}: lost");
        assert!(!Pair::on_screen(&p.s) || !r_owned, "{what}: doubled");
        assert_eq!(p.s.link(Side::Right).handover().unconfirmed(), 0);
    });
}

#[test]
fn a_sender_that_dies_leaves_its_ball_to_the_receiver_if_it_was_offered() {
    every_cut(&[0, 1, 2, 3, 4], "S dies", |mut p, what, late| {
        p.cut(late);
        let r_had = Pair::has(&p.r);
        p.s = Peer::new("S2", 4, 1.0, Rng::new(4));
        p.connect();
        assert_eq!(Pair::on_screen(&p.r), r_had, "{what}");
        assert!(p.r.pending().is_empty(), "{what}");
    });
}
