//! One peer of the ring without any I/O: its world, the state of its two
//! links, the balls in flight, and the events. The network shell feeds it
//! what arrived and sends what it returns; every call takes `now`.

use std::time::Duration;

use crate::clock::Stepper;
use crate::event::{Event, EventKind};
use crate::handoff::{Acked, Decision, Handover, Hello};
use crate::rng::Rng;
use crate::stats::Rate;
use crate::wire::{Control, Message};
use crate::world::{Ball, Edges, Side, World};

/// The world moves in steps of 1/240 s whatever the frame rate.
pub const STEP: Duration = Duration::from_micros(4167);

/// How long a ball offered over a ring link waits for its ack before it
/// comes back and the link is closed as hung (a stopped neighbour's kernel
/// still takes the bytes).
pub const ACK_TIMEOUT: Duration = Duration::from_secs(2);

/// Colours of new balls: bright enough on a dark screen.
const PALETTE: [[u8; 3]; 8] = [
    [239, 71, 111],
    [255, 209, 102],
    [6, 214, 160],
    [17, 138, 178],
    [255, 140, 66],
    [155, 93, 229],
    [241, 91, 181],
    [0, 187, 249],
];

/// Something for the network shell to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send a record.
    Send {
        /// Over which link.
        side: Side,
        /// What.
        message: Message,
    },
    /// Close the link: the peer has already treated it as down.
    Close {
        /// Which link.
        side: Side,
    },
}

/// What the status corner shows about one neighbour.
#[derive(Debug, Clone, Default)]
pub struct LinkState {
    /// Where the neighbour is (or, on the left, where it came from).
    pub endpoint: Option<String>,
    /// Whether the link is up (the neighbour said hello): the edge leads
    /// to the neighbour.
    pub up: bool,
    /// How long an offered ball waits for its ack (none: no handover, as
    /// with the textbook's programs).
    timeout: Option<Duration>,
    handover: Handover,
}

impl LinkState {
    /// The handover state of this link.
    pub fn handover(&self) -> &Handover {
        &self.handover
    }
}

/// One peer: a screen of balls and its two neighbours.
#[derive(Debug)]
pub struct Peer {
    /// Shown in the status corner and in every event.
    pub name: String,
    /// This peer's id on the wire.
    pub id: u32,
    /// The balls on this screen.
    pub world: World,
    /// Speed of new balls, as a multiple of the usual.
    pub speed: f64,
    links: [LinkState; 2],
    stepper: Stepper,
    rng: Rng,
    next_ball: u32,
    events: Vec<Event>,
    handoffs: Rate,
    unshown: Vec<u64>,
}

impl Peer {
    /// A peer with an empty screen `width` heights wide.
    pub fn new(name: &str, id: u32, width: f64, rng: Rng) -> Peer {
        Peer {
            name: name.to_string(),
            id,
            world: World::new(width),
            speed: 1.0,
            links: Default::default(),
            stepper: Stepper::new(STEP),
            rng,
            next_ball: 0,
            events: Vec::new(),
            handoffs: Rate::default(),
            unshown: Vec::new(),
        }
    }

    /// The state of the link on `side`.
    pub fn link(&self, side: Side) -> &LinkState {
        &self.links[side.index()]
    }

    /// Says where the neighbour on `side` is, before it is up.
    pub fn set_endpoint(&mut self, side: Side, endpoint: &str) {
        self.links[side.index()].endpoint = Some(endpoint.to_string());
    }

    /// Which edges lead to a neighbour now.
    pub fn edges(&self) -> Edges {
        Edges {
            left: self.links[0].up,
            right: self.links[1].up,
        }
    }

    /// Adds a ball of random size, place, speed and colour.
    pub fn add_ball(&mut self, now: Duration) {
        let id = self.new_ball_id();
        let radius = self.rng.range(0.03, 0.07);
        let factor = self.speed;
        let speed = |rng: &mut Rng| {
            let v = (rng.range(0.25, 0.7) * factor).min(crate::world::MAX_SPEED);
            if rng.next_u64() & 1 == 0 {
                v
            } else {
                -v
            }
        };
        let ball = Ball {
            id,
            x: self
                .rng
                .range(radius, (self.world.width - radius).max(radius)),
            y: self.rng.range(radius, 1.0 - radius),
            vx: speed(&mut self.rng),
            vy: speed(&mut self.rng),
            radius,
            colour: PALETTE[(self.rng.next_u64() % PALETTE.len() as u64) as usize],
        };
        self.world.balls.push(ball);
        self.emit(now, EventKind::Created { ball });
    }

