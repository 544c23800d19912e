//! Property tests of the frame codecs: any frames, any split of the stream.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::num::NonZeroUsize;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use tether_proto::{CodecError, Decoder, Encoder, FrameCodec, Framing};

fn encode_all(codec: &mut FrameCodec, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for f in frames {
        codec.encode(&f[..], &mut wire).unwrap();
    }
    wire.to_vec()
}

/// Feeds `wire` to a decoder in the given chunk sizes, then ends the stream.
fn decode_in_chunks(
    codec: &mut FrameCodec,
    wire: &[u8],
    chunks: &[usize],
) -> Result<Vec<Bytes>, CodecError> {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut rest = wire;
    let mut sizes = chunks.iter().cycle();
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap()).clamp(1, rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        while let Some(frame) = codec.decode(&mut buf)? {
            out.push(frame);
        }
    }
    while let Some(frame) = codec.decode_eof(&mut buf)? {
        out.push(frame);
    }
    Ok(out)
}

fn frames(max_len: usize) -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..max_len), 0..40)
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..300, 1..20)
}

proptest! {
    #[test]
    fn length_frames_survive_any_split(frames in frames(600), chunks in chunk_sizes()) {
        let mut codec = FrameCodec::new(Framing::Length, 1 << 20);
        let wire = encode_all(&mut codec, &frames);
        let got = decode_in_chunks(&mut codec, &wire, &chunks).unwrap();
        prop_assert_eq!(got.iter().map(|b| b.to_vec()).collect::<Vec<_>>(), frames);
    }

    #[test]
    fn lines_survive_any_split(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..200), 0..40),
        chunks in chunk_sizes(),
    ) {
        let mut codec = FrameCodec::new(Framing::Line, 1 << 20);
        let wire = encode_all(&mut codec, &frames);
        let got = decode_in_chunks(&mut codec, &wire, &chunks).unwrap();
        prop_assert_eq!(got.iter().map(|b| b.to_vec()).collect::<Vec<_>>(), frames);
    }

    #[test]
    fn fixed_records_survive_any_split(size in 1usize..40, count in 0usize..50, chunks in chunk_sizes(), seed in any::<u8>()) {
        let frames: Vec<Vec<u8>> = (0..count).map(|i| vec![seed.wrapping_add(i as u8); size]).collect();
        let mut codec = FrameCodec::new(Framing::Fixed(NonZeroUsize::new(size).unwrap()), 0);
        let wire = encode_all(&mut codec, &frames);
        let got = decode_in_chunks(&mut codec, &wire, &chunks).unwrap();
        prop_assert_eq!(got.iter().map(|b| b.to_vec()).collect::<Vec<_>>(), frames);
    }

    #[test]
    fn raw_keeps_every_byte(frames in frames(300), chunks in chunk_sizes()) {
        let mut codec = FrameCodec::new(Framing::Raw, 0);
        let wire = encode_all(&mut codec, &frames);
        let got = decode_in_chunks(&mut codec, &wire, &chunks).unwrap();
        prop_assert_eq!(got.concat(), wire);
    }

    #[test]
    fn every_strict_prefix_of_a_frame_needs_more(payload in prop::collection::vec(any::<u8>(), 0..300)) {
        for framing in [Framing::Length, Framing::Line] {
            if framing == Framing::Line && payload.contains(&b'\n') {
                continue;
            }
            let mut codec = FrameCodec::new(framing, 1 << 20);
            let wire = encode_all(&mut codec, std::slice::from_ref(&payload));
            for cut in 0..wire.len() {
                let mut buf = BytesMut::from(&wire[..cut]);
                prop_assert!(codec.decode(&mut buf).unwrap().is_none(), "{framing} prefix {cut}");
                prop_assert_eq!(buf.len(), cut, "a prefix must not be consumed");
            }
        }
    }

    #[test]
    fn over_limit_lengths_are_refused_without_growing(len in 1025u32.., tail in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut codec = FrameCodec::new(Framing::Length, 1024);
        let mut buf = BytesMut::with_capacity(128);
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(&tail);
        let cap = buf.capacity();
        match codec.decode(&mut buf) {
            Err(CodecError::FrameTooLarge { len: l, max: 1024 }) => prop_assert_eq!(l, u64::from(len)),
            other => prop_assert!(false, "expected FrameTooLarge, got {:?}", other),
        }
        prop_assert!(buf.capacity() <= cap.max(1024 + 4));
    }

    #[test]
    fn truncated_streams_never_deliver_the_partial_frame(payload in prop::collection::vec(any::<u8>(), 1..300), cut_seed in any::<usize>()) {
        let mut codec = FrameCodec::new(Framing::Length, 1 << 20);
        let wire = encode_all(&mut codec, &[b"whole".to_vec(), payload]);
        let cut = 9 + 1 + cut_seed % (wire.len() - 9 - 1);
        let result = decode_in_chunks(&mut codec, &wire[..cut], &[7]);
        match result {
            Err(CodecError::Truncated { got, expected }) => {
                prop_assert_eq!(got, cut - 9);
                prop_assert!(got < expected);
            }
            other => prop_assert!(false, "expected Truncated, got {:?}", other),
        }
    }
}
