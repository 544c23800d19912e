//! What the network threads tell the drawing loop: its own file, so the
//! ring and the reader threads both use it without importing each other.

use tether::Sender;

use crate::wire::Message;
use crate::world::Side;

/// What the network threads tell the drawing loop.
#[derive(Debug)]
pub enum NetEvent {
    /// A link is up; `generation` tells it from the links before it.
    Up {
        /// Which neighbour.
        side: Side,
        /// Which link.
        generation: u64,
        /// The neighbour's address.
        endpoint: String,
        /// Sends on it.
        sender: Sender,
    },
    /// A message arrived.
    Message {
        /// Over which neighbour's link.
        side: Side,
        /// Which link.
        generation: u64,
        /// What.
        message: Message,
    },
    /// A link broke or was closed.
    Down {
        /// Which neighbour.
        side: Side,
        /// Which link.
        generation: u64,
        /// Why.
        reason: String,
    },
}
