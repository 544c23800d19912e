//! Fixed framing: every message is exactly N bytes, with no header.

use std::num::NonZeroUsize;

use bytes::{BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::CodecError;

/// Codec for records of a fixed size, as sent by peers that write bare
/// `struct.pack(...)` bytes with no length prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedCodec {
    size: NonZeroUsize,
}

impl FixedCodec {
    /// A codec for records of `size` bytes.
    pub fn new(size: NonZeroUsize) -> Self {
        Self { size }
    }

    /// The record size.
    pub fn size(&self) -> usize {
        self.size.get()
    }

    /// The record size, as the [`crate::Framing::Fixed`] it came from.
    pub fn record_size(&self) -> NonZeroUsize {
        self.size
    }

    /// Checks that `payload` is exactly one record.
    pub fn check_outgoing(&self, payload: &[u8]) -> Result<(), CodecError> {
        if payload.len() == self.size.get() {
            Ok(())
        } else {
            Err(CodecError::WrongSize {
                len: payload.len(),
                size: self.size.get(),
            })
        }
    }
}

impl Decoder for FixedCodec {
    type Item = Bytes;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        if src.len() < self.size.get() {
            return Ok(None);
        }
        Ok(Some(src.split_to(self.size.get()).freeze()))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        if let Some(record) = self.decode(src)? {
            return Ok(Some(record));
        }
        if src.is_empty() {
            return Ok(None);
        }
        let got = src.len();
        src.clear();
        Err(CodecError::Truncated {
            got,
            expected: self.size.get(),
        })
    }
}

impl Encoder<&[u8]> for FixedCodec {
    type Error = CodecError;

    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        self.check_outgoing(payload)?;
        dst.put_slice(payload);
        Ok(())
    }
}

impl Encoder<Bytes> for FixedCodec {
    type Error = CodecError;

    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.encode(&payload[..], dst)
    }
}
