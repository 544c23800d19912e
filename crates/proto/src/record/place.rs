//! Records in place: packing into a caller's buffer at an offset, offsets
//! counted from the end as Python counts them, and what a binding to another
//! language needs to convert its values field by field.

use std::ops::Range;

use super::codec;
use super::format::Field;
use super::{Record, RecordError};

impl Record {
    /// Packs `values` into `buf` at `offset`, as Python's
    /// `struct.pack_into(format, buf, offset, *values)`: the record's
    /// [`Record::size`] bytes are zero-filled, then written.
    ///
    /// A wrong number of values or a record that does not fit leaves `buf`
    /// untouched ([`RecordError::WrongCount`], [`RecordError::NoRoom`]); after
    /// an error in a value the record's bytes are zeroed and partly written,
    /// as in Python.
    pub fn pack_at(
        &self,
        buf: &mut [u8],
        offset: usize,
        values: &[super::Value],
    ) -> Result<(), RecordError> {
        self.check_count(values.len())?;
        let size = self.layout.size;
        let got = buf.len();
        let at = span(got, offset, size).ok_or(RecordError::NoRoom { offset, size, got })?;
        let slot = &mut buf[at];
        slot.fill(0);
        self.write(slot, values)
    }

    /// The bytes of a buffer of `len` bytes that Python's
    /// `struct.unpack_from(format, buffer, offset)` reads: `offset` counts
    /// from the start, or back from the end when negative (`-4` is
    /// `len - 4`). Errors: [`RecordError::OffsetBeforeStart`],
    /// [`RecordError::TooShort`].
    pub fn unpack_span(&self, len: usize, offset: isize) -> Result<Range<usize>, RecordError> {
        let start = start_of(len, offset)?;
        let size = self.layout.size;
        span(len, start, size).ok_or(RecordError::TooShort {
            offset: start,
            size,
            got: len,
        })
    }

    /// The bytes of a buffer of `len` bytes that Python's
    /// `struct.pack_into(format, buffer, offset, ...)` writes, with offsets
    /// as in [`Record::unpack_span`]. Errors:
    /// [`RecordError::OffsetBeforeStart`], [`RecordError::NoRoom`].
    pub fn pack_span(&self, len: usize, offset: isize) -> Result<Range<usize>, RecordError> {
        let start = start_of(len, offset)?;
        let size = self.layout.size;
        span(len, start, size).ok_or(RecordError::NoRoom {
            offset: start,
            size,
            got: len,
        })
    }

    /// Checks that `got` values are as many as the format takes
    /// ([`Record::field_count`]); [`RecordError::WrongCount`] if not.
    pub fn check_count(&self, got: usize) -> Result<(), RecordError> {
        if got == self.layout.count {
            return Ok(());
        }
        Err(RecordError::WrongCount {
            format: self.format.clone(),
            expected: self.layout.count,
            got,
        })
    }

    /// The format code of each value, in order: `"<2i 4x 3s c"` gives `i`,
    /// `i`, `s`, `c`. A binding uses it to convert each of its own values as
    /// the field takes it (`?` by truth, integer codes by `__index__`).
    pub fn value_codes(&self) -> impl Iterator<Item = char> + '_ {
        self.layout
            .fields
            .iter()
            .flat_map(|field| std::iter::repeat(char::from(field.code)).take(field.repeat))
    }

    /// The error for value `index` when a binding has a value that is no
    /// [`super::Value`] the field takes; `got` names it, as "a str".
    pub fn wrong_type(&self, index: usize, got: &str) -> RecordError {
        match self.field_of(index) {
            Some(field) => codec::wrong_type(field, index, got),
            None => self.no_such_value(index),
        }
    }

    /// The error for value `index` when a binding has an integer that no
    /// [`super::Value`] holds (beyond `i128`, so out of every code's range);
    /// `value` is its decimal text.
    pub fn out_of_range(&self, index: usize, value: &str) -> RecordError {
        match self.field_of(index) {
            Some(field) if field.kind == super::format::Kind::Int => {
                codec::out_of_range(field, index, value.to_owned())
            }
            Some(field) => codec::wrong_type(field, index, "an integer too large for it"),
            None => self.no_such_value(index),
        }
    }

    /// The field that takes value `index`.
    fn field_of(&self, index: usize) -> Option<&Field> {
        let mut first = 0;
        self.layout.fields.iter().find(|field| {
            first += field.repeat;
            index < first
        })
    }

    /// A value index past the last field: as many values as that would take.
    fn no_such_value(&self, index: usize) -> RecordError {
        RecordError::WrongCount {
            format: self.format.clone(),
            expected: self.layout.count,
            got: index.saturating_add(1),
        }
    }
}

/// Python's offset into a buffer of `len` bytes, from the start.
fn start_of(len: usize, offset: isize) -> Result<usize, RecordError> {
    if offset >= 0 {
        return Ok(offset.unsigned_abs());
    }
    len.checked_sub(offset.unsigned_abs())
        .ok_or(RecordError::OffsetBeforeStart { offset, len })
}

