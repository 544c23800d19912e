//! Unit tests of the record codec; expected bytes and reprs come from
//! CPython 3.11's `struct` on x86_64 Linux.

use super::codec::{f16_bits, f16_value};
use super::repr::PyFloat;
use super::*;

mod errors;

fn rec(format: &str) -> Record {
    Record::new(format).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn sizes_match_calcsize() {
    let cases: &[(&str, usize)] = &[
        ("", 0),
        ("<", 0),
        ("x", 1),
        ("c", 1),
        ("?", 1),
        ("b", 1),
        ("B", 1),
        ("h", 2),
        ("H", 2),
        ("i", 4),
        ("I", 4),
        ("l", 8),
        ("L", 8),
        ("q", 8),
        ("Q", 8),
        ("n", 8),
        ("N", 8),
        ("P", 8),
        ("e", 2),
        ("f", 4),
        ("d", 8),
        ("s", 1),
        ("p", 1),
        ("10s", 10),
        ("10p", 10),
        ("0s", 0),
        ("4x", 4),
        ("3i", 12),
        ("c0i", 4),
        ("bi", 8),
        ("bq", 16),
        ("b3s i", 8),
        ("bhilqnNPefd?", 65),
        ("<bhilqefd?", 34),
        ("=bhilq", 19),
        (">hHiIlLqQ", 36),
        ("!bd", 9),
        ("b e", 4),
        ("? P", 16),
        ("< i \n\x0b\x0c\r\t", 4),
        ("@ci", 8),
        ("0c", 0),
        ("5x0q", 8),
        ("xxxd", 16),
        ("10b0i", 12),
        ("9223372036854775807x", 9223372036854775807),
        ("4611686018427387903h", 9223372036854775806),
        ("9223372036854775800xi", 9223372036854775804),
    ];
    for &(format, size) in cases {
        assert_eq!(rec(format).size(), size, "calcsize({format:?})");
    }
}

#[test]
fn field_counts() {
    assert_eq!(rec("").field_count(), 0);
    assert_eq!(rec("3i 4x 10s 0s 2p c0i").field_count(), 3 + 1 + 1 + 1 + 1);
    assert_eq!(rec("<0q5?").field_count(), 5);
    assert_eq!(
        rec("9223372036854775807c").field_count(),
        9223372036854775807
    );
}

#[test]
fn golden_native_record() {
    let r = rec("I 2s f");
    assert_eq!(r.format(), "I 2s f");
    assert_eq!(r.size(), 12);
    assert_eq!(r.field_count(), 3);
    let packed = r.pack(&[1u32.into(), b"ab".into(), 2.7f64.into()]).unwrap();
    assert_eq!(hex(&packed), "0100000061620000cdcc2c40");
    let values = r.unpack(&packed).unwrap();
    assert_eq!(values.to_string(), "(1, b'ab', 2.700000047683716)");
    assert_eq!(
        values,
        Values(vec![
            Value::Int(1),
            Value::Bytes(b"ab".to_vec()),
            Value::Float(f64::from(2.7f32)),
        ])
    );
}

#[test]
fn golden_packings() {
    let cases: Vec<(&str, Vec<Value>, &str, &str)> = vec![
        (
            "<I 2s f",
            vec![1.into(), b"ab".into(), 2.7.into()],
            "010000006162cdcc2c40",
            "(1, b'ab', 2.700000047683716)",
        ),
        (
            ">hBq",
            vec![(-2).into(), 255u8.into(), (-1i64).into()],
            "fffeffffffffffffffffff",
            "(-2, 255, -1)",
        ),
        (
            "@bi?e",
            vec![1.into(), (-7).into(), true.into(), 1.5.into()],
            "01000000f9ffffff0100003e",
            "(1, -7, True, 1.5)",
        ),
        (
            "!d5p0s3xc",
            vec![
                (-0.0).into(),
                b"hello world".into(),
                b"".into(),
                b"z".into(),
            ],
            "80000000000000000468656c6c0000007a",
            "(-0.0, b'hell', b'', b'z')",
        ),
        ("<e", vec![65504.0.into()], "ff7b", "(65504.0,)"),
        (
            "@bhlP",
            vec![(-1).into(), 2.into(), (-3).into(), u64::MAX.into()],
            "ff00020000000000fdffffffffffffffffffffffffffffff",
            "(-1, 2, -3, 18446744073709551615)",
        ),
        (
            "<q?d",
            vec![i64::MIN.into(), 5.into(), f64::INFINITY.into()],
            "000000000000008001000000000000f07f",
            "(-9223372036854775808, True, inf)",
        ),
        ("", vec![], "", "()"),
        ("3x", vec![], "000000", "()"),
    ];
    for (format, values, bytes, repr) in cases {
        let r = rec(format);
        let packed = r.pack(&values).unwrap();
        assert_eq!(hex(&packed), bytes, "pack {format:?}");
        assert_eq!(
            r.unpack(&packed).unwrap().to_string(),
            repr,
            "unpack {format:?}"
        );
    }
}

#[test]
fn python_quirks() {
    // 'P' packs negative values (PyLong_AsVoidPtr), unpacks unsigned.
    let r = rec("P");
    let packed = r.pack(&[(-1).into()]).unwrap();
    assert_eq!(packed, [0xff; 8]);
    assert_eq!(
        r.unpack(&packed).unwrap().to_string(),
        "(18446744073709551615,)"
    );
    assert!(r.pack(&[(i128::from(i64::MIN) - 1).into()]).is_err());
    // '?' packs the truth of anything.
    let r = rec("5?");
    let values = [
        2.5.into(),
        b"".into(),
        f64::NAN.into(),
        (-0.0).into(),
        7.into(),
    ];
    assert_eq!(r.pack(&values).unwrap(), [1, 0, 1, 0, 1]);
    assert_eq!(
        r.unpack(&[2, 0, 255, 1, 0]).unwrap().to_string(),
        "(True, False, True, True, False)"
    );
    // Bools are ints; ints are floats.
    assert_eq!(rec("<i").pack(&[true.into()]).unwrap(), [1, 0, 0, 0]);
    assert_eq!(
        hex(&rec("<d").pack(&[true.into()]).unwrap()),
        "000000000000f03f"
    );
    assert_eq!(hex(&rec("<f").pack(&[3.into()]).unwrap()), "00004040");
    // Native 'f' is a C cast: too large becomes infinity. Standard 'f'
    // and every 'e' refuse.
    assert_eq!(
        hex(&rec("2f").pack(&[1e300.into(), (-1e300).into()]).unwrap()),
        "0000807f000080ff"
    );
    assert!(rec("=f").pack(&[1e300.into()]).is_err());
    assert!(rec("@e").pack(&[1e300.into()]).is_err());
    // Pascal strings: the length byte is capped by the count and by 255.
    assert_eq!(rec("2p").pack(&[b"abc".into()]).unwrap(), b"\x01a");
    assert_eq!(rec("1p").pack(&[b"abc".into()]).unwrap(), b"\x00");
    let long = vec![b'q'; 300];
    let packed = rec("300p").pack(&[long.clone().into()]).unwrap();
    assert_eq!(packed[0], 255);
    assert_eq!(&packed[1..], &long[..299]);
    assert_eq!(rec("3p").unpack(b"\xffab").unwrap().to_string(), "(b'ab',)");
    // Deliberate difference: CPython fails to unpack '0p'.
    assert_eq!(rec("0p").pack(&[b"xyz".into()]).unwrap(), b"");
    assert_eq!(rec("0px").pack(&[b"".into()]).unwrap(), b"\x00");
    assert_eq!(rec("0p").unpack(b"").unwrap().to_string(), "(b'',)");
    // 's' pads and truncates.
    assert_eq!(rec("4s").pack(&[b"ab".into()]).unwrap(), b"ab\0\0");
    assert_eq!(rec("1s").pack(&[b"ab".into()]).unwrap(), b"a");
    // NaNs as CPython packs them on x86_64.
    assert_eq!(hex(&rec("<e").pack(&[f64::NAN.into()]).unwrap()), "007e");
    assert_eq!(hex(&rec("<e").pack(&[(-f64::NAN).into()]).unwrap()), "00fe");
    assert_eq!(
        hex(&rec("<f").pack(&[(-f64::NAN).into()]).unwrap()),
        "0000c0ff"
    );
    assert_eq!(rec("<e").unpack(b"\x01\x7e").unwrap().to_string(), "(nan,)");
    // Native is little-endian on x86_64, with alignment only under '@'.
    assert_eq!(
        hex(&rec("=bh").pack(&[1.into(), 2.into()]).unwrap()),
        "010200"
    );
    assert_eq!(
        hex(&rec("bh").pack(&[1.into(), 2.into()]).unwrap()),
        "01000200"
    );
}

#[test]
fn half_floats() {
    // (value, bits) from struct.pack('<e', value).
    let cases: &[(f64, u16)] = &[
        (0.0, 0x0000),
        (-0.0, 0x8000),
        (1.0, 0x3c00),
        (-2.0, 0xc000),
        (65504.0, 0x7bff),
        (65519.99, 0x7bff),
        (6.103515625e-05, 0x0400),
        (5.960464477539063e-08, 0x0001),
        (2.9802322387695312e-08, 0x0000), // 2^-25: a tie, rounds to even 0
        (4.470348358154297e-08, 0x0001),  // 1.5 * 2^-25
        (1.00048828125, 0x3c00),          // tie, rounds to even
        (1.00146484375, 0x3c02),          // tie, rounds to even (up)
        (0.1, 0x2e66),
        (f64::INFINITY, 0x7c00),
        (f64::NEG_INFINITY, 0xfc00),
        (1e-300, 0x0000),
    ];
    for &(x, bits) in cases {
        assert_eq!(f16_bits(x), Some(bits), "{x}");
    }
    assert_eq!(f16_bits(65520.0), None);
    assert_eq!(f16_bits(1e300), None);
    assert_eq!(f16_bits(-65520.0), None);
    for bits in 0..=u16::MAX {
        let x = f16_value(bits);
        if x.is_nan() {
            continue;
        }
        assert_eq!(f16_bits(x), Some(bits), "round trip of {bits:#06x}");
    }
}

#[test]
fn float_repr() {
    let cases: &[(f64, &str)] = &[
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (-1.5, "-1.5"),
        (0.1, "0.1"),
        (1.0 / 3.0, "0.3333333333333333"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (123456789012345678.0, "1.2345678901234568e+17"),
        (1e-4, "0.0001"),
        (1e-5, "1e-05"),
        (0.00012345, "0.00012345"),
        (5e-324, "5e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (2.7, "2.7"),
        (9007199254740992.0, "9007199254740992.0"),
        (1e22, "1e+22"),
        (1e100, "1e+100"),
        (-1e-100, "-1e-100"),
        (0.5, "0.5"),
        (100.0, "100.0"),
        (9999999999999998.0, "9999999999999998.0"),
        (12345678901234567.0, "1.2345678901234568e+16"),
        // Exact ties between two shortest strings go to the even digit.
        (2.9802322387695312e-08, "2.9802322387695312e-08"),
        (5.960464477539062e-07, "5.960464477539062e-07"),
        (1.7881393432617188e-07, "1.7881393432617188e-07"),
        (0.00012159347534179688, "0.00012159347534179688"),
        (0.023546218872070312, "0.023546218872070312"),
        (0.7629318237304688, "0.7629318237304688"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
        (-f64::NAN, "nan"),
    ];
    for &(x, repr) in cases {
        assert_eq!(PyFloat(x).to_string(), repr);
        assert_eq!(Value::Float(x).to_string(), repr);
    }
}

#[test]
fn value_repr() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "b''"),
        (b"ab", "b'ab'"),
        (b"'", "b\"'\""),
        (b"\"", "b'\"'"),
        (b"'\"", "b'\\'\"'"),
        (b"\\", "b'\\\\'"),
        (
            b"\t\n\r\x00\x1f\x7f\x80\xff ~",
            "b'\\t\\n\\r\\x00\\x1f\\x7f\\x80\\xff ~'",
        ),
        (b"a'b", "b\"a'b\""),
    ];
    for &(bytes, repr) in cases {
        assert_eq!(Value::from(bytes).to_string(), repr);
    }
    assert_eq!(Value::Bool(true).to_string(), "True");
    assert_eq!(Value::Bool(false).to_string(), "False");
    assert_eq!(
        Value::Int(-170141183460469231731687303715884105728).to_string(),
        "-170141183460469231731687303715884105728"
    );
    assert_eq!(Values(vec![]).to_string(), "()");
    assert_eq!(Values(vec![Value::Int(1)]).to_string(), "(1,)");
    assert_eq!(
        Values(vec![Value::Int(1), Value::Bool(false)]).to_string(),
        "(1, False)"
    );
}

#[test]
fn conversions() {
    assert_eq!(Value::from(-3i8), Value::Int(-3));
    assert_eq!(Value::from(u64::MAX), Value::Int(18446744073709551615));
    assert_eq!(Value::from(usize::MAX), Value::Int(usize::MAX as i128));
    assert_eq!(Value::from(isize::MIN), Value::Int(isize::MIN as i128));
    assert_eq!(Value::from(2.5f32), Value::Float(2.5));
    assert_eq!(Value::from("hé"), Value::Bytes("hé".as_bytes().to_vec()));
    assert_eq!(Value::from(&b"ab"[..]), Value::Bytes(b"ab".to_vec()));
    assert_eq!(Value::from(vec![1u8]), Value::Bytes(vec![1]));
    assert_eq!(Value::Bool(true).as_int(), Some(1));
    assert_eq!(Value::Int(2).as_f64(), Some(2.0));
    assert_eq!(Value::Bytes(vec![]).as_bytes(), Some(&[][..]));
    assert_eq!(Value::Float(1.0).as_bool(), None);
    let values = Values(vec![Value::Int(1), Value::Int(2)]);
    assert_eq!(values.len(), 2);
    assert_eq!((&values).into_iter().count(), 2);
    assert_eq!(values.clone().into_iter().count(), 2);
    assert_eq!(values.into_vec().len(), 2);
    assert_eq!("<h".parse::<Record>().unwrap().to_string(), "<h");
}

#[test]
fn unpack_from_and_iter_unpack() {
    let r = rec(">H");
    let data = [0, 1, 0, 2, 0, 3];
    assert_eq!(r.unpack_from(&data, 4).unwrap().to_string(), "(3,)");
    assert_eq!(r.unpack_from(&data, 1).unwrap().to_string(), "(256,)");
    let all: Vec<String> = r
        .iter_unpack(&data)
        .unwrap()
        .map(|v| v.unwrap().to_string())
        .collect();
    assert_eq!(all, ["(1,)", "(2,)", "(3,)"]);
    assert_eq!(r.iter_unpack(&[]).unwrap().len(), 0);
}

#[test]
fn pack_into_appends_without_realloc() {
    let r = rec("<hd");
    let mut out = Vec::with_capacity(64);
    out.push(0xaa);
    let ptr = out.as_ptr();
    for _ in 0..5 {
        r.pack_into(&mut out, &[1.into(), 0.5.into()]).unwrap();
    }
    assert_eq!(out.as_ptr(), ptr);
    assert_eq!(out.len(), 1 + 5 * 10);
    assert_eq!(hex(&out[..11]), "aa0100000000000000e03f");
    // A failed pack leaves the buffer as it was.
    assert!(r.pack_into(&mut out, &[1.into(), b"x".into()]).is_err());
    assert_eq!(out.len(), 51);
}

#[test]
fn parse_values_reads_texts() {
    let r = rec("<b ? ? d 3s c e H");
    let values = r
        .parse_values(&[
            "-5",
            "true",
            "0",
            "2.7",
            "a\\x00\\\\\\n\\t\\r",
            "\\xff",
            "-inf",
            "0x1F",
        ])
        .unwrap();
    assert_eq!(
        Values(values.clone()).to_string(),
        "(-5, True, False, 2.7, b'a\\x00\\\\\\n\\t\\r', b'\\xff', -inf, 31)"
    );
    assert!(r.pack(&values).is_ok());
    let r = rec("<q");
    assert_eq!(
        r.parse_values(&["-9223372036854775808"]).unwrap(),
        [Value::Int(i64::MIN.into())]
    );
    assert_eq!(r.parse_values(&["+0b101"]).unwrap(), [Value::Int(5)]);
    assert_eq!(r.parse_values(&["-0o17"]).unwrap(), [Value::Int(-15)]);
    assert_eq!(
        rec("?").parse_values(&["FALSE"]).unwrap(),
        [Value::Bool(false)]
    );
    assert_eq!(
        rec("s").parse_values(&["é"]).unwrap(),
        [Value::Bytes("é".into())]
    );
    for (format, text) in [
        ("i", "1.5"),
        ("i", "--1"),
        ("i", "+-1"),
        ("i", "0x"),
        ("i", ""),
        ("?", "yes"),
        ("f", "one"),
        ("s", "\\q"),
        ("s", "\\x4"),
        ("s", "end\\"),
        ("c", "ab"),
        ("c", ""),
    ] {
        let err = rec(format).parse_values(&[text]).unwrap_err();
        assert!(
            matches!(&err, RecordError::BadText { index: 0, text: t, .. } if t == text),
            "{format} {text}: {err}"
        );
    }
}
