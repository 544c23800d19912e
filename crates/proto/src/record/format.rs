//! Parsing of `struct` format strings into fields with fixed offsets.

use std::ffi::{c_double, c_float, c_int, c_long, c_longlong, c_short};
use std::mem::{align_of, size_of};

use super::RecordError;

/// How one format code packs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// `c`: bytes of length 1.
    Char,
    /// `?`: truth, one byte 0 or 1.
    Bool,
    /// Two's complement integer, range checked against `min..=max`.
    /// `P` packs this way too (Python accepts negative pointers), but
    /// unpacks unsigned.
    Int,
    /// `e`: IEEE 754 half precision.
    Half,
    /// `f` with standard sizes: IEEE 754 single precision; finite values
    /// that round to infinity are an error (CPython's `PyFloat_Pack4`).
    Float,
    /// `f` with native sizes: a C cast, so finite values too large become
    /// infinity (CPython's `np_float`).
    FloatNative,
    /// `d`: IEEE 754 double precision.
    Double,
    /// `s`: bytes, zero-padded or truncated to the count.
    Str,
    /// `p`: Pascal string, a length byte then the bytes.
    Pascal,
}

impl Kind {
    /// What a field of this kind takes, as error messages name it.
    pub(crate) fn expects(self) -> &'static str {
        match self {
            Kind::Int => "an integer",
            Kind::Half | Kind::Float | Kind::FloatNative | Kind::Double => "a float",
            Kind::Char | Kind::Str | Kind::Pascal => "bytes",
            // `?` takes anything by its truth.
            Kind::Bool => "any value",
        }
    }
}

/// A run of values of one code: `3i` is one field of three items, `10s`
/// one field of one 10-byte item. Pad bytes (`x`) are not fields; packing
/// zero-fills the record first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Field {
    pub(crate) kind: Kind,
    /// The format code, for error messages.
    pub(crate) code: u8,
    /// Offset of the first item in the record.
    pub(crate) offset: usize,
    /// Bytes per item (the count for `s` and `p`).
    pub(crate) item: usize,
    /// Number of items, each taking one value.
    pub(crate) repeat: usize,
    /// Integer range for `Kind::Int`.
    pub(crate) min: i128,
    pub(crate) max: i128,
    /// Unpacks as signed (`Kind::Int` only).
    pub(crate) signed: bool,
}

/// The parsed form of a format string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Layout {
    /// Multi-byte items are little-endian.
    pub(crate) little: bool,
    /// Total record size, `struct.calcsize`.
    pub(crate) size: usize,
    /// Number of values.
    pub(crate) count: usize,
    pub(crate) fields: Vec<Field>,
}

/// Whitespace as CPython's `Py_ISSPACE`: space, `\t \n \v \f \r`.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Size, alignment and kind of a code; `None` for a code that does not
/// exist in this mode. `native` selects native sizes and alignment (`@`).
fn entry(c: u8, native: bool) -> Option<(Kind, usize, usize, bool)> {
    // (kind, size, alignment, signed)
    let std_or = |std: usize, nat: usize, align: usize| {
        if native {
            (nat, align)
        } else {
            (std, 1)
        }
    };
    let (kind, (size, align), signed) = match c {
        b'x' | b'c' | b'?' | b's' | b'p' | b'b' | b'B' => {
            let kind = match c {
                b'c' => Kind::Char,
                b'?' => Kind::Bool,
                b's' | b'x' => Kind::Str,
                b'p' => Kind::Pascal,
                _ => Kind::Int,
            };
            (kind, (1, 1), c == b'b')
        }
        b'h' | b'H' => (
            Kind::Int,
            std_or(2, size_of::<c_short>(), align_of::<c_short>()),
            c == b'h',
        ),
        b'i' | b'I' => (
            Kind::Int,
            std_or(4, size_of::<c_int>(), align_of::<c_int>()),
            c == b'i',
        ),
        b'l' | b'L' => (
            Kind::Int,
            std_or(4, size_of::<c_long>(), align_of::<c_long>()),
            c == b'l',
        ),
        b'q' | b'Q' => (
            Kind::Int,
            std_or(8, size_of::<c_longlong>(), align_of::<c_longlong>()),
            c == b'q',
        ),
        b'n' | b'N' | b'P' if native => (
            Kind::Int,
            (size_of::<usize>(), align_of::<usize>()),
            c == b'n',
        ),
        // CPython uses `short` for the native size of a half float.
        b'e' => (
            Kind::Half,
            std_or(2, size_of::<c_short>(), align_of::<c_short>()),
            true,
        ),
        b'f' => (
            if native {
                Kind::FloatNative
            } else {
                Kind::Float
            },
            std_or(4, size_of::<c_float>(), align_of::<c_float>()),
            true,
        ),
        b'd' => (
            Kind::Double,
            std_or(8, size_of::<c_double>(), align_of::<c_double>()),
            true,
        ),
        _ => return None,
    };
    Some((kind, size, align, signed))
}

