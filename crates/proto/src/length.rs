//! Length framing: a 4-byte big-endian length, then that many payload bytes.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::CodecError;
use crate::limits::{DEFAULT_MAX_FRAME_LEN, LENGTH_PREFIX_LEN};

/// The most a partial frame makes the buffer grow in one step. A peer that
/// claims 16 MiB and then stalls costs at most this much, not the full claim.
const MAX_RESERVE_STEP: usize = 1024 * 1024;

/// Codec for length-prefixed frames (`u32` big-endian length, then payload).
///
/// ```
/// use bytes::BytesMut;
/// use tether_proto::LengthCodec;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = LengthCodec::new();
/// let mut wire = BytesMut::new();
/// codec.encode(&b"hi"[..], &mut wire)?;
/// assert_eq!(&wire[..], b"\x00\x00\x00\x02hi");
/// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"hi"[..]));
/// # Ok::<(), tether_proto::CodecError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LengthCodec {
    max_frame_len: usize,
}

impl Default for LengthCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl LengthCodec {
    /// A codec with the default 16 MiB limit.
    pub fn new() -> Self {
        Self::with_max_frame_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A codec that refuses frames longer than `max_frame_len` bytes of payload.
    pub fn with_max_frame_len(max_frame_len: usize) -> Self {
        Self { max_frame_len }
    }

    /// The payload limit of this codec.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Looks at the start of `buf` without consuming or allocating:
    /// `Ok(Some(total))` when a whole frame of `total` bytes (header included)
    /// is there, `Ok(None)` when more bytes are needed.
    pub fn check(&self, buf: &[u8]) -> Result<Option<usize>, CodecError> {
        match self.announced_len(buf)? {
            Some(total) if buf.len() >= total => Ok(Some(total)),
            _ => Ok(None),
        }
    }

    /// Lends `f` the payload of every whole frame at the start of `buf`, up
    /// to `max` of them; returns how many and the bytes they took. Stops
    /// before a partial frame or one over the limit, which `check` then
    /// reports. One bounds check and one compare per frame: the batch
    /// receive of small messages spends its time here.
    #[inline]
    pub fn each_frame(&self, buf: &[u8], max: usize, mut f: impl FnMut(&[u8])) -> (usize, usize) {
        let (mut n, mut at) = (0, 0);
        while n < max {
            let Some(header) = buf[at..].first_chunk::<LENGTH_PREFIX_LEN>() else {
                break;
            };
            let len = u32::from_be_bytes(*header) as usize;
            let start = at + LENGTH_PREFIX_LEN;
            if len > self.max_frame_len || buf.len() - start < len {
                break;
            }
            f(&buf[start..start + len]);
            at = start + len;
            n += 1;
        }
        (n, at)
    }

    /// Total length (header included) of the frame starting at `buf`, once
    /// its header has arrived; checked against the limit.
    pub fn announced_len(&self, buf: &[u8]) -> Result<Option<usize>, CodecError> {
        let Some(header) = buf.first_chunk::<LENGTH_PREFIX_LEN>() else {
            return Ok(None);
        };
        let len = u32::from_be_bytes(*header);
        if len as u64 > self.max_frame_len as u64 {
            return Err(CodecError::FrameTooLarge {
                len: len.into(),
                max: self.max_frame_len,
            });
        }
        Ok(Some(LENGTH_PREFIX_LEN + len as usize))
    }

    /// The 4-byte prefix for a payload of `len` bytes, or an error if the
    /// payload is over this codec's limit (a peer with the same limit would
    /// refuse it).
    #[inline]
    pub fn prefix(&self, len: usize) -> Result<[u8; LENGTH_PREFIX_LEN], CodecError> {
        if len > self.max_frame_len || len > u32::MAX as usize {
            return Err(CodecError::FrameTooLarge {
                len: len as u64,
                max: self.max_frame_len,
            });
        }
        Ok((len as u32).to_be_bytes())
    }
}

impl Decoder for LengthCodec {
    type Item = Bytes;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        let Some(total) = self.announced_len(src)? else {
            return Ok(None);
        };
        if src.len() < total {
            src.reserve((total - src.len()).min(MAX_RESERVE_STEP));
            return Ok(None);
        }
        src.advance(LENGTH_PREFIX_LEN);
        Ok(Some(src.split_to(total - LENGTH_PREFIX_LEN).freeze()))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        if src.is_empty() {
            return Ok(None);
        }
        let expected = self.announced_len(src)?.unwrap_or(LENGTH_PREFIX_LEN);
        let got = src.len();
        src.clear();
        Err(CodecError::Truncated { got, expected })
    }
}

