//! Binary records described by Python `struct` format strings.
//!
//! A [`Record`] parses a format such as `"<I 2s f"` once and then packs
//! [`Value`]s into bytes and unpacks bytes into [`Values`], byte for byte as
//! CPython's `struct` module does: the whole grammar (byte-order prefixes
//! `@ = < > !`, codes `x c b B ? h H i I l L q Q n N e f d s p P`, repeat
//! counts, whitespace), native sizes and alignment, range checks, half
//! floats, and Python's `repr` of the unpacked tuple.
//!
//! ```
//! use tether_proto::{Record, Value};
//!
//! let rec = Record::new("<I 2s f")?;
//! assert_eq!(rec.size(), 10);
//! let bytes = rec.pack(&[1u32.into(), b"ab".into(), 2.7f32.into()])?;
//! assert_eq!(bytes, [1, 0, 0, 0, b'a', b'b', 0xcd, 0xcc, 0x2c, 0x40]);
//! let values = rec.unpack(&bytes)?;
//! assert_eq!(values[0], Value::Int(1));
//! assert_eq!(values.to_string(), "(1, b'ab', 2.700000047683716)");
//! # Ok::<(), tether_proto::RecordError>(())
//! ```
//!
//! Where this differs from CPython, on purpose:
//! - `0p` (an empty Pascal string) packs nothing; CPython 3.11 writes a
//!   stray `0xff` length byte into the byte after it, and fails to unpack
//!   it with a `SystemError`. Here it unpacks to `b''`.
//! - Values are limited to what [`Value`] holds: integers beyond `i128`
//!   (all out of range of every code anyway) cannot be expressed, and
//!   there are no `bytearray`s or objects with `__index__`; a binding
//!   converts those by [`Record::value_codes`] and reports what it cannot
//!   with [`Record::wrong_type`] and [`Record::out_of_range`].
//! - Python's `pack_into` is [`Record::pack_at`] here ([`Record::pack_into`]
//!   appends to a `Vec`); negative offsets are turned into offsets from the
//!   start by [`Record::unpack_span`] and [`Record::pack_span`].
//! - Native sizes and alignment are those of the target this crate is
//!   built for, as CPython's are; they were checked on x86_64 Linux.

mod codec;
mod error;
mod format;
mod place;
mod repr;
mod text;
mod value;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

pub use error::RecordError;
pub use value::{Value, Values};

use format::Layout;

/// A parsed `struct` format: packs values into records of [`Record::size`]
/// bytes and unpacks them.
///
/// Parsing happens once, in [`Record::new`], into fields with precomputed
/// offsets; packing writes into one preallocated buffer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    format: String,
    layout: Layout,
}

impl Record {
    /// Parses `format` as Python's `struct.Struct(format)` would.
    ///
    /// Errors: [`RecordError::BadChar`], [`RecordError::MissingCode`],
    /// [`RecordError::NativeOnly`], [`RecordError::MisplacedByteOrder`] and
    /// [`RecordError::TooLarge`], each formats Python rejects.
    pub fn new(format: &str) -> Result<Record, RecordError> {
        let layout = format::parse(format)?;
        Ok(Record {
            format: format.to_owned(),
            layout,
        })
    }

    /// The format string as given to [`Record::new`].
    pub fn format(&self) -> &str {
        &self.format
    }

    /// Size of a packed record in bytes, as `struct.calcsize(format)`.
    pub fn size(&self) -> usize {
        self.layout.size
    }

    /// Number of values a record holds: one per repeat of each code but
    /// `x`, one per `s` or `p` whatever its count.
    pub fn field_count(&self) -> usize {
        self.layout.count
    }

    /// Packs `values`, one per field, into a new record of
    /// [`Record::size`] bytes, as `struct.pack(format, *values)`.
    pub fn pack(&self, values: &[Value]) -> Result<Vec<u8>, RecordError> {
        let mut out = Vec::new();
        self.pack_into(&mut out, values)?;
        Ok(out)
    }

