//! Errors of the frame codecs.

use std::io;

use crate::limits::human_bytes;

/// Why a frame could not be encoded or decoded.
///
/// Every variant except [`CodecError::Io`] means the peer (or the caller)
/// broke the framing rules; a link that sees one closes the connection.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// A length prefix (or an outgoing message) is longer than the limit.
    /// Raised from the 4-byte header alone, before any buffer grows.
    #[error("frame of {len} bytes exceeds the {} limit", human_bytes(*max))]
    FrameTooLarge {
        /// Length the frame claims (or the message has).
        len: u64,
        /// The configured `max_frame_len`.
        max: usize,
    },
    /// More than `max` bytes arrived without a newline.
    #[error("line longer than the {} limit without a newline", human_bytes(*max))]
    LineTooLong {
        /// The configured maximum line length.
        max: usize,
    },
    /// An outgoing message for line framing contains a newline, which would
    /// split it into two messages on the receiver.
    #[error("message contains a newline at byte {at}; line framing cannot carry it")]
    NewlineInLine {
        /// Offset of the first `\n` in the message.
        at: usize,
    },
    /// An outgoing message for fixed framing has the wrong size.
    #[error("message of {len} bytes does not fit fixed framing of {size}-byte records")]
    WrongSize {
        /// Length of the message.
        len: usize,
        /// The fixed record size.
        size: usize,
    },
    /// The stream ended inside a frame: `got` of the `expected` bytes arrived.
    /// The partial frame is discarded.
    #[error("connection closed mid-frame: got {got} of {expected} bytes")]
    Truncated {
        /// Bytes of the frame (header included) that arrived.
        got: usize,
        /// Bytes the frame needs (header included); for a partial header,
        /// the header size.
        expected: usize,
    },
    /// The underlying transport failed (required by `tokio_util::codec`).
    #[error(transparent)]
    Io(#[from] io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_numbers() {
        let e = CodecError::FrameTooLarge {
            len: 4_294_967_295,
            max: 16 * 1024 * 1024,
        };
        assert_eq!(
            e.to_string(),
            "frame of 4294967295 bytes exceeds the 16 MiB limit"
        );
        let e = CodecError::Truncated {
            got: 7,
            expected: 17,
        };
        assert_eq!(
            e.to_string(),
            "connection closed mid-frame: got 7 of 17 bytes"
        );
    }
}