impl Encoder<&[u8]> for LengthCodec {
    type Error = CodecError;

    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        let prefix = self.prefix(payload.len())?;
        dst.reserve(LENGTH_PREFIX_LEN + payload.len());
        dst.put_slice(&prefix);
        dst.put_slice(payload);
        Ok(())
    }
}

impl Encoder<Bytes> for LengthCodec {
    type Error = CodecError;

    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.encode(&payload[..], dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_frame_lends_the_whole_frames_and_stops_at_a_part_or_an_oversize() {
        let codec = LengthCodec::with_max_frame_len(8);
        let mut wire = Vec::new();
        for p in [&b"ab"[..], b"", b"12345678"] {
            wire.extend_from_slice(&(p.len() as u32).to_be_bytes());
            wire.extend_from_slice(p);
        }
        let whole = wire.len();
        wire.extend_from_slice(&[0, 0, 0, 3, b'x']); // a part
        let mut got = Vec::new();
        let (n, used) = codec.each_frame(&wire, usize::MAX, |m| got.push(m.to_vec()));
        assert_eq!((n, used), (3, whole));
        assert_eq!(got, [b"ab".to_vec(), Vec::new(), b"12345678".to_vec()]);
        assert_eq!(codec.each_frame(&wire, 2, |_| {}), (2, 10));
        let over = [0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(codec.each_frame(&over, usize::MAX, |_| {}), (0, 0));
        assert!(codec.check(&over).is_err());
    }

    #[test]
    fn zero_length_frame_is_legal() {
        let mut buf = BytesMut::from(&[0u8, 0, 0, 0][..]);
        let frame = LengthCodec::new().decode(&mut buf).unwrap().unwrap();
        assert!(frame.is_empty());
        assert!(buf.is_empty());
    }

    #[test]
    fn huge_prefix_is_refused_before_growing() {
        let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0xff][..]);
        let cap = buf.capacity();
        let err = LengthCodec::new().decode(&mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "frame of 4294967295 bytes exceeds the 16 MiB limit"
        );
        assert_eq!(buf.capacity(), cap);
    }

    #[test]
    fn stalled_claim_reserves_at_most_one_step() {
        let mut buf = BytesMut::from(&(16u32 * 1024 * 1024).to_be_bytes()[..]);
        assert!(LengthCodec::new().decode(&mut buf).unwrap().is_none());
        assert!(buf.capacity() <= LENGTH_PREFIX_LEN + MAX_RESERVE_STEP + 64);
    }

    #[test]
    fn eof_inside_header_and_payload_is_truncated() {
        let mut codec = LengthCodec::new();
        let mut buf = BytesMut::from(&[0u8, 0][..]);
        match codec.decode_eof(&mut buf) {
            Err(CodecError::Truncated {
                got: 2,
                expected: 4,
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
        let mut buf = BytesMut::from(&[0u8, 0, 0, 5, b'a', b'b'][..]);
        match codec.decode_eof(&mut buf) {
            Err(CodecError::Truncated {
                got: 6,
                expected: 9,
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn refuses_to_encode_over_its_own_limit() {
        let mut codec = LengthCodec::with_max_frame_len(3);
        let mut buf = BytesMut::new();
        assert!(matches!(
            codec.encode(&b"abcd"[..], &mut buf),
            Err(CodecError::FrameTooLarge { len: 4, max: 3 })
        ));
        assert!(buf.is_empty());
    }
}