    /// Appends the packed record to `out`; does not reallocate when `out`
    /// has [`Record::size`] bytes of spare capacity. On error `out` is left
    /// as it was.
    pub fn pack_into(&self, out: &mut Vec<u8>, values: &[Value]) -> Result<(), RecordError> {
        self.check_count(values.len())?;
        out.try_reserve(self.layout.size)
            .map_err(|_| RecordError::TooLarge {
                format: self.format.clone(),
            })?;
        let start = out.len();
        out.resize(start + self.layout.size, 0);
        let result = self.write(&mut out[start..], values);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// Packs into a zero-filled buffer of exactly the record size.
    fn write(&self, buf: &mut [u8], values: &[Value]) -> Result<(), RecordError> {
        let little = self.layout.little;
        let mut index = 0;
        for field in &self.layout.fields {
            let mut at = field.offset;
            let end = index + field.repeat;
            for value in &values[index..end] {
                codec::encode(field, little, index, value, &mut buf[at..at + field.item])?;
                at += field.item;
                index += 1;
            }
        }
        Ok(())
    }

    /// Unpacks a record from exactly [`Record::size`] bytes, as
    /// `struct.unpack(format, data)`.
    pub fn unpack(&self, data: &[u8]) -> Result<Values, RecordError> {
        if data.len() != self.layout.size {
            return Err(RecordError::WrongSize {
                expected: self.layout.size,
                got: data.len(),
            });
        }
        Ok(self.read(data))
    }

    /// Unpacks a record from the [`Record::size`] bytes at `offset` of
    /// `data`, which may be longer, as `struct.unpack_from`.
    pub fn unpack_from(&self, data: &[u8], offset: usize) -> Result<Values, RecordError> {
        let size = self.layout.size;
        let got = data.len();
        let at =
            place::span(got, offset, size).ok_or(RecordError::TooShort { offset, size, got })?;
        Ok(self.read(&data[at]))
    }

    /// Iterates over the records of `data`, which must be a whole number of
    /// records, as `struct.iter_unpack`. Records of size 0 are an error, as
    /// in Python. The items are always `Ok`: all checks happen up front.
    pub fn iter_unpack<'a>(
        &'a self,
        data: &'a [u8],
    ) -> Result<impl ExactSizeIterator<Item = Result<Values, RecordError>> + 'a, RecordError> {
        let size = self.layout.size;
        if size == 0 {
            return Err(RecordError::ZeroSize);
        }
        if data.len() % size != 0 {
            return Err(RecordError::NotMultiple {
                size,
                got: data.len(),
            });
        }
        Ok(data.chunks_exact(size).map(|chunk| Ok(self.read(chunk))))
    }

    /// Unpacks a slice of exactly the record size.
    fn read(&self, data: &[u8]) -> Values {
        let little = self.layout.little;
        let mut out = Vec::with_capacity(self.layout.count);
        for field in &self.layout.fields {
            let mut at = field.offset;
            for _ in 0..field.repeat {
                out.push(codec::decode(field, little, &data[at..at + field.item]));
                at += field.item;
            }
        }
        Values(out)
    }

    /// Reads one value per field from texts, as typed on a command line:
    /// integers in decimal (or with a `0x`, `0o`, `0b` prefix), floats as
    /// `2.7`, `-5`, `1e-3`, `inf`, `nan`, `?` as `true`/`false`/`1`/`0`
    /// (any case), and `s`, `p`, `c` as text whose UTF-8 bytes are taken,
    /// with `\xNN`, `\\`, `\n`, `\t` and `\r` escapes.
    ///
    /// The values are also checked as [`Record::pack`] checks them (ranges,
    /// float overflow, one byte for `c`), so the result always packs.
    /// Errors name the field index and the text.
    pub fn parse_values<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Value>, RecordError> {
        self.check_count(texts.len())?;
        let slots = self
            .layout
            .fields
            .iter()
            .flat_map(|field| std::iter::repeat(field).take(field.repeat));
        let mut values = Vec::with_capacity(texts.len());
        for (index, (field, text)) in slots.zip(texts).enumerate() {
            let value = text::parse_text(field, index, text.as_ref())?;
            if !matches!(field.kind, format::Kind::Str | format::Kind::Pascal) {
                // Numbers, bools and chars fit in 8 bytes.
                let mut scratch = [0u8; 8];
                let n = field.item.min(scratch.len());
                codec::encode(field, self.layout.little, index, &value, &mut scratch[..n])?;
            }
            values.push(value);
        }
        Ok(values)
    }
}

impl FromStr for Record {
    type Err = RecordError;

    /// Same as [`Record::new`].
    fn from_str(format: &str) -> Result<Record, RecordError> {
        Record::new(format)
    }
}

impl fmt::Display for Record {
    /// Prints the format string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format)
    }
}
