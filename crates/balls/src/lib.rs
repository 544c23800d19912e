//! Bouncing balls across a ring of screens.
//!
//! The world of one screen is plain data moved by a pure, fixed-step
//! function ([`World::step`]); a [`Peer`] adds its two neighbours, the
//! balls in flight to them and the events, without any I/O. The network
//! shells ([`net`]) carry the ball record of [`wire`] over `tether` links
//! (or the textbook's text format) on their own threads, and the screens
//! ([`screen`]) draw what the world holds. The world knows no window and
//! no socket.

pub mod backoff;
pub mod clock;
pub mod event;
pub mod handoff;
pub mod net;
pub mod peer;
pub mod rng;
pub mod run;
pub mod screen;
pub mod stats;
pub mod textbook;
pub mod wire;
pub mod world;

pub use event::{Event, EventKind};
pub use peer::{Output, Peer};
pub use run::{run, Config, Mode, ScreenKind};
pub use world::{Ball, Edges, Side, World};
