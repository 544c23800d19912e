//! The handover of balls over one link, as data (docs/PROTOCOL.md, "A
//! handoff"). The sender decides: a ball it offered is the receiver's only
//! once the receiver said it holds it (ack) and the sender said "yours"
//! (commit); until then the sender may take it back (abort), and the
//! receiver keeps it off its screen. Each side remembers what the other
//! may not have heard yet, so a link that breaks at any point, and comes
//! back to the same peer, ends with the ball on exactly one screen.

use std::time::Duration;

use crate::world::Ball;

/// What the sender decided about a ball it offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The receiver's: it shows the ball.
    Commit,
    /// The sender's again: the receiver drops it.
    Abort,
}

/// What an ack means to the sender.
#[derive(Debug, Clone, PartialEq)]
pub enum Acked {
    /// The ball was offered and is now given: send a commit.
    Given(Ball),
    /// Asked again about a ball already decided: say it again.
    Again(Decision),
    /// No such ball (a confused peer): ignore it.
    Unknown,
}

/// What a hello tells about the neighbour.
#[derive(Debug, Clone, PartialEq)]
pub enum Hello {
    /// The same peer as before the link broke: these decisions may not have
    /// reached it and are said again.
    Same(Vec<(u64, Decision)>),
    /// Another peer (or the first): the one before is gone with its state,
    /// so balls it offered us and never decided are ours now.
    New(Vec<(f64, Ball)>),
}

/// The handover state of one link, kept across reconnections.
#[derive(Debug, Clone, Default)]
pub struct Handover {
    /// Balls we offered, with the time by which the ack must come.
    offered: Vec<(Ball, Duration)>,
    /// Decisions the neighbour has not confirmed (done) yet.
    decided: Vec<(u64, Decision)>,
    /// Balls offered to us, held off screen until the word comes.
    reserved: Vec<(f64, Ball)>,
    /// The id the neighbour gave in its last hello.
    neighbour: Option<u32>,
}

impl Handover {
    /// We offered `ball`; without an ack by `deadline` it comes back.
    pub fn offer(&mut self, ball: Ball, deadline: Duration) {
        self.offered.push((ball, deadline));
    }

    /// The receiver holds ball `id`.
    pub fn ack(&mut self, id: u64) -> Acked {
        if let Some(at) = self.offered.iter().position(|(b, _)| b.id == id) {
            let (ball, _) = self.offered.swap_remove(at);
            self.decide(id, Decision::Commit);
            return Acked::Given(ball);
        }
        match self.decided.iter().find(|(d, _)| *d == id) {
            Some((_, decision)) => Acked::Again(*decision),
            None => Acked::Unknown,
        }
    }

    /// Ball `id` left without a handover (the textbook's programs have
    /// none): delivered or failed, nothing is left to remember.
    pub fn forget(&mut self, id: u64) -> Option<Ball> {
        let at = self.offered.iter().position(|(b, _)| b.id == id)?;
        Some(self.offered.swap_remove(at).0)
    }

    /// The neighbour carried out our decision about `id`.
    pub fn done(&mut self, id: u64) {
        self.decided.retain(|(d, _)| *d != id);
    }

    /// Whether an offered ball has waited past its deadline at `now`.
    pub fn expired(&self, now: Duration) -> bool {
        self.offered.iter().any(|(_, deadline)| *deadline <= now)
    }

    /// The link is gone or hung: every offered ball is ours again, and the
    /// neighbour will be told so when it is back.
    pub fn take_back(&mut self) -> Vec<Ball> {
        let back: Vec<Ball> = self.offered.drain(..).map(|(b, _)| b).collect();
        for b in &back {
            self.decide(b.id, Decision::Abort);
        }
        back
    }

    fn decide(&mut self, id: u64, decision: Decision) {
        self.decided.retain(|(d, _)| *d != id);
        self.decided.push((id, decision));
    }

    /// A ball was offered to us; false if we already hold it (an offer
    /// said again), which is acked again and not held twice.
    pub fn reserve(&mut self, depth: f64, ball: Ball) -> bool {
        if self.reserved.iter().any(|(_, b)| b.id == ball.id) {
            return false;
        }
        self.reserved.push((depth, ball));
        true
    }

    /// The sender's word about ball `id`: on commit, the ball to put on
    /// screen; `None` if we hold no such ball (the word was said again).
    pub fn word(&mut self, id: u64, decision: Decision) -> Option<(f64, Ball)> {
        let at = self.reserved.iter().position(|(_, b)| b.id == id)?;
        let held = self.reserved.swap_remove(at);
        (decision == Decision::Commit).then_some(held)
    }

    /// The neighbour said hello with `id`.
    pub fn hello(&mut self, id: u32) -> Hello {
        let same = self.neighbour == Some(id);
        self.neighbour = Some(id);
        if same {
            Hello::Same(self.decided.clone())
        } else {
            self.decided.clear();
            Hello::New(std::mem::take(&mut self.reserved))
        }
    }

    /// Balls offered and not acked.
    pub fn offered(&self) -> impl Iterator<Item = &Ball> {
        self.offered.iter().map(|(b, _)| b)
    }

    /// Balls offered to us and held off screen.
    pub fn reserved(&self) -> impl Iterator<Item = &Ball> {
        self.reserved.iter().map(|(_, b)| b)
    }

    /// Decisions the neighbour has not confirmed.
    pub fn unconfirmed(&self) -> usize {
        self.decided.len()
    }

    /// Whether a handover is under way: a ball offered, or one held.
    pub fn busy(&self) -> bool {
        !self.offered.is_empty() || !self.reserved.is_empty()
    }
}

#[cfg(test)]
#[path = "handoff_tests.rs"]
mod tests;
