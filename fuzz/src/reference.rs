//! Reference decoders: each takes a whole stream at once and reads it as
//! docs/PROTOCOL.md says, one rule per line, with no buffering, no
//! incremental scanning and no attention to speed.

/// How a stream ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Between frames.
    Clean,
    /// Inside a frame: `got` of its `expected` bytes (header included).
    Truncated {
        /// Bytes of the frame that arrived.
        got: usize,
        /// Bytes the frame needs.
        expected: usize,
    },
    /// A length header over the limit.
    FrameTooLarge {
        /// The length claimed.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// A line over the limit.
    LineTooLong {
        /// The limit.
        max: usize,
    },
}

/// The frames a stream delivers, then how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Every frame delivered, in order.
    pub frames: Vec<Vec<u8>>,
    /// Why delivery stopped.
    pub end: End,
}

/// Length framing: a 4-byte big-endian N, then N payload bytes; N over
/// `max` is an error from the header alone; a close inside a header or a
/// payload is truncated.
pub fn length(stream: &[u8], max: usize) -> Outcome {
    let mut frames = Vec::new();
    let mut rest = stream;
    let end = loop {
        if rest.is_empty() {
            break End::Clean;
        }
        if rest.len() < 4 {
            break End::Truncated {
                got: rest.len(),
                expected: 4,
            };
        }
        let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        if u64::from(n) > max as u64 {
            break End::FrameTooLarge {
                len: u64::from(n),
                max,
            };
        }
        let total = 4 + n as usize;
        if rest.len() < total {
            break End::Truncated {
                got: rest.len(),
                expected: total,
            };
        }
        frames.push(rest[4..total].to_vec());
        rest = &rest[total..];
    };
    Outcome { frames, end }
}

/// Line framing: each frame ends at a LF, which is not part of it; a line
/// longer than `max` (LF not counted) is an error, whether or not its LF
/// came; bytes after the last LF are one last frame at the close.
pub fn line(stream: &[u8], max: usize) -> Outcome {
    let mut frames = Vec::new();
    let mut rest = stream;
    let end = loop {
        if rest.is_empty() {
            break End::Clean;
        }
        let newline = rest.iter().position(|&b| b == b'\n');
        let len = newline.unwrap_or(rest.len());
        if len > max {
            break End::LineTooLong { max };
        }
        frames.push(rest[..len].to_vec());
        match newline {
            Some(at) => rest = &rest[at + 1..],
            None => break End::Clean,
        }
    };
    Outcome { frames, end }
}

/// Fixed framing: every `size` bytes are a frame; a close with some bytes
/// of a record pending is truncated.
pub fn fixed(stream: &[u8], size: usize) -> Outcome {
    let whole = stream.len() / size * size;
    let frames = stream[..whole].chunks(size).map(<[u8]>::to_vec).collect();
    let end = match stream.len() - whole {
        0 => End::Clean,
        got => End::Truncated {
            got,
            expected: size,
        },
    };
    Outcome { frames, end }
}
