//! Property tests of the record codec on its own: packing then unpacking
//! gives the values back (normalised as `struct` normalises them), the
//! helpers agree with `pack` and `unpack`, and value texts read back.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use proptest::prelude::*;
use proptest::test_runner::Config;
use tether_proto::{Record, RecordError, Value, Values};

/// A value to pack and the value unpacking must give back.
#[derive(Clone, Debug)]
struct Slot {
    packed: Value,
    unpacked: Value,
}

fn same(v: Value) -> Slot {
    Slot {
        packed: v.clone(),
        unpacked: v,
    }
}

/// A half-precision value built from its parts.
fn half(sign: bool, exp: i32, mantissa: u16) -> f64 {
    let m = f64::from(mantissa);
    let magnitude = if exp == 0 {
        m / 1024.0 * 2f64.powi(-14)
    } else {
        (1.0 + m / 1024.0) * 2f64.powi(exp - 15)
    };
    if sign {
        -magnitude
    } else {
        magnitude
    }
}

fn int_slot(min: i128, max: i128) -> BoxedStrategy<Slot> {
    prop_oneof![
        4 => (min..=max).prop_map(|i| same(Value::Int(i))),
        2 => prop::sample::select(vec![min, max, 0.max(min), 1.min(max)]).prop_map(|i| same(Value::Int(i))),
        1 => any::<bool>().prop_map(|b| Slot { packed: Value::Bool(b), unpacked: Value::Int(i128::from(b)) }),
    ]
    .boxed()
}

/// A slot of `code`, where `count` is the count of an `s` or `p`.
fn slot(code: u8, count: usize, native: bool) -> BoxedStrategy<Slot> {
    let wide = if native { 8 } else { 4 };
    let bits = |size: u32| 8 * size;
    let signed = |size: u32| {
        let half = 1i128 << (bits(size) - 1);
        int_slot(-half, half - 1)
    };
    let unsigned = |size: u32| int_slot(0, (1i128 << bits(size)) - 1);
    match code {
        b'b' => signed(1),
        b'B' => unsigned(1),
        b'h' => signed(2),
        b'H' => unsigned(2),
        b'i' => signed(4),
        b'I' => unsigned(4),
        b'l' => signed(wide),
        b'L' => unsigned(wide),
        b'q' | b'n' => signed(8),
        b'Q' | b'N' | b'P' => unsigned(8),
        b'?' => prop_oneof![
            any::<bool>().prop_map(|b| same(Value::Bool(b))),
            any::<i32>().prop_map(|i| Slot {
                packed: Value::Int(i.into()),
                unpacked: Value::Bool(i != 0),
            }),
        ]
        .boxed(),
        b'e' => (any::<bool>(), 0i32..31, 0u16..1024)
            .prop_map(|(s, e, m)| same(Value::Float(half(s, e, m))))
            .boxed(),
        b'f' => any::<f32>()
            .prop_filter("NaN is not equal to itself", |x| !x.is_nan())
            .prop_map(|x| same(Value::Float(f64::from(x))))
            .boxed(),
        b'd' => prop_oneof![
            any::<f64>().prop_filter("NaN", |x| !x.is_nan()),
            Just(f64::INFINITY),
            Just(-0.0),
        ]
        .prop_map(|x| same(Value::Float(x)))
        .boxed(),
        b'c' => any::<u8>()
            .prop_map(|b| same(Value::Bytes(vec![b])))
            .boxed(),
        b's' => prop::collection::vec(any::<u8>(), 0..count + 3)
            .prop_map(move |mut b| {
                let packed = Value::Bytes(b.clone());
                b.resize(count, 0);
                Slot {
                    packed,
                    unpacked: Value::Bytes(b),
                }
            })
            .boxed(),
        b'p' => prop::collection::vec(any::<u8>(), 0..count + 3)
            .prop_map(move |mut b| {
                let packed = Value::Bytes(b.clone());
                b.truncate(count.saturating_sub(1).min(255));
                Slot {
                    packed,
                    unpacked: Value::Bytes(b),
                }
            })
            .boxed(),
        _ => unreachable!(),
    }
}

#[derive(Clone, Debug)]
struct Case {
    format: String,
    slots: Vec<Slot>,
}