/// Integer range of a code of `size` bytes.
fn int_range(code: u8, size: usize, signed: bool) -> (i128, i128) {
    let bits = 8 * size as u32;
    let half = 1i128 << (bits - 1);
    if code == b'P' {
        // CPython packs pointers with PyLong_AsVoidPtr, which takes
        // negative values as a C long and others as an unsigned long.
        (-half, (half << 1) - 1)
    } else if signed {
        (-half, half - 1)
    } else {
        (0, (half << 1) - 1)
    }
}

/// Parses `format` as CPython's `struct` does (3.11 `prepare_s`).
pub(crate) fn parse(format: &str) -> Result<Layout, RecordError> {
    let bytes = format.as_bytes();
    let position = |at: usize| format.get(..at).map_or(at, |s| s.chars().count());
    let char_at = |at: usize| {
        format
            .get(at..)
            .and_then(|s| s.chars().next())
            .unwrap_or(char::from(bytes[at]))
    };
    let too_large = || RecordError::TooLarge {
        format: format.to_owned(),
    };
    let limit = isize::MAX as usize;

    let (order, mut i) = match bytes.first() {
        Some(&c @ (b'@' | b'=' | b'<' | b'>' | b'!')) => (c, 1),
        _ => (b'@', 0),
    };
    let native = order == b'@';
    let little = match order {
        b'<' => true,
        b'>' | b'!' => false,
        _ => cfg!(target_endian = "little"),
    };

    let mut size: usize = 0;
    let mut count: usize = 0;
    let mut fields = Vec::new();
    while i < bytes.len() {
        let mut c = bytes[i];
        if is_space(c) {
            i += 1;
            continue;
        }
        let mut num = 1usize;
        if c.is_ascii_digit() {
            num = 0;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                num = num
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(usize::from(bytes[i] - b'0')))
                    .filter(|&n| n <= limit)
                    .ok_or_else(too_large)?;
                i += 1;
            }
            if i == bytes.len() || is_space(bytes[i]) {
                return Err(RecordError::MissingCode {
                    format: format.to_owned(),
                    position: position(i),
                });
            }
            c = bytes[i];
        }
        let at = i;
        i += 1;
        let Some((kind, item, align, signed)) = entry(c, native) else {
            let ch = char_at(at);
            let position = position(at);
            let format = format.to_owned();
            return Err(match c {
                b'@' | b'=' | b'<' | b'>' | b'!' => RecordError::MisplacedByteOrder {
                    format,
                    position,
                    ch,
                },
                b'n' | b'N' | b'P' => RecordError::NativeOnly {
                    format,
                    position,
                    ch,
                    order: char::from(order),
                },
                _ => RecordError::BadChar {
                    format,
                    position,
                    ch,
                },
            });
        };
        if native && align > 1 && size > 0 {
            let extra = (align - 1) - (size - 1) % align;
            size = size
                .checked_add(extra)
                .filter(|&s| s <= limit)
                .ok_or_else(too_large)?;
        }
        if num > (limit - size) / item {
            return Err(too_large());
        }
        let offset = size;
        size += num * item;
        if c == b'x' {
            continue;
        }
        let (kind_item, repeat) = match kind {
            Kind::Str | Kind::Pascal => (num, 1),
            _ => (item, num),
        };
        if repeat == 0 {
            continue;
        }
        count = count.checked_add(repeat).ok_or_else(too_large)?;
        let (min, max) = if kind == Kind::Int {
            int_range(c, item, signed)
        } else {
            (0, 0)
        };
        fields.push(Field {
            kind,
            code: c,
            offset,
            item: kind_item,
            repeat,
            min,
            max,
            signed,
        });
    }
    Ok(Layout {
        little,
        size,
        count,
        fields,
    })
}
