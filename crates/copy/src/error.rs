//! Errors of the copy protocol and of the driver.

use std::io;

/// A peer broke the copy protocol (a malformed or unexpected record).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    /// A record body ended before a field did.
    #[error("record type 0x{t:02x} is short: needs {need} more bytes, has {got}")]
    Short {
        /// Record type.
        t: u8,
        /// Bytes the field needs.
        need: usize,
        /// Bytes left.
        got: usize,
    },
    /// Bytes after the last field.
    #[error("record type 0x{t:02x} has {extra} bytes too many")]
    Trailing {
        /// Record type.
        t: u8,
        /// Extra bytes.
        extra: usize,
    },
    /// A type byte this version does not know.
    #[error("unknown record type 0x{0:02x}")]
    UnknownType(u8),
    /// A field with a value out of range.
    #[error("record type 0x{t:02x}: bad {what} {value}")]
    BadField {
        /// Record type.
        t: u8,
        /// Which field.
        what: &'static str,
        /// Its value.
        value: u64,
    },
    /// A name that is not UTF-8.
    #[error("a name is not UTF-8")]
    NotUtf8,
    /// A record that is legal but not now.
    #[error("unexpected record type 0x{got:02x} {when}")]
    Unexpected {
        /// Record type received.
        got: u8,
        /// Where in the protocol.
        when: &'static str,
    },
    /// The peer's HELLO is not a tether copy HELLO, or of another version.
    #[error("the peer does not speak tether copy v1 ({0})")]
    BadHello(&'static str),
    /// A record arrived after the peer's final record.
    #[error("a record after the final one")]
    AfterFinal,
    /// The stream ended before the peer's final record.
    #[error("the stream ended before the final record")]
    NoFinal,
    /// A count in the manifest or offers that does not add up.
    #[error("{what}: said {said}, was {was}")]
    Mismatch {
        /// What was counted.
        what: &'static str,
        /// The figure announced.
        said: u64,
        /// The figure seen.
        was: u64,
    },
}

/// Everything that can end a copy.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The two sides used different codes.
    #[error("wrong code")]
    WrongCode,
    /// A record failed authentication: changed, dropped, reordered or replayed.
    #[error("integrity failure: record {counter} from {peer} does not authenticate")]
    Tampered {
        /// Which record (its counter).
        counter: u64,
        /// The peer.
        peer: String,
    },
    /// The stream ended, between records or inside one, before the peer's
    /// final record: cut on the way, or the peer stopped (killed, Ctrl-C).
    #[error("integrity failure: the stream from {peer} ended before its final record (cut on the way, or the peer stopped)")]
    Truncated {
        /// The peer.
        peer: String,
    },
    /// A file's BLAKE3 differs from the sender's.
    #[error("integrity failure: {name} does not match the sender's BLAKE3")]
    HashMismatch {
        /// The file (sanitised).
        name: String,
    },
    /// The peer broke the protocol.
    #[error("protocol error from {peer}: {source}")]
    Protocol {
        /// The peer.
        peer: String,
        /// What it did.
        source: ProtocolError,
    },
    /// A name from the peer breaks a rule.
    #[error("refused name {name:?}: {why}")]
    RefusedName {
        /// The name (sanitised).
        name: String,
        /// The rule it breaks.
        why: &'static str,
    },
    /// The target exists and `--overwrite` was not given.
    #[error("{name} exists (use --overwrite to replace it)")]
    Exists {
        /// The name (sanitised).
        name: String,
    },
    /// The peer gave up and said why.
    #[error("{peer} gave up: {text}")]
    Peer {
        /// The peer.
        peer: String,
        /// Its kind of error.
        kind: ErrorKind,
        /// Its reason (sanitised).
        text: String,
    },
    /// The connection closed or broke.
    #[error("{peer} went away: {cause}")]
    PeerGone {
        /// The peer.
        peer: String,
        /// The link's error.
        cause: tether::Error,
    },
    /// The user said no, or pressed Ctrl-C.
    #[error("declined")]
    Declined,
    /// A local file operation failed.
    #[error("{what} {name}: {cause}")]
    Io {
        /// The operation.
        what: &'static str,
        /// The file (sanitised).
        name: String,
        /// The cause.
        cause: io::Error,
    },
    /// Anything local that is not a file error (bad arguments, sources).
    #[error("{0}")]
    Local(String),
}

impl Error {
    /// The kind of failure, for exit codes and for the ERROR record.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Tampered { .. }
            | Error::Truncated { .. }
            | Error::HashMismatch { .. }
            | Error::Protocol { .. } => ErrorKind::Integrity,
            Error::RefusedName { .. } | Error::Exists { .. } => ErrorKind::Refused,
            Error::Peer { kind, .. } => *kind,
            Error::Declined => ErrorKind::Declined,
            Error::Io { cause, .. } if is_disk_full(cause) => ErrorKind::DiskFull,
            _ => ErrorKind::Other,
        }
    }

    /// An I/O error on a named file.
    pub fn io(what: &'static str, name: &str, cause: io::Error) -> Error {
        Error::Io {
            what,
            name: crate::name::sanitize(name),
            cause,
        }
    }
}

fn is_disk_full(e: &io::Error) -> bool {
    // ENOSPC and EDQUOT on Linux.
    matches!(e.raw_os_error(), Some(28 | 122))
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Why a side gave up; sent in ERROR and used for exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Anything else.
    Other = 1,
    /// A record or file failed its check, or the peer broke the protocol.
    Integrity = 2,
    /// A name was refused, or a file exists and may not be overwritten.
    Refused = 3,
    /// The receiver's disk is full.
    DiskFull = 4,
    /// The user declined the manifest or pressed Ctrl-C.
    Declined = 5,
}

impl ErrorKind {
    pub(crate) fn from_byte(b: u8) -> ErrorKind {
        match b {
            2 => ErrorKind::Integrity,
            3 => ErrorKind::Refused,
            4 => ErrorKind::DiskFull,
            5 => ErrorKind::Declined,
            _ => ErrorKind::Other,
        }
    }
}
