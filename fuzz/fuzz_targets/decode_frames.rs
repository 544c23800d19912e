//! Every frame decoder, fed arbitrary bytes in arbitrary chunks: it must not
//! panic, must not grow its buffer past the limit plus one read, and every
//! frame it yields must respect the limit.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tether_proto::{Decoder, FrameCodec, Framing};

const MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let framing = match selector % 4 {
        0 => Framing::Length,
        1 => Framing::Line,
        2 => Framing::Fixed(
            std::num::NonZeroUsize::new(usize::from(selector % 16) + 1)
                .unwrap_or(std::num::NonZeroUsize::MIN),
        ),
        _ => Framing::Raw,
    };
    let chunk = usize::from(selector / 4) + 1;
    let mut codec = FrameCodec::new(framing, MAX);
    let mut buf = BytesMut::new();
    for piece in rest.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => {
                    if framing != Framing::Raw {
                        assert!(frame.len() <= MAX);
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        // A length prefix may reserve at most one step beyond what arrived.
        assert!(buf.capacity() <= rest.len() + MAX + (1 << 20));
    }
    let _ = codec.decode_eof(&mut buf);
});
