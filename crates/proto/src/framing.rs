//! The choice of framing, as a value a user or a config can name.

use std::fmt;
use std::num::NonZeroUsize;
use std::str::FromStr;

/// How messages are delimited on a byte stream. UDP needs none: one datagram
/// is one message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Framing {
    /// 4-byte big-endian length, then the payload (the default).
    #[default]
    Length,
    /// Payload then `\n`.
    Line,
    /// Records of exactly this many bytes, no header.
    Fixed(NonZeroUsize),
    /// No framing: each read is one message, as with netcat.
    Raw,
}

/// A framing name that is not one of `length`, `line`, `fixed:N`, `raw`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown framing {given:?}: expected length, line, fixed:N (N > 0 bytes) or raw")]
pub struct ParseFramingError {
    /// What was given.
    pub given: String,
}

impl FromStr for Framing {
    type Err = ParseFramingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseFramingError {
            given: s.to_owned(),
        };
        match s {
            "length" => Ok(Framing::Length),
            "line" => Ok(Framing::Line),
            "raw" => Ok(Framing::Raw),
            _ => {
                let size = s.strip_prefix("fixed:").ok_or_else(err)?;
                let size: usize = size.parse().map_err(|_| err())?;
                NonZeroUsize::new(size).map(Framing::Fixed).ok_or_else(err)
            }
        }
    }
}

impl fmt::Display for Framing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Framing::Length => f.write_str("length"),
            Framing::Line => f.write_str("line"),
            Framing::Fixed(n) => write!(f, "fixed:{n}"),
            Framing::Raw => f.write_str("raw"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in ["length", "line", "raw", "fixed:12"] {
            assert_eq!(s.parse::<Framing>().unwrap().to_string(), s);
        }
        for bad in ["", "fixed", "fixed:0", "fixed:x", "len"] {
            assert!(bad.parse::<Framing>().is_err(), "{bad}");
        }
    }
}
