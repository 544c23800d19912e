//! Target `truncated_frames`: messages encoded by the codec itself, the
//! stream cut anywhere. The receiver gets exactly the messages that were
//! whole before the cut; a cut inside a length or fixed frame is reported as
//! truncated, with the bytes that came and the bytes the frame needed, and
//! never yields the partial frame. (Line framing has no truncated state: the
//! bytes after the last LF are one last message at the close, per
//! docs/PROTOCOL.md.)

use std::num::NonZeroUsize;

use bytes::BytesMut;
use tether_proto::{Encoder, FrameCodec, Framing};

use crate::frames::decode;
use crate::reference::{End, Outcome};

/// Large enough that no message here reaches it.
const MAX: usize = 1 << 16;

/// Input: a framing byte, a cut byte, a chunking byte, then the messages'
/// bytes, split at each 0xff (for fixed framing: every `size` bytes).
pub fn check(data: &[u8]) {
    let [selector, cut, chunking, body @ ..] = data else {
        return;
    };
    let size = usize::from(*selector / 4 % 16) + 1;
    let (framing, messages): (Framing, Vec<Vec<u8>>) = match selector % 3 {
        0 => (Framing::Length, split(body, |_| true)),
        1 => (Framing::Line, split(body, |b| b != b'\n')),
        _ => (
            Framing::Fixed(NonZeroUsize::new(size).unwrap_or(NonZeroUsize::MIN)),
            body.chunks_exact(size).map(<[u8]>::to_vec).collect(),
        ),
    };
    let mut codec = FrameCodec::new(framing, MAX);
    let mut wire = BytesMut::new();
    // Where each message ends on the wire.
    let mut ends = Vec::with_capacity(messages.len());
    for message in &messages {
        if codec.encode(&message[..], &mut wire).is_err() {
            panic!(
                "{framing:?} refused to encode a {}-byte message",
                message.len()
            );
        }
        ends.push(wire.len());
    }
    // The cut: anywhere from 0 to the whole wire.
    let at = wire.len() * usize::from(*cut) / 255;
    let got = decode(codec, &wire[..at], *chunking, MAX);
    assert_eq!(
        got,
        expected(framing, &messages, &ends, at),
        "{framing:?}, cut at {at}"
    );
}

/// Messages of `body` split at each 0xff, keeping only bytes `keep` allows.
fn split(body: &[u8], keep: impl Fn(u8) -> bool) -> Vec<Vec<u8>> {
    body.split(|&b| b == 0xff)
        .map(|m| m.iter().copied().filter(|&b| keep(b)).collect())
        .collect()
}

/// What a receiver of the first `at` bytes gets, from the messages' ends.
fn expected(framing: Framing, messages: &[Vec<u8>], ends: &[usize], at: usize) -> Outcome {
    let whole = ends.iter().take_while(|&&end| end <= at).count();
    let mut frames: Vec<Vec<u8>> = messages[..whole].to_vec();
    let start = if whole == 0 { 0 } else { ends[whole - 1] };
    if at == start {
        return Outcome {
            frames,
            end: End::Clean,
        };
    }
    let got = at - start;
    let end = match framing {
        Framing::Length => End::Truncated {
            got,
            // A cut inside the header says the header is what is missing.
            expected: if got < 4 { 4 } else { ends[whole] - start },
        },
        Framing::Fixed(size) => End::Truncated {
            got,
            expected: size.get(),
        },
        // The part of the line (its LF not yet sent) is the last message.
        _ => {
            frames.push(messages[whole][..got].to_vec());
            End::Clean
        }
    };
    Outcome { frames, end }
}
