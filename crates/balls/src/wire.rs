//! The ball record of the ring protocol (docs/PROTOCOL.md, "Ball ring"):
//! 40 bytes, `!2sBBIQfffffBBBx`, one per length frame.

use crate::world::{Ball, MAX_RADIUS, MAX_SPEED};

/// The record as a Python `struct` format string.
pub const FORMAT: &str = "!2sBBIQfffffBBBx";
/// Bytes in one record.
pub const SIZE: usize = 40;
/// The first two bytes of every record.
pub const MAGIC: [u8; 2] = *b"TB";
/// The version this peer speaks: 2 added the handover's commit, abort,
/// done and hello (docs/PROTOCOL.md, "A handoff").
pub const VERSION: u8 = 2;

const KIND_BALL: u8 = 1;

/// The records that carry no ball, only a ball id (0 for a hello).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Receiver to sender: the offered ball is held, waiting for the word.
    Ack = 2,
    /// Sender to receiver: the ball is yours; put it on your screen.
    Commit = 3,
    /// Sender to receiver: the ball came back to me; drop what you hold.
    Abort = 4,
    /// Receiver to sender: your commit or abort was carried out.
    Done = 5,
    /// The first record on a link, each way: who is at the other end.
    Hello = 6,
}

impl Control {
    fn from_kind(kind: u8) -> Option<Control> {
        Some(match kind {
            2 => Control::Ack,
            3 => Control::Commit,
            4 => Control::Abort,
            5 => Control::Done,
            6 => Control::Hello,
            _ => return None,
        })
    }
}

/// One record on a ring link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Message {
    /// A ball handed over; `depth` is how far its centre is past the edge.
    Ball {
        /// The sending peer's id.
        sender: u32,
        /// How far past the edge, in heights.
        depth: f64,
        /// The ball (its `x` is not sent).
        ball: Ball,
    },
    /// One step of the handover of the ball with this id, or a hello.
    Control {
        /// Which step.
        kind: Control,
        /// The sending peer's id.
        sender: u32,
        /// The ball's id (0 in a hello).
        ball: u64,
    },
}

impl Message {
    /// A control record from `sender` about ball `ball`.
    pub fn control(kind: Control, sender: u32, ball: u64) -> Message {
        Message::Control { kind, sender, ball }
    }
}

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    /// The payload is not one record.
    #[error("ball record of {got} bytes, expected {SIZE}")]
    Size {
        /// Bytes received.
        got: usize,
    },
    /// Not a ball record at all.
    #[error("not a ball record (magic {0:02x?}, expected \"TB\")")]
    Magic([u8; 2]),
    /// A version this peer does not speak.
    #[error("ball record version {0}, this peer speaks {VERSION}")]
    Version(u8),
    /// A kind other than 1 to 6.
    #[error("ball record of unknown kind {0}")]
    Kind(u8),
    /// A ball no screen can show.
    #[error("ball {id:#x} refused: {what}")]
    Ball {
        /// The ball's id.
        id: u64,
        /// What is wrong with it.
        what: &'static str,
    },
}

impl Message {
    /// The record's bytes.
    pub fn encode(&self) -> [u8; SIZE] {
        let mut out = [0u8; SIZE];
        out[..2].copy_from_slice(&MAGIC);
        out[2] = VERSION;
        match self {
            Message::Ball {
                sender,
                depth,
                ball,
            } => {
                out[3] = KIND_BALL;
                out[4..8].copy_from_slice(&sender.to_be_bytes());
                out[8..16].copy_from_slice(&ball.id.to_be_bytes());
                let floats = [*depth, ball.y, ball.vx, ball.vy, ball.radius];
                for (i, f) in floats.iter().enumerate() {
                    let at = 16 + 4 * i;
                    out[at..at + 4].copy_from_slice(&(*f as f32).to_be_bytes());
                }
                out[36..39].copy_from_slice(&ball.colour);
            }
            Message::Control { kind, sender, ball } => {
                out[3] = *kind as u8;
                out[4..8].copy_from_slice(&sender.to_be_bytes());
                out[8..16].copy_from_slice(&ball.to_be_bytes());
            }
        }
        out
    }

    /// Reads one record, refusing anything the protocol does not allow.
    pub fn decode(data: &[u8]) -> Result<Message, WireError> {
        let data: &[u8; SIZE] = data
            .try_into()
            .map_err(|_| WireError::Size { got: data.len() })?;
        if data[..2] != MAGIC {
            return Err(WireError::Magic([data[0], data[1]]));
        }
        if data[2] != VERSION {
            return Err(WireError::Version(data[2]));
        }
        let sender = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
        let mut id = [0u8; 8];
        id.copy_from_slice(&data[8..16]);
        let id = u64::from_be_bytes(id);
        match data[3] {
            KIND_BALL => decode_ball(data, sender, id),
            kind => match Control::from_kind(kind) {
                Some(kind) => Ok(Message::Control {
                    kind,
                    sender,
                    ball: id,
                }),
                None => Err(WireError::Kind(kind)),
            },
        }
    }
}

fn decode_ball(data: &[u8; SIZE], sender: u32, id: u64) -> Result<Message, WireError> {
    let float = |at: usize| {
        f64::from(f32::from_be_bytes([
            data[at],
            data[at + 1],
            data[at + 2],
            data[at + 3],
        ]))
    };
    let [depth, y, vx, vy, radius] = [16, 20, 24, 28, 32].map(float);
    let refuse = |what| Err(WireError::Ball { id, what });
    if ![depth, y, vx, vy, radius].iter().all(|f| f.is_finite()) {
        return refuse("a field is not a finite number");
    }
    if !(radius > 0.0 && radius <= MAX_RADIUS) {
        return refuse("radius outside (0, 0.25]");
    }
    if vx.abs() > MAX_SPEED || vy.abs() > MAX_SPEED {
        return refuse("faster than 10 heights/s");
    }
    if !(0.0..=1.0).contains(&depth) {
        return refuse("more than one height past the edge");
    }
    let ball = Ball {
        id,
        x: 0.0,
        y: y.clamp(0.0, 1.0),
        vx,
        vy,
        radius,
        colour: [data[36], data[37], data[38]],
    };
    Ok(Message::Ball {
        sender,
        depth,
        ball,
    })
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
