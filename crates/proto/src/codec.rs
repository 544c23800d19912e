//! One codec type for whichever framing was chosen at run time.

use std::ops::Range;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::CodecError;
use crate::fixed::FixedCodec;
use crate::framing::Framing;
use crate::length::LengthCodec;
use crate::limits::{DEFAULT_MAX_FRAME_LEN, LENGTH_PREFIX_LEN};
use crate::line::LineCodec;
use crate::raw::RawCodec;

/// A frame codec for any [`Framing`], so a link's type does not depend on the
/// framing its user picked.
///
/// ```
/// use bytes::BytesMut;
/// use tether_proto::{FrameCodec, Framing};
/// use tokio_util::codec::Decoder;
///
/// let mut codec = FrameCodec::new(Framing::Line, 1024);
/// let mut wire = BytesMut::from(&b"one\ntwo\n"[..]);
/// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"one"[..]));
/// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"two"[..]));
/// assert_eq!(codec.decode(&mut wire)?, None);
/// # Ok::<(), tether_proto::CodecError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameCodec {
    /// Length-prefixed frames.
    Length(LengthCodec),
    /// Newline-terminated lines.
    Line(LineCodec),
    /// Fixed-size records.
    Fixed(FixedCodec),
    /// No framing.
    Raw(RawCodec),
}

impl Default for FrameCodec {
    fn default() -> Self {
        Self::new(Framing::Length, DEFAULT_MAX_FRAME_LEN)
    }
}

/// The bytes that go around a payload on the wire, so a link can write
/// `prefix`, payload and `suffix` in one vectored call without copying the
/// payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    prefix: [u8; LENGTH_PREFIX_LEN],
    prefix_len: u8,
    suffix: &'static [u8],
}

impl Envelope {
    /// Bytes written before the payload.
    #[inline]
    pub fn prefix(&self) -> &[u8] {
        &self.prefix[..usize::from(self.prefix_len)]
    }

    /// Bytes written after the payload.
    #[inline]
    pub fn suffix(&self) -> &'static [u8] {
        self.suffix
    }

    /// Framing bytes added to a payload.
    #[inline]
    pub fn overhead(&self) -> usize {
        usize::from(self.prefix_len) + self.suffix.len()
    }

    const NONE: Envelope = Envelope {
        prefix: [0; LENGTH_PREFIX_LEN],
        prefix_len: 0,
        suffix: b"",
    };
}

/// Where the whole frame at the start of a buffer lies, found by
/// [`FrameCodec::find`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The payload's bytes within the buffer.
    pub payload: Range<usize>,
    /// Bytes the frame takes up, framing included: where the next begins.
    pub len: usize,
}

impl FrameCodec {
    /// The whole frame at the start of `buf`, found without consuming or
    /// allocating (`Ok(None)`: more bytes are needed), with the same limits
    /// and errors as `decode`. For receives that lend each payload out as a
    /// slice: the caller steps `len` bytes on before the next call (the
    /// line codec remembers how far it searched, as in `decode`).
    ///
    /// ```
    /// use tether_proto::FrameCodec;
    ///
    /// let mut codec = FrameCodec::default();
    /// let wire = b"\x00\x00\x00\x02hi\x00\x00";
    /// let found = codec.find(wire)?.unwrap();
    /// assert_eq!(&wire[found.payload], b"hi");
    /// assert_eq!(codec.find(&wire[found.len..])?, None);
    /// # Ok::<(), tether_proto::CodecError>(())
    /// ```
    #[inline]
    pub fn find(&mut self, buf: &[u8]) -> Result<Option<Found>, CodecError> {
        Ok(match self {
            Self::Length(c) => c.check(buf)?.map(|len| Found {
                payload: LENGTH_PREFIX_LEN..len,
                len,
            }),
            Self::Line(c) => c.find(buf)?.map(|end| Found {
                payload: 0..end,
                len: end + 1,
            }),
            Self::Fixed(c) => (buf.len() >= c.size()).then_some(Found {
                payload: 0..c.size(),
                len: c.size(),
            }),
            Self::Raw(_) => (!buf.is_empty()).then_some(Found {
                payload: 0..buf.len(),
                len: buf.len(),
            }),
        })
    }