    /// A ball id no other peer makes: this peer's id, then a counter.
    pub fn new_ball_id(&mut self) -> u64 {
        self.next_ball = self.next_ball.wrapping_add(1);
        (u64::from(self.id) << 32) | u64::from(self.next_ball)
    }

    /// Takes every ball off this screen (not those in flight).
    pub fn clear(&mut self, now: Duration) {
        let balls = self.world.balls.drain(..).map(|b| b.id).collect();
        self.emit(now, EventKind::Cleared { balls });
    }

    /// A ring link on `side` is connected: the hello to send. The edge
    /// opens when the neighbour's hello arrives.
    pub fn connected(&mut self, side: Side, endpoint: &str) -> Output {
        self.links[side.index()].endpoint = Some(endpoint.to_string());
        let message = Message::control(Control::Hello, self.id, 0);
        Output::Send { side, message }
    }

    /// The edge on `side` leads to the neighbour from now on; `timeout` is
    /// how long an offered ball waits for its ack (none: forever).
    pub fn open(&mut self, side: Side, endpoint: &str, timeout: Option<Duration>, now: Duration) {
        let link = &mut self.links[side.index()];
        link.up = true;
        link.timeout = timeout;
        link.endpoint = Some(endpoint.to_string());
        let endpoint = endpoint.to_string();
        self.emit(now, EventKind::NeighbourUp { side, endpoint });
    }

    /// The link on `side` went down: the edge is a wall, and every ball
    /// offered over it and not acked bounces back onto this screen.
    pub fn link_down(&mut self, side: Side, reason: &str, now: Duration) {
        let link = &mut self.links[side.index()];
        let back = link.handover.take_back();
        if !link.up && back.is_empty() {
            return;
        }
        link.up = false;
        let reason = reason.to_string();
        self.emit(
            now,
            EventKind::NeighbourDown {
                side,
                reason: reason.clone(),
            },
        );
        for ball in back {
            self.bounce(side, ball, &reason, now);
        }
    }

    /// One ball sent over `side` could not be delivered (a textbook
    /// connection failed): it bounces back; the link stays as it is.
    pub fn send_failed(&mut self, side: Side, id: u64, reason: &str, now: Duration) {
        if let Some(ball) = self.links[side.index()].handover.forget(id) {
            self.bounce(side, ball, reason, now);
        }
    }

    fn bounce(&mut self, side: Side, ball: Ball, reason: &str, now: Duration) {
        self.world.bounce_back(side, ball);
        let ball = self.world.balls[self.world.balls.len() - 1];
        let reason = reason.to_string();
        self.emit(now, EventKind::Bounced { side, ball, reason });
    }

    /// A record arrived over `side`; returns what to send back.
    pub fn receive(&mut self, side: Side, message: Message, now: Duration) -> Vec<Output> {
        let me = self.id;
        let link = &mut self.links[side.index()];
        let (kind, id) = match message {
            Message::Ball { depth, ball, .. } => {
                if !link.up {
                    let reason = "a ball before the hello";
                    self.refused(Some(side), reason, now);
                    self.link_down(side, reason, now);
                    return vec![Output::Close { side }];
                }
                // Held off screen until the sender's word; an offer said
                // again after a reconnection is acked again.
                link.handover.reserve(depth, ball);
                let message = Message::control(Control::Ack, me, ball.id);
                return vec![Output::Send { side, message }];
            }
            Message::Control {
                kind: Control::Hello,
                sender,
                ..
            } => {
                return self.hello(side, sender, now);
            }
            Message::Control { kind, ball, .. } => (kind, ball),
        };
        let reply = |kind| {
            let message = Message::control(kind, me, id);
            vec![Output::Send { side, message }]
        };
        match kind {
            Control::Ack => match link.handover.ack(id) {
                Acked::Given(ball) => {
                    self.emit(now, EventKind::Acknowledged { side, ball });
                    reply(Control::Commit)
                }
                Acked::Again(Decision::Commit) => reply(Control::Commit),
                Acked::Again(Decision::Abort) => reply(Control::Abort),
                Acked::Unknown => Vec::new(),
            },
            Control::Commit | Control::Abort => {
                let decision = match kind {
                    Control::Commit => Decision::Commit,
                    _ => Decision::Abort,
                };
                if let Some((depth, ball)) = link.handover.word(id, decision) {
                    self.take(side, depth, ball, now);
                }
                reply(Control::Done)
            }
            Control::Done => {
                link.handover.done(id);
                Vec::new()
            }
            Control::Hello => Vec::new(),
        }
    }

