//! Sans-IO building blocks of tether: frame codecs and the record format.
//!
//! Nothing in this crate touches a socket, a clock or a thread. The frame
//! codecs implement [`tokio_util::codec::Decoder`] and
//! [`tokio_util::codec::Encoder`], so the same code serves tether's blocking
//! links, its async links (through `tokio_util::codec::Framed`), the Python
//! binding and the fuzzers.
//!
//! Each decoder follows the tokio-util contract: `Ok(None)` means "need more
//! bytes", and a length or line is checked against its limit before the
//! buffer grows for it.

pub mod codec;
pub mod error;
pub mod fixed;
pub mod framing;
pub mod length;
pub mod limits;
pub mod line;
pub mod raw;
pub mod record;

pub use codec::{Envelope, Found, FrameCodec};
pub use error::CodecError;
pub use fixed::FixedCodec;
pub use framing::{Framing, ParseFramingError};
pub use length::LengthCodec;
pub use limits::{
    DEFAULT_MAX_FRAME_LEN, LENGTH_PREFIX_LEN, MAX_UDP_PAYLOAD_V4, MAX_UDP_PAYLOAD_V6,
};
pub use line::LineCodec;
pub use raw::RawCodec;
pub use record::{Record, RecordError, Value, Values};

/// Re-exported so users of the codecs need not depend on these crates.
pub use bytes;
pub use tokio_util::codec::{Decoder, Encoder};
