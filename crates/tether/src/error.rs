//! Errors of links and listeners.

use std::io;
use std::time::Duration;

use tether_proto::CodecError;

use crate::endpoint::EndpointError;
use crate::patience::Expiry;

/// What went wrong on a link, listener or datagram socket.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The peer closed the connection cleanly, between messages.
    #[error("connection closed by peer")]
    Closed,
    /// The peer closed the connection inside a frame; the partial frame was
    /// discarded.
    #[error("connection closed mid-frame: got {got} of {expected} bytes")]
    Truncated {
        /// Bytes of the frame (header included) that arrived.
        got: usize,
        /// Bytes the frame needed (header included).
        expected: usize,
    },
    /// The peer (or the caller) broke the framing rules: a frame over the
    /// limit, a newline in a line, a record of the wrong size.
    #[error(transparent)]
    Codec(CodecError),
    /// An endpoint string could not be understood.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// Connecting failed. The cause is part of the message (and not also
    /// the error's `source()`, so a printed chain says it once).
    #[error("cannot connect to {endpoint}: {cause}")]
    Connect {
        /// The endpoint as given.
        endpoint: String,
        /// Why.
        cause: io::Error,
    },
    /// Binding failed (port in use, no permission, stale socket file).
    #[error("cannot listen on {endpoint}: {cause}")]
    Bind {
        /// The endpoint as given.
        endpoint: String,
        /// Why.
        cause: io::Error,
    },
    /// A datagram over what UDP can carry; nothing was sent.
    #[error("datagram of {len} bytes exceeds the UDP limit of {max} bytes; use a stream link (tcp://) for larger messages")]
    DatagramTooLarge {
        /// Length of the message.
        len: usize,
        /// The limit for the address family (65,507 for IPv4, 65,527 for IPv6).
        max: usize,
    },
    /// `send` on a datagram link that was bound, not connected: it has no
    /// peer to send to.
    #[error("this {link} was bound, not connected: use send_to")]
    NotConnected {
        /// The kind of link, as `DatagramLink`.
        link: &'static str,
    },
    /// The endpoint's scheme does not fit the call, as `udp://` given to a
    /// stream link.
    #[error("{endpoint} is not a {expected} endpoint{hint}")]
    WrongScheme {
        /// The endpoint as given.
        endpoint: String,
        /// What the call needs, e.g. `tcp:// or unix://`.
        expected: &'static str,
        /// What to use instead, with its leading separator, or "".
        hint: &'static str,
    },
    /// Non-blocking mode is on and no whole message has arrived yet.
    #[error("no message ready (non-blocking mode)")]
    WouldBlock,
    /// A signal interrupted a waiting receive of a link made interruptible
    /// ([`Link::set_interruptible`](crate::Link::set_interruptible)); nothing
    /// was lost, and the receive can be called again.
    #[error("interrupted by a signal")]
    Interrupted,
    /// Nothing came from the peer for the idle timeout
    /// ([`Options::idle_timeout`](crate::Options::idle_timeout)); the
    /// connection was closed.
    #[error("nothing heard for the idle timeout of {after:?}; connection closed")]
    IdleTimeout {
        /// The idle timeout.
        after: Duration,
    },
    /// A frame had begun and was not whole within the frame timeout
    /// ([`Options::frame_timeout`](crate::Options::frame_timeout)), as from
    /// a peer that sends a byte at a time; the connection was closed.
    #[error("frame not whole within the frame timeout of {after:?} ({got} bytes of it came); connection closed")]
    FrameTimeout {
        /// The frame timeout.
        after: Duration,
        /// Bytes of the unfinished frame that had arrived.
        got: usize,
    },
    /// The operating system refused an operation.
    #[error(transparent)]
    Io(io::Error),
}

/// Why a link closed its connection itself: every later call on it
/// reports this again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Broken {
    /// The peer announced a frame over the limit.
    FrameTooLarge { len: u64, max: usize },
    /// The peer sent a line longer than the limit.
    LineTooLong { max: usize },
    /// A timeout ran out, with the bytes of the unfinished frame.
    Expired(Expiry, usize),
}

impl Broken {
    /// The error that closed the link, for a call that comes after.
    pub(crate) fn error(self) -> Error {
        match self {
            Broken::FrameTooLarge { len, max } => {
                Error::Codec(CodecError::FrameTooLarge { len, max })
            }
            Broken::LineTooLong { max } => Error::Codec(CodecError::LineTooLong { max }),
            Broken::Expired(Expiry::Idle(after), _) => Error::IdleTimeout { after },
            Broken::Expired(Expiry::Frame(after), got) => Error::FrameTimeout { after, got },
        }
    }

    /// Whether `e` breaks the link: a framing error the peer caused
    /// does; one of ours (an outgoing message over the limit) does not.
    pub(crate) fn of(e: &Error) -> Option<Broken> {
        match e {
            Error::Codec(CodecError::FrameTooLarge { len, max }) => Some(Broken::FrameTooLarge {
                len: *len,
                max: *max,
            }),
            Error::Codec(CodecError::LineTooLong { max }) => {
                Some(Broken::LineTooLong { max: *max })
            }
            Error::IdleTimeout { after } => Some(Broken::Expired(Expiry::Idle(*after), 0)),
            Error::FrameTimeout { after, got } => {
                Some(Broken::Expired(Expiry::Frame(*after), *got))
            }
            _ => None,
        }
    }
}

impl Error {
    /// True for [`Error::Closed`] and [`Error::Truncated`]: the peer is gone.
    pub fn is_disconnect(&self) -> bool {
        matches!(self, Error::Closed | Error::Truncated { .. })
    }
}

impl From<CodecError> for Error {
    fn from(e: CodecError) -> Self {
        match e {
            CodecError::Truncated { got, expected } => Error::Truncated { got, expected },
            CodecError::Io(e) => Error::from(e),
            other => Error::Codec(other),
        }
    }
}

impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::WouldBlock => Error::WouldBlock,
            io::ErrorKind::Interrupted => Error::Interrupted,
            _ => Error::Io(e),
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Io(e) => e,
            Error::Connect { ref cause, .. } | Error::Bind { ref cause, .. } => {
                io::Error::new(cause.kind(), e.to_string())
            }
            Error::Closed | Error::Truncated { .. } => {
                io::Error::new(io::ErrorKind::UnexpectedEof, e)
            }
            Error::WouldBlock => io::ErrorKind::WouldBlock.into(),
            Error::NotConnected { .. } => io::Error::new(io::ErrorKind::NotConnected, e),
            Error::Interrupted => io::ErrorKind::Interrupted.into(),
            Error::IdleTimeout { .. } | Error::FrameTimeout { .. } => {
                io::Error::new(io::ErrorKind::TimedOut, e)
            }
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// Result with tether's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
