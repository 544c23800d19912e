//! What happens to balls and links, as data: written one JSON line each by
//! `--json`, counted by the status corner, checked by the tests.

use serde::Serialize;

use crate::world::{Ball, Side};

/// One event, stamped with the time since the process started.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// Seconds on a monotonic clock: since the process started inside a
    /// [`Peer`](crate::Peer); `--json` writes the machine's `CLOCK_MONOTONIC`.
    pub t: f64,
    /// The peer's name.
    pub peer: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// The peer listens here (the first event of a run).
    Listening {
        /// The bound endpoint, with the port the system chose for port 0.
        endpoint: String,
    },
    /// A ball was made on this screen.
    Created {
        /// The ball.
        ball: Ball,
    },
    /// A ball crossed an open edge and was sent to that neighbour.
    Sent {
        /// Towards which neighbour.
        side: Side,
        /// The ball as it left.
        ball: Ball,
    },
    /// The neighbour took a ball we sent: it is theirs now.
    Acknowledged {
        /// Which neighbour.
        side: Side,
        /// The ball.
        ball: Ball,
    },
    /// A ball arrived from a neighbour and is on this screen.
    Received {
        /// From which neighbour.
        side: Side,
        /// The ball as placed here.
        ball: Ball,
    },
    /// A received ball was drawn for the first time.
    Shown {
        /// The ball's id.
        id: u64,
    },
    /// A ball in flight came back (the link broke before its ack).
    Bounced {
        /// The edge it came back at.
        side: Side,
        /// The ball as put back.
        ball: Ball,
        /// Why.
        reason: String,
    },
    /// The `c` key took these balls off the screen.
    Cleared {
        /// Their ids.
        balls: Vec<u64>,
    },
    /// A link to a neighbour is up.
    NeighbourUp {
        /// Which side.
        side: Side,
        /// Where it is.
        endpoint: String,
    },
    /// A link to a neighbour went down; that edge is a wall until it is back.
    NeighbourDown {
        /// Which side.
        side: Side,
        /// Why.
        reason: String,
    },
    /// A message from a neighbour was refused (it is dropped).
    Refused {
        /// Which side (none for a textbook connection from anywhere).
        side: Option<Side>,
        /// Why.
        reason: String,
    },
    /// The peer stopped; these balls were on its screen or in flight.
    End {
        /// Ids of the balls it held: on screen, or offered and not acked.
        balls: Vec<u64>,
        /// Ids of balls offered to it and waiting for the sender's word
        /// (the sender's, unless it had committed).
        pending: Vec<u64>,
        /// Frame times of the run, in milliseconds.
        frames: crate::stats::FrameSummary,
    },
}

impl Event {
    /// The event as one JSON line (without the newline).
    pub fn to_json(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}
