//! Line framing: each message is followed by `\n`.

use bytes::{BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::CodecError;
use crate::limits::DEFAULT_MAX_FRAME_LEN;

/// Codec for `\n`-terminated lines. The newline is not part of the message;
/// `\r` is not special.
///
/// A final line without a newline is delivered at a clean close, so text
/// piped through `printf 'a'` or netcat is not lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCodec {
    max_line_len: usize,
    /// Bytes of the buffer already searched for a newline, so a long line
    /// arriving in pieces is scanned once, not once per piece.
    scanned: usize,
}

impl Default for LineCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl LineCodec {
    /// A codec with the default 16 MiB line limit.
    pub fn new() -> Self {
        Self::with_max_line_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A codec that refuses lines longer than `max_line_len` bytes.
    pub fn with_max_line_len(max_line_len: usize) -> Self {
        Self {
            max_line_len,
            scanned: 0,
        }
    }

    /// The line limit of this codec.
    pub fn max_line_len(&self) -> usize {
        self.max_line_len
    }

    /// Where the newline of the first whole line of `buf` is, without
    /// consuming or allocating; `Ok(None)` when more bytes are needed. The
    /// codec remembers how far it searched, so `buf` must start where the
    /// last line found ended (the next call then scans only new bytes).
    pub fn find(&mut self, buf: &[u8]) -> Result<Option<usize>, CodecError> {
        let start = self.scanned.min(buf.len());
        match memchr::memchr(b'\n', &buf[start..]) {
            Some(offset) => {
                let end = start + offset;
                self.scanned = 0;
                if end > self.max_line_len {
                    return Err(CodecError::LineTooLong {
                        max: self.max_line_len,
                    });
                }
                Ok(Some(end))
            }
            None if buf.len() > self.max_line_len => Err(CodecError::LineTooLong {
                max: self.max_line_len,
            }),
            None => {
                self.scanned = buf.len();
                Ok(None)
            }
        }
    }

    /// Checks that `payload` can travel as one line.
    #[inline]
    pub fn check_outgoing(&self, payload: &[u8]) -> Result<(), CodecError> {
        if payload.len() > self.max_line_len {
            return Err(CodecError::FrameTooLarge {
                len: payload.len() as u64,
                max: self.max_line_len,
            });
        }
        match memchr::memchr(b'\n', payload) {
            Some(at) => Err(CodecError::NewlineInLine { at }),
            None => Ok(()),
        }
    }
}

impl Decoder for LineCodec {
    type Item = Bytes;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        let Some(end) = self.find(src)? else {
            return Ok(None);
        };
        let mut line = src.split_to(end + 1);
        line.truncate(end);
        Ok(Some(line.freeze()))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        if let Some(line) = self.decode(src)? {
            return Ok(Some(line));
        }
        self.scanned = 0;
        if src.is_empty() {
            Ok(None)
        } else {
            Ok(Some(src.split().freeze()))
        }
    }
}

impl Encoder<&[u8]> for LineCodec {
    type Error = CodecError;

    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        self.check_outgoing(payload)?;
        dst.reserve(payload.len() + 1);
        dst.put_slice(payload);
        dst.put_u8(b'\n');
        Ok(())
    }
}

impl Encoder<Bytes> for LineCodec {
    type Error = CodecError;

    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.encode(&payload[..], dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_line_in_pieces_is_found() {
        let mut codec = LineCodec::new();
        let mut buf = BytesMut::new();
        for _ in 0..10 {
            buf.extend_from_slice(&[b'x'; 1000]);
            assert!(codec.decode(&mut buf).unwrap().is_none());
        }
        buf.extend_from_slice(b"\nnext");
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap().len(), 10_000);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        assert_eq!(&codec.decode_eof(&mut buf).unwrap().unwrap()[..], b"next");
    }

    #[test]
    fn over_limit_without_newline_is_refused() {
        let mut codec = LineCodec::with_max_line_len(4);
        let mut buf = BytesMut::from(&b"abcde"[..]);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(CodecError::LineTooLong { max: 4 })
        ));
        let mut buf = BytesMut::from(&b"abcd\n"[..]);
        assert_eq!(&codec.decode(&mut buf).unwrap().unwrap()[..], b"abcd");
    }

    #[test]
    fn newline_in_message_is_refused() {
        let mut buf = BytesMut::new();
        assert!(matches!(
            LineCodec::new().encode(&b"a\nb"[..], &mut buf),
            Err(CodecError::NewlineInLine { at: 1 })
        ));
    }
}