fn case() -> impl Strategy<Value = Case> {
    let prefix = prop::sample::select(vec!["", "@", "=", "<", ">", "!"]);
    prefix
        .prop_flat_map(|prefix| {
            let native = prefix.is_empty() || prefix == "@";
            let codes: &[u8] = if native {
                b"xcbB?hHiIlLqQnNefdspP"
            } else {
                b"xcbB?hHiIlLqQefdsp"
            };
            let items = prop::collection::vec(
                (
                    prop::sample::select(codes.to_vec()),
                    prop::option::of(0usize..6),
                    any::<bool>(),
                ),
                0..10,
            );
            (Just(prefix), Just(native), items)
        })
        .prop_flat_map(|(prefix, native, items)| {
            let mut format = prefix.to_owned();
            let mut slots = Vec::new();
            for (code, count, space) in items {
                if space {
                    format.push(' ');
                }
                if let Some(n) = count {
                    format.push_str(&n.to_string());
                }
                format.push(char::from(code));
                let n = count.unwrap_or(1);
                match code {
                    b'x' => {}
                    b's' | b'p' => slots.push(slot(code, n, native)),
                    _ => slots.extend((0..n).map(|_| slot(code, 0, native))),
                }
            }
            (Just(format), slots)
        })
        .prop_map(|(format, slots)| Case { format, slots })
}

/// Text for `parse_values` that reads back as `v`.
fn text_of(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        // Rust's Display reads back exactly; Python's repr ("1e+16") too.
        Value::Float(x) => format!("{x}"),
        Value::Bytes(b) => b
            .iter()
            .map(|&c| match c {
                b'\\' => "\\\\".to_owned(),
                b'\n' => "\\n".to_owned(),
                0x20..=0x7e => char::from(c).to_string(),
                _ => format!("\\x{c:02x}"),
            })
            .collect(),
    }
}

fn config() -> Config {
    Config {
        cases: 1000,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// pack then unpack gives the values back, normalised.
    #[test]
    fn pack_then_unpack(case in case()) {
        let record = Record::new(&case.format).unwrap();
        let packed: Vec<Value> = case.slots.iter().map(|s| s.packed.clone()).collect();
        let expected = Values(case.slots.iter().map(|s| s.unpacked.clone()).collect());
        prop_assert_eq!(record.field_count(), packed.len());
        let bytes = record.pack(&packed).unwrap();
        prop_assert_eq!(bytes.len(), record.size());
        let values = record.unpack(&bytes).unwrap();
        prop_assert_eq!(&values, &expected);
        // Packing the unpacked values gives the same bytes again.
        prop_assert_eq!(record.pack(&values).unwrap(), bytes.clone());

        // pack_into appends; unpack_from and iter_unpack read the copies.
        let mut wire = vec![0xee; 3];
        for _ in 0..3 {
            record.pack_into(&mut wire, &packed).unwrap();
        }
        prop_assert_eq!(wire.len(), 3 + 3 * record.size());
        for k in 0..3 {
            prop_assert_eq!(&record.unpack_from(&wire, 3 + k * record.size()).unwrap(), &expected);
        }
        match record.iter_unpack(&wire[3..]) {
            Ok(iter) => {
                let all: Vec<Values> = iter.map(Result::unwrap).collect();
                prop_assert_eq!(all, vec![expected.clone(); 3]);
            }
            Err(RecordError::ZeroSize) => prop_assert_eq!(record.size(), 0),
            Err(e) => prop_assert!(false, "{}", e),
        }

        // The values, written as text, read back.
        let texts: Vec<String> = values.iter().map(text_of).collect();
        let parsed = record.parse_values(&texts).unwrap();
        prop_assert_eq!(&parsed[..], &values[..]);
    }

    /// Unpacking any bytes, packing and unpacking again is stable.
    #[test]
    fn unpack_pack_unpack_is_stable(case in case(), seed in prop::collection::vec(any::<u8>(), 1..32)) {
        let record = Record::new(&case.format).unwrap();
        let data: Vec<u8> = seed.iter().cycle().take(record.size()).copied().collect();
        prop_assume!(data.len() == record.size());
        let first = record.unpack(&data).unwrap();
        let again = record.unpack(&record.pack(&first).unwrap()).unwrap();
        // NaN != NaN, so compare reprs.
        prop_assert_eq!(first.to_string(), again.to_string());
    }
}
