//! Target `decode_frames`: every frame decoder, fed arbitrary bytes in
//! arbitrary chunks, delivers exactly what the reference decoder reads from
//! the whole stream, ends the same way (clean, truncated with the same
//! numbers, or the same limit error), and never grows its buffer past the
//! bytes that arrived plus one reserve step.

use std::num::NonZeroUsize;

use bytes::BytesMut;
use tether_proto::{CodecError, Decoder, FrameCodec, Framing};

use crate::reference::{self, End, Outcome};

/// What a codec may reserve beyond the bytes that arrived: one step of a
/// length prefix's claim.
const RESERVE_STEP: usize = 1 << 20;

/// Input: a framing byte, a limit byte, a chunking byte, then the stream.
pub fn check(data: &[u8]) {
    let [selector, limit, chunking, stream @ ..] = data else {
        return;
    };
    // Small limits, so that fuzzed streams reach them.
    let max = usize::from(*limit);
    let size = NonZeroUsize::new(usize::from(*limit % 16) + 1).unwrap_or(NonZeroUsize::MIN);
    let (framing, want) = match selector % 4 {
        0 => (Framing::Length, Some(reference::length(stream, max))),
        1 => (Framing::Line, Some(reference::line(stream, max))),
        2 => (
            Framing::Fixed(size),
            Some(reference::fixed(stream, size.get())),
        ),
        _ => (Framing::Raw, None),
    };
    let got = decode(FrameCodec::new(framing, max), stream, *chunking, max);
    match want {
        Some(want) => assert_eq!(got, want, "{framing:?}, max {max}, chunking {chunking}"),
        // Raw: the stream itself, in non-empty pieces.
        None => {
            assert_eq!(got.end, End::Clean);
            assert!(got.frames.iter().all(|f| !f.is_empty()));
            assert_eq!(got.frames.concat(), stream);
        }
    }
}

/// Chunk sizes from one byte: a few sizes from 1 up, repeating, so the
/// stream is split at changing places.
pub fn chunks(stream: &[u8], chunking: u8) -> impl Iterator<Item = &[u8]> {
    let base = usize::from(chunking % 32) + 1;
    let step = usize::from(chunking / 32);
    let mut rest = stream;
    let mut turn = 0usize;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let n = (base + step * (turn % 5)).min(rest.len());
        turn += 1;
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        Some(piece)
    })
}

/// Runs `codec` over `stream` as a link would: each chunk appended, then
/// frames taken until it needs more; at the end, `decode_eof` until done.
pub fn decode(mut codec: FrameCodec, stream: &[u8], chunking: u8, max: usize) -> Outcome {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in chunks(stream, chunking) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => frames.push(frame.to_vec()),
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        frames,
                        end: end_of(e),
                    }
                }
            }
        }
        assert!(
            buf.capacity() <= stream.len() + max + RESERVE_STEP,
            "buffer of {} bytes for a {}-byte stream",
            buf.capacity(),
            stream.len()
        );
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(frame)) => frames.push(frame.to_vec()),
            Ok(None) => {
                return Outcome {
                    frames,
                    end: End::Clean,
                }
            }
            Err(e) => {
                return Outcome {
                    frames,
                    end: end_of(e),
                }
            }
        }
    }
}

/// A decoder's error as an ending; other errors are a bug in a decoder.
fn end_of(err: CodecError) -> End {
    match err {
        CodecError::Truncated { got, expected } => End::Truncated { got, expected },
        CodecError::FrameTooLarge { len, max } => End::FrameTooLarge { len, max },
        CodecError::LineTooLong { max } => End::LineTooLong { max },
        other => panic!("a decoder returned {other:?}"),
    }
}
