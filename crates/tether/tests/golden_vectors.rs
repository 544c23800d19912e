//! The golden vectors in testdata/vectors/frames.json, shared with the
//! Python and Java peers: encoding gives exactly the wire bytes, decoding the
//! wire bytes gives exactly the messages and then the stated end.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::num::NonZeroUsize;

use bytes::BytesMut;
use serde_json::Value;
use tether::proto::{CodecError, Decoder, Encoder, FrameCodec, Framing};

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/frames.json"
    );
    let text = std::fs::read_to_string(path).expect("testdata/vectors/frames.json");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], 1);
    doc["vectors"].as_array().unwrap().clone()
}

fn codec_for(v: &Value) -> FrameCodec {
    let max = v["max_frame_len"]
        .as_u64()
        .unwrap_or(tether::DEFAULT_MAX_FRAME_LEN as u64) as usize;
    let framing = match v["framing"].as_str().unwrap() {
        "length" => Framing::Length,
        "line" => Framing::Line,
        "raw" => Framing::Raw,
        "fixed" => {
            Framing::Fixed(NonZeroUsize::new(v["fixed_size"].as_u64().unwrap() as usize).unwrap())
        }
        other => panic!("unknown framing {other}"),
    };
    FrameCodec::new(framing, max)
}

fn error_name(e: &CodecError) -> &'static str {
    match e {
        CodecError::FrameTooLarge { .. } => "frame_too_large",
        CodecError::LineTooLong { .. } => "line_too_long",
        CodecError::Truncated { .. } => "truncated",
        CodecError::NewlineInLine { .. } => "newline_in_line",
        CodecError::WrongSize { .. } => "wrong_size",
        CodecError::Io(_) => "io",
    }
}

fn hex_list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| hex::decode(m.as_str().unwrap()).unwrap())
        .collect()
}

#[test]
fn every_golden_vector_encodes_and_decodes_exactly() {
    let vectors = vectors();
    assert!(vectors.len() >= 15, "expected a full set of vectors");
    for v in &vectors {
        let name = v["name"].as_str().unwrap();
        let messages = hex_list(&v["messages"]);
        let wire = hex::decode(v["wire"].as_str().unwrap()).unwrap();
        let error = v["error"].as_str();

        // Encode side.
        let mut codec = codec_for(v);
        let mut out = BytesMut::new();
        let mut encode_error = None;
        for m in &messages {
            if let Err(e) = codec.encode(&m[..], &mut out) {
                encode_error = Some(error_name(&e));
                break;
            }
        }
        if matches!(error, Some("newline_in_line" | "wrong_size")) {
            assert_eq!(encode_error, error, "{name}: encode error");
            continue;
        }
        assert_eq!(encode_error, None, "{name}: unexpected encode error");
        // Raw framing keeps no boundaries, and a frame over the limit cannot
        // be encoded by a codec that enforces it; only compare where the
        // messages are the whole wire.
        if error.is_none() {
            // A final line without its newline can be decoded (it is
            // delivered at close) but never produced by an encoder.
            let mut expected = wire.clone();
            if v["framing"] == "line" && wire.last().is_some_and(|b| *b != b'\n') {
                expected.push(b'\n');
            }
            assert_eq!(
                hex::encode(&out),
                hex::encode(&expected),
                "{name}: wire bytes"
            );
        }

        // Decode side, one byte at a time: the harshest split.
        let mut codec = codec_for(v);
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        let mut decode_error = None;
        'feed: for b in &wire {
            buf.extend_from_slice(&[*b]);
            loop {
                match codec.decode(&mut buf) {
                    Ok(Some(f)) => got.push(f.to_vec()),
                    Ok(None) => break,
                    Err(e) => {
                        decode_error = Some(error_name(&e));
                        break 'feed;
                    }
                }
            }
        }
        if decode_error.is_none() {
            loop {
                match codec.decode_eof(&mut buf) {
                    Ok(Some(f)) => got.push(f.to_vec()),
                    Ok(None) => break,
                    Err(e) => {
                        decode_error = Some(error_name(&e));
                        break;
                    }
                }
            }
        }
        assert_eq!(decode_error, error, "{name}: how the stream ends");
        if v["framing"] == "raw" {
            assert_eq!(got.concat(), messages.concat(), "{name}: raw bytes");
        } else {
            assert_eq!(got, messages, "{name}: decoded messages");
        }
    }
}