    fn hello(&mut self, side: Side, neighbour: u32, now: Duration) -> Vec<Output> {
        let link = &mut self.links[side.index()];
        let endpoint = link.endpoint.clone().unwrap_or_default();
        let mut out = Vec::new();
        match link.handover.hello(neighbour) {
            Hello::Same(decided) => {
                for (id, decision) in decided {
                    let kind = match decision {
                        Decision::Commit => Control::Commit,
                        Decision::Abort => Control::Abort,
                    };
                    let message = Message::control(kind, self.id, id);
                    out.push(Output::Send { side, message });
                }
            }
            // The peer that offered these is gone, and with it any copy.
            Hello::New(orphans) => {
                for (depth, ball) in orphans {
                    self.take(side, depth, ball, now);
                }
            }
        }
        self.open(side, &endpoint, Some(ACK_TIMEOUT), now);
        out
    }

    /// Puts a ball that came over `side` on this screen.
    pub fn take(&mut self, side: Side, depth: f64, ball: Ball, now: Duration) {
        self.world.enter(side, depth, ball);
        let ball = self.world.balls[self.world.balls.len() - 1];
        self.unshown.push(ball.id);
        self.handoffs.record(now);
        self.emit(now, EventKind::Received { side, ball });
    }

    /// A ball sent over `side` without a handover (to a textbook program)
    /// was delivered: it is the neighbour's.
    pub fn acked(&mut self, side: Side, id: u64, now: Duration) {
        if let Some(ball) = self.links[side.index()].handover.forget(id) {
            self.emit(now, EventKind::Acknowledged { side, ball });
        }
    }

    /// A message over `side` was refused.
    pub fn refused(&mut self, side: Option<Side>, reason: &str, now: Duration) {
        let reason = reason.to_string();
        self.emit(now, EventKind::Refused { side, reason });
    }

    /// Moves the world up to `now` (time since the start) in fixed steps;
    /// balls that crossed an open edge are returned to be sent.
    pub fn tick(&mut self, now: Duration) -> Vec<Output> {
        let mut out = Vec::new();
        for side in Side::BOTH {
            let link = &self.links[side.index()];
            if link.timeout.is_some() && link.handover.expired(now) {
                let reason = format!("no ack within {} ms: hung?", ACK_TIMEOUT.as_millis());
                self.link_down(side, &reason, now);
                out.push(Output::Close { side });
            }
        }
        for _ in 0..self.stepper.advance(now) {
            let dt = self.stepper.dt();
            for exit in self.world.step(dt, self.edges()) {
                let mut ball = exit.ball;
                ball.x = 0.0;
                let link = &mut self.links[exit.side.index()];
                let deadline = now.saturating_add(link.timeout.unwrap_or(Duration::MAX));
                link.handover.offer(ball, deadline);
                self.handoffs.record(now);
                self.emit(
                    now,
                    EventKind::Sent {
                        side: exit.side,
                        ball: exit.ball,
                    },
                );
                let message = Message::Ball {
                    sender: self.id,
                    depth: exit.depth,
                    ball,
                };
                out.push(Output::Send {
                    side: exit.side,
                    message,
                });
            }
        }
        out
    }

    /// A frame was drawn at `now`: balls received since the last one have
    /// been seen.
    pub fn shown(&mut self, now: Duration) {
        for id in std::mem::take(&mut self.unshown) {
            self.emit(now, EventKind::Shown { id });
        }
    }

    /// Handoffs (sent or received) in the last second.
    pub fn handoffs_per_second(&mut self, now: Duration) -> usize {
        self.handoffs.per_second(now)
    }

    /// Ids of every ball this peer holds: on screen, or offered and not
    /// acked (it comes back unless the neighbour acks).
    pub fn held(&self) -> Vec<u64> {
        let screen = self.world.balls.iter();
        let flying = self.links.iter().flat_map(|l| l.handover.offered());
        screen.chain(flying).map(|b| b.id).collect()
    }

    /// Ids of balls offered to this peer and held off screen, waiting for
    /// the sender's word (they are the sender's until it commits).
    pub fn pending(&self) -> Vec<u64> {
        let held = self.links.iter().flat_map(|l| l.handover.reserved());
        held.map(|b| b.id).collect()
    }

    /// Whether a handover is under way on either link.
    pub fn busy(&self) -> bool {
        self.links.iter().any(|l| l.handover.busy())
    }

    /// The events since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Records an event at `now`.
    pub fn emit(&mut self, now: Duration, kind: EventKind) {
        self.events.push(Event {
            t: now.as_secs_f64(),
            peer: self.name.clone(),
            kind,
        });
    }
}

#[cfg(test)]
#[path = "peer_tests.rs"]
mod tests;
