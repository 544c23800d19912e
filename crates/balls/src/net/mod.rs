//! The network shells: threads that move messages between the sockets and
//! a channel, so the drawing loop never waits for the network. The loop
//! calls [`Transport::pump`] once a frame and [`Transport::send`] for what
//! its [`Peer`](crate::Peer) returns.

pub mod event;
mod reader;
pub mod ring;
pub mod textbook;

use std::time::Duration;

use crate::peer::{Output, Peer};

/// How long a network thread waits before it looks at its stop flag again.
pub(crate) const POLL: Duration = Duration::from_millis(50);

/// A way of reaching the neighbours.
pub trait Transport: Send {
    /// Hands what arrived since the last call to `peer`.
    fn pump(&mut self, peer: &mut Peer, now: Duration);
    /// Sends one of `peer`'s outputs; a failure is handed back to `peer`.
    fn send(&mut self, peer: &mut Peer, out: Output, now: Duration);
    /// Where this peer listens.
    fn listen_addr(&self) -> String;
    /// Waits up to `timeout` for something to arrive (the next
    /// [`Transport::pump`] hands it over), so that the drawing loop answers a
    /// handover at once rather than at its next frame.
    fn wait(&mut self, timeout: Duration) {
        std::thread::sleep(timeout);
    }
}
