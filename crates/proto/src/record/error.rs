//! The error type of the record codec.

use super::repr::PyFloat;

/// What went wrong parsing a format, packing values, unpacking bytes or
/// reading value texts.
///
/// Positions are 0-based character indexes into the format string (the same
/// as byte indexes for the ASCII formats `struct` accepts), so a caret can be
/// put under the offending character. Field indexes count values, not
/// format codes: in `"<2i 4x c"` the `c` is field 2.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A character that is not a format code, a count, a byte-order prefix
    /// or whitespace.
    #[error("bad character {ch:?} at position {position} in format {format:?}")]
    BadChar {
        /// The format as given.
        format: String,
        /// Character index of the bad character.
        position: usize,
        /// The bad character.
        ch: char,
    },
    /// A repeat count not directly followed by a format code: at the end of
    /// the format, or followed by whitespace.
    #[error("repeat count must be followed by a format code at position {position} in format {format:?}")]
    MissingCode {
        /// The format as given.
        format: String,
        /// Character index where the format code should be.
        position: usize,
    },
    /// `n`, `N` or `P` after a `=`, `<`, `>` or `!` prefix: these codes only
    /// exist with native sizes (`@` or no prefix).
    #[error("code {ch:?} at position {position} needs native sizes ('@' or no prefix), not {order:?}, in format {format:?}")]
    NativeOnly {
        /// The format as given.
        format: String,
        /// Character index of the code.
        position: usize,
        /// The code: `n`, `N` or `P`.
        ch: char,
        /// The byte-order prefix in force.
        order: char,
    },
    /// A byte-order character (`@ = < > !`) anywhere but at position 0.
    #[error(
        "byte order {ch:?} at position {position} must be the first character of format {format:?}"
    )]
    MisplacedByteOrder {
        /// The format as given.
        format: String,
        /// Character index of the byte-order character.
        position: usize,
        /// The byte-order character.
        ch: char,
    },
    /// The format describes a record larger than `isize::MAX` bytes (or a
    /// repeat count above it), or memory for the packed record could not be
    /// reserved.
    #[error("format {format:?} describes a record too large for memory")]
    TooLarge {
        /// The format as given.
        format: String,
    },
    /// The number of values does not match the format.
    #[error("format {format:?} takes {expected} values, got {got}")]
    WrongCount {
        /// The format as given.
        format: String,
        /// Values the format takes ([`super::Record::field_count`]).
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// An integer outside the range of its field. Python raises
    /// `struct.error` here; tether's binding raises `RecordOverflow`, which is
    /// both a `struct.error` and an `OverflowError`.
    #[error("value {value} for field {index} ({code:?}) is out of range {min}..={max}")]
    OutOfRange {
        /// Field (value) index.
        index: usize,
        /// Format code of the field.
        code: char,
        /// The value given, in decimal: a binding may hold integers beyond
        /// `i128` (see [`super::Record::out_of_range`]).
        value: String,
        /// Smallest accepted value.
        min: i128,
        /// Largest accepted value.
        max: i128,
    },
    /// A finite float too large for a half (`e`) or, with a standard-size
    /// prefix (`= < > !`), a single (`f`) precision field; Python raises
    /// `OverflowError` here. Infinities and NaNs pack, and native `f` (no
    /// prefix or `@`) packs too-large values as infinity, as CPython does.
    #[error("value {} for field {index} ({code:?}) is too large to pack as a {}-byte float", PyFloat(*.value), if *.code == 'e' { 2 } else { 4 })]
    FloatOverflow {
        /// Field (value) index.
        index: usize,
        /// Format code of the field: `e` or `f`.
        code: char,
        /// The value given.
        value: f64,
    },
    /// A value of the wrong kind: a float or bytes for an integer code,
    /// bytes for a float code, a number for `s`, `p` or `c`. Python raises
    /// `struct.error` here; tether's binding raises `RecordTypeError`, which
    /// is both a `struct.error` and a `TypeError`.
    #[error("field {index} ({code:?}) takes {expected}, got {got}")]
    WrongType {
        /// Field (value) index.
        index: usize,
        /// Format code of the field.
        code: char,
        /// What the field takes, as "an integer".
        expected: &'static str,
        /// What was given, as "a float" (or, from a binding, the type of a
        /// foreign object, as "a str").
        got: String,
    },
    /// Bytes of a length other than 1 for a `c` field.
    #[error("field {index} ('c') takes exactly 1 byte, got {len}")]
    NotOneByte {
        /// Field (value) index.
        index: usize,
        /// Length of the bytes given.
        len: usize,
    },
    /// [`super::Record::unpack`] of data whose length is not the record size.
    #[error("data of {got} bytes does not match the record size of {expected} bytes")]
    WrongSize {
        /// The record size.
        expected: usize,
        /// Length of the data.
        got: usize,
    },
    /// [`super::Record::unpack_from`] (or [`super::Record::unpack_span`])
    /// past the end of the data.
    #[error("unpacking {size} bytes at offset {offset} needs {} bytes, got {got}", .offset.saturating_add(*.size))]
    TooShort {
        /// The offset asked for.
        offset: usize,
        /// The record size.
        size: usize,
        /// Length of the data.
        got: usize,
    },
    /// [`super::Record::pack_at`] (or [`super::Record::pack_span`]) past the
    /// end of the buffer.
    #[error("packing {size} bytes at offset {offset} needs {} bytes, got {got}", .offset.saturating_add(*.size))]
    NoRoom {
        /// The offset asked for (from the start).
        offset: usize,
        /// The record size.
        size: usize,
        /// Length of the buffer.
        got: usize,
    },
    /// A negative offset (counted back from the end of a buffer, as Python
    /// counts it) that reaches before the start: see
    /// [`super::Record::unpack_span`].
    #[error("offset {offset} is before the start of a buffer of {len} bytes")]
    OffsetBeforeStart {
        /// The offset given.
        offset: isize,
        /// Length of the buffer.
        len: usize,
    },
    /// [`super::Record::iter_unpack`] with a record of size 0, which would
    /// never advance.
    #[error("cannot iterate over records of size 0")]
    ZeroSize,
    /// [`super::Record::iter_unpack`] of data that is not a whole number of
    /// records.
    #[error("data of {got} bytes is not a whole number of {size}-byte records")]
    NotMultiple {
        /// The record size.
        size: usize,
        /// Length of the data.
        got: usize,
    },
    /// A value text that [`super::Record::parse_values`] cannot read.
    #[error("cannot read {text:?} as {expected} for field {index} ({code:?})")]
    BadText {
        /// Field (value) index.
        index: usize,
        /// Format code of the field.
        code: char,
        /// The text given.
        text: String,
        /// What the field takes, as "an integer".
        expected: &'static str,
    },
}
