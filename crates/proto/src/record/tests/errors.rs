//! Error messages and value ranges of the record codec, as CPython's
//! `struct` draws them.

use super::super::*;
use super::rec;

fn err(format: &str) -> RecordError {
    Record::new(format).unwrap_err()
}

fn check(cases: Vec<(RecordError, &str)>) {
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
}

/// Every error variant of a format, with its message.
#[test]
fn format_error_messages() {
    check(vec![
        (err("<I 2s y"), "bad character 'y' at position 6 in format \"<I 2s y\""),
        (err("ié"), "bad character 'é' at position 1 in format \"ié\""),
        (err("i\0"), "bad character '\\0' at position 1 in format \"i\\0\""),
        (
            err("<I 12"),
            "repeat count must be followed by a format code at position 5 in format \"<I 12\"",
        ),
        (
            err("3 i"),
            "repeat count must be followed by a format code at position 1 in format \"3 i\"",
        ),
        (
            err("<i P"),
            "code 'P' at position 3 needs native sizes ('@' or no prefix), not '<', in format \"<i P\"",
        ),
        (
            err("i<"),
            "byte order '<' at position 1 must be the first character of format \"i<\"",
        ),
        (
            err("9223372036854775808x"),
            "format \"9223372036854775808x\" describes a record too large for memory",
        ),
    ]);
}

/// Every error variant of packing, with its message.
#[test]
fn pack_error_messages() {
    check(vec![
        (
            rec("<I 2s f").pack(&[1.into(), b"ab".into()]).unwrap_err(),
            "format \"<I 2s f\" takes 3 values, got 2",
        ),
        (
            rec("B").pack(&[300.into()]).unwrap_err(),
            "value 300 for field 0 ('B') is out of range 0..=255",
        ),
        (
            rec("<hQ").pack(&[1.into(), (-1).into()]).unwrap_err(),
            "value -1 for field 1 ('Q') is out of range 0..=18446744073709551615",
        ),
        (
            rec("<f").pack(&[1e300.into()]).unwrap_err(),
            "value 1e+300 for field 0 ('f') is too large to pack as a 4-byte float",
        ),
        (
            rec("2e").pack(&[1.into(), 65520.into()]).unwrap_err(),
            "value 65520.0 for field 1 ('e') is too large to pack as a 2-byte float",
        ),
        (
            rec("i").pack(&[1.5.into()]).unwrap_err(),
            "field 0 ('i') takes an integer, got a float",
        ),
        (
            rec("d").pack(&[b"1".into()]).unwrap_err(),
            "field 0 ('d') takes a float, got bytes",
        ),
        (
            rec("4s").pack(&[1.into()]).unwrap_err(),
            "field 0 ('s') takes bytes, got an integer",
        ),
        (
            rec("2c").pack(&[b"a".into(), b"bc".into()]).unwrap_err(),
            "field 1 ('c') takes exactly 1 byte, got 2",
        ),
    ]);
}

/// Every error variant of unpacking and reading values, with its message.
#[test]
fn unpack_and_parse_error_messages() {
    check(vec![
        (
            rec("i").unpack(&[0; 3]).unwrap_err(),
            "data of 3 bytes does not match the record size of 4 bytes",
        ),
        (
            rec("i").unpack_from(&[0; 6], 3).unwrap_err(),
            "unpacking 4 bytes at offset 3 needs 7 bytes, got 6",
        ),
        (
            rec("0i").iter_unpack(&[]).map(|_| ()).unwrap_err(),
            "cannot iterate over records of size 0",
        ),
        (
            rec("i").iter_unpack(&[0; 5]).map(|_| ()).unwrap_err(),
            "data of 5 bytes is not a whole number of 4-byte records",
        ),
        (
            rec("i ?").parse_values(&["1", "maybe"]).unwrap_err(),
            "cannot read \"maybe\" as true, false, 1 or 0 for field 1 ('?')",
        ),
        (
            rec("B").parse_values(&["256"]).unwrap_err(),
            "value 256 for field 0 ('B') is out of range 0..=255",
        ),
        (
            rec("2i").parse_values(&["1"]).unwrap_err(),
            "format \"2i\" takes 2 values, got 1",
        ),
    ]);
    // The needed length saturates instead of overflowing.
    assert_eq!(
        rec("i")
            .unpack_from(&[0; 6], usize::MAX)
            .unwrap_err()
            .to_string(),
        format!(
            "unpacking 4 bytes at offset {0} needs {0} bytes, got 6",
            usize::MAX
        )
    );
}

/// The fields errors carry, and the formats too large for memory.
#[test]
fn error_fields() {
    assert!(matches!(
        err("<I 2s y"),
        RecordError::BadChar {
            position: 6,
            ch: 'y',
            ..
        }
    ));
    assert!(matches!(
        err("=n"),
        RecordError::NativeOnly {
            position: 1,
            ch: 'n',
            order: '=',
            ..
        }
    ));
    assert!(matches!(
        err("<<"),
        RecordError::MisplacedByteOrder { position: 1, .. }
    ));
    assert!(matches!(
        err(" <i"),
        RecordError::MisplacedByteOrder { position: 1, .. }
    ));
    assert!(matches!(
        err("5"),
        RecordError::MissingCode { position: 1, .. }
    ));
    assert!(matches!(
        err("<5 "),
        RecordError::MissingCode { position: 2, .. }
    ));
    assert!(matches!(
        err("4611686018427387904h"),
        RecordError::TooLarge { .. }
    ));
    assert!(matches!(
        err("b9223372036854775807x"),
        RecordError::TooLarge { .. }
    ));
    assert!(matches!(
        err("9223372036854775806xi"),
        RecordError::TooLarge { .. }
    ));
    assert!(matches!(
        err("99999999999999999999999s"),
        RecordError::TooLarge { .. }
    ));
    // Packing a record too large for memory fails cleanly.
    assert!(matches!(
        rec("9223372036854775807x").pack(&[]),
        Err(RecordError::TooLarge { .. })
    ));
}

#[test]
fn ranges_are_exact() {
    let cases: &[(&str, i128, i128)] = &[
        ("b", -128, 127),
        ("B", 0, 255),
        ("<h", -32768, 32767),
        ("H", 0, 65535),
        ("i", i32::MIN.into(), i32::MAX.into()),
        ("<I", 0, u32::MAX.into()),
        ("<l", i32::MIN.into(), i32::MAX.into()),
        ("L", 0, u64::MAX.into()),
        ("q", i64::MIN.into(), i64::MAX.into()),
        (">Q", 0, u64::MAX.into()),
        ("n", i64::MIN.into(), i64::MAX.into()),
        ("N", 0, u64::MAX.into()),
        ("P", i64::MIN.into(), u64::MAX.into()),
    ];
    for &(format, min, max) in cases {
        let r = rec(format);
        assert!(r.pack(&[min.into()]).is_ok(), "{format} {min}");
        assert!(r.pack(&[max.into()]).is_ok(), "{format} {max}");
        assert!(
            matches!(
                r.pack(&[(min - 1).into()]),
                Err(RecordError::OutOfRange { .. })
            ),
            "{format} {}",
            min - 1
        );
        assert!(
            matches!(
                r.pack(&[(max + 1).into()]),
                Err(RecordError::OutOfRange { .. })
            ),
            "{format} {}",
            max + 1
        );
    }
}