    /// Lends `f` the payload of every whole frame at the start of `buf`, up
    /// to `max`; returns how many and the bytes they took (step on by that
    /// much). Stops before a partial or bad frame, which `find` reports.
    /// Length framing has a loop of its own, with no enum dispatch per frame.
    #[inline]
    pub fn each_frame(
        &mut self,
        buf: &[u8],
        max: usize,
        mut f: impl FnMut(&[u8]),
    ) -> (usize, usize) {
        if let Self::Length(c) = self {
            return c.each_frame(buf, max, f);
        }
        let (mut n, mut at) = (0, 0);
        while n < max {
            match self.find(&buf[at..]) {
                Ok(Some(found)) => {
                    f(&buf[at + found.payload.start..at + found.payload.end]);
                    at += found.len;
                    n += 1;
                }
                Ok(None) | Err(_) => break,
            }
        }
        (n, at)
    }

    /// The whole length of the length frame that starts `buf`, once its
    /// header is there (checked against the limit), so a receiver can make
    /// room for a big frame in one step; `None` for other framings.
    pub fn announced_len(&self, buf: &[u8]) -> Result<Option<usize>, CodecError> {
        match self {
            Self::Length(c) => c.announced_len(buf),
            _ => Ok(None),
        }
    }

    /// A codec for `framing`; `max_frame_len` limits length frames and lines.
    pub fn new(framing: Framing, max_frame_len: usize) -> Self {
        match framing {
            Framing::Length => Self::Length(LengthCodec::with_max_frame_len(max_frame_len)),
            Framing::Line => Self::Line(LineCodec::with_max_line_len(max_frame_len)),
            Framing::Fixed(size) => Self::Fixed(FixedCodec::new(size)),
            Framing::Raw => Self::Raw(RawCodec),
        }
    }

    /// The framing this codec speaks.
    pub fn framing(&self) -> Framing {
        match self {
            Self::Length(_) => Framing::Length,
            Self::Line(_) => Framing::Line,
            Self::Fixed(c) => Framing::Fixed(c.record_size()),
            Self::Raw(_) => Framing::Raw,
        }
    }

    /// The framing bytes for `payload`, after checking that it can be sent
    /// (not over the limit, no newline in a line, right size for a record).
    #[inline]
    pub fn envelope(&self, payload: &[u8]) -> Result<Envelope, CodecError> {
        match self {
            Self::Length(c) => Ok(Envelope {
                prefix: c.prefix(payload.len())?,
                prefix_len: LENGTH_PREFIX_LEN as u8,
                suffix: b"",
            }),
            Self::Line(c) => {
                c.check_outgoing(payload)?;
                Ok(Envelope {
                    suffix: b"\n",
                    ..Envelope::NONE
                })
            }
            Self::Fixed(c) => {
                c.check_outgoing(payload)?;
                Ok(Envelope::NONE)
            }
            Self::Raw(_) => Ok(Envelope::NONE),
        }
    }
}

impl Decoder for FrameCodec {
    type Item = Bytes;
    type Error = CodecError;

    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        match self {
            Self::Length(c) => c.decode(src),
            Self::Line(c) => c.decode(src),
            Self::Fixed(c) => c.decode(src),
            Self::Raw(c) => c.decode(src),
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        match self {
            Self::Length(c) => c.decode_eof(src),
            Self::Line(c) => c.decode_eof(src),
            Self::Fixed(c) => c.decode_eof(src),
            Self::Raw(c) => c.decode_eof(src),
        }
    }
}

impl Encoder<&[u8]> for FrameCodec {
    type Error = CodecError;

    #[inline]
    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        match self {
            Self::Length(c) => c.encode(payload, dst),
            Self::Line(c) => c.encode(payload, dst),
            Self::Fixed(c) => c.encode(payload, dst),
            Self::Raw(c) => c.encode(payload, dst),
        }
    }
}

impl Encoder<Bytes> for FrameCodec {
    type Error = CodecError;

    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.encode(&payload[..], dst)
    }
}