/// The `size` bytes at `start` of a buffer of `len` bytes, if they are in it.
pub(super) fn span(len: usize, start: usize, size: usize) -> Option<Range<usize>> {
    let end = start.checked_add(size)?;
    (end <= len).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::super::{Record, RecordError, Value};

    fn rec(format: &str) -> Record {
        Record::new(format).unwrap()
    }

    #[test]
    fn pack_at_writes_what_pack_gives_and_nothing_around_it() {
        let r = rec("<hI");
        let values = [Value::Int(-2), Value::Int(0x0102_0304)];
        let mut buf = [0xaau8; 10];
        r.pack_at(&mut buf, 2, &values).unwrap();
        assert_eq!(&buf[2..8], r.pack(&values).unwrap().as_slice());
        assert_eq!([buf[0], buf[1], buf[8], buf[9]], [0xaa; 4]);
    }

    #[test]
    fn pack_at_zero_fills_pads_and_short_strings_as_python() {
        // struct.pack_into("<b2x3s", buf, 0, 1, b"a") on b"\xff" * 6.
        let mut buf = [0xffu8; 6];
        rec("<b2x3s")
            .pack_at(&mut buf, 0, &[1.into(), b"a".into()])
            .unwrap();
        assert_eq!(buf, [1, 0, 0, b'a', 0, 0]);
    }

    #[test]
    fn pack_at_past_the_end_is_no_room_and_touches_nothing() {
        let mut buf = [7u8; 10];
        let err = rec("21s").pack_at(&mut buf, 2, &[b"x".into()]).unwrap_err();
        assert_eq!(
            err,
            RecordError::NoRoom {
                offset: 2,
                size: 21,
                got: 10
            }
        );
        assert_eq!(
            err.to_string(),
            "packing 21 bytes at offset 2 needs 23 bytes, got 10"
        );
        let huge = rec("<I")
            .pack_at(&mut buf, usize::MAX, &[1.into()])
            .unwrap_err();
        assert!(matches!(huge, RecordError::NoRoom { .. }), "{huge}");
        assert_eq!(buf, [7; 10]);
    }

    #[test]
    fn pack_at_checks_the_count_first() {
        let mut buf = [0u8; 4];
        let err = rec("<I").pack_at(&mut buf, 0, &[]).unwrap_err();
        assert!(matches!(
            err,
            RecordError::WrongCount {
                expected: 1,
                got: 0,
                ..
            }
        ));
    }

    #[test]
    fn negative_offsets_count_from_the_end_as_in_python() {
        let r = rec("<B");
        assert_eq!(r.unpack_span(10, -1), Ok(9..10));
        assert_eq!(r.unpack_span(10, -10), Ok(0..1));
        assert_eq!(r.pack_span(10, 3), Ok(3..4));
        let err = r.unpack_span(10, -11).unwrap_err();
        assert_eq!(
            err,
            RecordError::OffsetBeforeStart {
                offset: -11,
                len: 10
            }
        );
        assert_eq!(
            err.to_string(),
            "offset -11 is before the start of a buffer of 10 bytes"
        );
        assert!(r.pack_span(0, isize::MIN).is_err());
        // struct.unpack_from("<I", bytes(10), -2): 4 bytes at 8 do not fit.
        let four = rec("<I");
        assert_eq!(
            four.unpack_span(10, -2),
            Err(RecordError::TooShort {
                offset: 8,
                size: 4,
                got: 10
            })
        );
        assert_eq!(
            four.pack_span(10, isize::MAX).unwrap_err().to_string(),
            format!(
                "packing 4 bytes at offset {} needs {} bytes, got 10",
                isize::MAX,
                isize::MAX as usize + 4
            )
        );
        // A zero-size record fits at the very end, as in Python.
        assert_eq!(rec("").unpack_span(10, 10), Ok(10..10));
    }

    #[test]
    fn check_count_is_the_count_error_of_pack() {
        let r = rec("<2i");
        assert_eq!(r.check_count(2), Ok(()));
        assert_eq!(r.check_count(1), Err(r.pack(&[1.into()]).unwrap_err()));
    }

    #[test]
    fn value_codes_give_one_code_per_value() {
        let codes: String = rec("<2i 4x 3s c 0q ?").value_codes().collect();
        assert_eq!(codes, "iisc?");
        assert_eq!(rec("").value_codes().count(), 0);
    }

    #[test]
    fn errors_for_a_binding_name_the_field_and_what_it_takes() {
        let r = rec("<b 2s d");
        assert_eq!(
            r.wrong_type(0, "a str").to_string(),
            "field 0 ('b') takes an integer, got a str"
        );
        assert_eq!(
            r.wrong_type(1, "an int").to_string(),
            "field 1 ('s') takes bytes, got an int"
        );
        let big = (1u128 << 127).to_string();
        assert_eq!(
            r.out_of_range(0, &big).to_string(),
            format!("value {big} for field 0 ('b') is out of range -128..=127")
        );
        assert!(matches!(
            r.out_of_range(2, &big),
            RecordError::WrongType { index: 2, .. }
        ));
        assert!(matches!(
            r.wrong_type(3, "a str"),
            RecordError::WrongCount {
                expected: 3,
                got: 4,
                ..
            }
        ));
    }
}
