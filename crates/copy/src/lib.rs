//! tether copy: an encrypted, resumable file copy authenticated by a short code.
//!
//! The protocol is sans-IO: [`handshake`] (SPAKE2 over the [`code`], key
//! confirmation both ways), [`seal`] (AEAD records with counter nonces),
//! [`wire`] (the messages), [`outgoing`] and [`incoming`] (the two sides'
//! state machines). The [`driver`] moves files over a `tether::Link` with
//! pipelined threads; [`target`] opens names beneath a directory handle.

pub mod code;
pub mod driver;
pub mod error;
pub mod handshake;
pub mod incoming;
pub mod name;
pub mod outgoing;
pub mod seal;
pub mod source;
pub mod target;
pub mod wire;

pub use code::Code;
pub use error::{Error, ProtocolError, Result};
