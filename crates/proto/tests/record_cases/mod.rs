//! The generated cases of the differential record tests: formats of
//! random codes, counts and prefixes, values mostly in range, and bytes to
//! unpack, computed independently of the crate.

#![allow(dead_code)]

use proptest::prelude::*;
use tether_proto::Value;

/// A test case: a format, values for it (maybe wrong) and bytes to unpack.
#[derive(Clone, Debug)]
pub struct Case {
    pub format: String,
    pub values: Vec<Value>,
    pub data_seed: Vec<u8>,
}

pub const PREFIXES: [&str; 6] = ["", "@", "=", "<", ">", "!"];
pub const CODES: &[u8] = b"xcbB?hHiIlLqQnNefdspP";

/// Size of an integer code on x86_64 Linux.
pub fn int_size(code: u8, native: bool) -> u32 {
    match code {
        b'b' | b'B' => 1,
        b'h' | b'H' => 2,
        b'i' | b'I' => 4,
        b'l' | b'L' if !native => 4,
        _ => 8,
    }
}

/// The range CPython accepts for an integer code.
pub fn int_range(code: u8, native: bool) -> (i128, i128) {
    let bits = 8 * int_size(code, native);
    let half = 1i128 << (bits - 1);
    match code {
        b'P' => (-half, 2 * half - 1),
        b'b' | b'h' | b'i' | b'l' | b'q' | b'n' => (-half, half - 1),
        _ => (0, 2 * half - 1),
    }
}

/// An IEEE half's value, computed independently of the crate.
pub fn half_value(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let e = i32::from((bits >> 10) & 0x1f);
    let m = f64::from(bits & 0x3ff);
    sign * match e {
        0 => m / 1024.0 * 2f64.powi(-14),
        31 if m == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + m / 1024.0) * 2f64.powi(e - 15),
    }
}

pub fn special_floats() -> impl Strategy<Value = f64> {
    prop::sample::select(vec![
        0.0,
        -0.0,
        1.0,
        -1.5,
        0.1,
        2.7,
        1e16,
        1e15,
        1e-4,
        1e-5,
        5e-324,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
        f64::from(f32::MAX),
        f64::from(f32::MIN_POSITIVE),
        3.4028235677973362e38,
        3.4028235677973366e38,
        65504.0,
        65519.99,
        65520.0,
        -65520.0,
        6.103515625e-05,
        5.960464477539063e-08,
        2.9802322387695312e-08,
        4.470348358154297e-08,
        1.00048828125,
        1.00146484375,
        // Exact ties between two shortest reprs.
        5.960464477539062e-07,
        1.7881393432617188e-07,
        0.023546218872070312,
        0.7629318237304688,
    ])
}

/// A float with random low mantissa bits: exercises rounding to f32/f16.
pub fn perturbed(base: f64, noise: u64, mask: u64) -> f64 {
    if base.is_finite() {
        f64::from_bits(base.to_bits() ^ (noise & mask))
    } else {
        base
    }
}

pub fn wrong_type(ok_for_ints: bool) -> BoxedStrategy<Value> {
    if ok_for_ints {
        prop_oneof![Just(Value::Bytes(b"1".to_vec())), Just(Value::Float(1.0))].boxed()
    } else {
        prop_oneof![Just(Value::Bytes(b"1".to_vec())), Just(Value::Int(1))].boxed()
    }
}

/// Values for one slot of `code`; mostly valid, sometimes not.
pub fn value_strategy(code: u8, count: usize, native: bool) -> BoxedStrategy<Value> {
    match code {
        b'b' | b'B' | b'h' | b'H' | b'i' | b'I' | b'l' | b'L' | b'q' | b'Q' | b'n' | b'N'
        | b'P' => {
            let (min, max) = int_range(code, native);
            let edges = vec![min, min + 1, max, max - 1, 0, 1, -1, 127, 255, 256];
            let edges: Vec<i128> = edges
                .into_iter()
                .filter(|v| (min..=max).contains(v))
                .collect();
            prop_oneof![
                20 => prop::sample::select(edges).prop_map(Value::Int),
                30 => (min..=max).prop_map(Value::Int),
                4 => any::<bool>().prop_map(Value::Bool),
                1 => prop::sample::select(vec![min - 1, max + 1, i128::MIN, i128::MAX]).prop_map(Value::Int),
                1 => wrong_type(true),
            ]
            .boxed()
        }
        b'?' => prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            (-2i128..=2).prop_map(Value::Int),
            special_floats().prop_map(Value::Float),
            prop::collection::vec(any::<u8>(), 0..2).prop_map(Value::Bytes),
        ]
        .boxed(),
        b'd' => prop_oneof![
            20 => any::<u64>().prop_map(|b| Value::Float(f64::from_bits(b))),
            10 => special_floats().prop_map(Value::Float),
            5 => any::<i128>().prop_map(Value::Int),
            5 => any::<i64>().prop_map(|i| Value::Int(i.into())),
            2 => any::<bool>().prop_map(Value::Bool),
            1 => Just(Value::Bytes(b"1.0".to_vec())),
        ]
        .boxed(),
        b'f' => prop_oneof![
            20 => any::<u32>().prop_map(|b| Value::Float(f64::from(f32::from_bits(b)))),
            // Neighbours of f32 values, rounding either way (or overflowing
            // next to f32::MAX).
            20 => (any::<u32>(), any::<u64>()).prop_map(|(b, n)| {
                Value::Float(perturbed(f64::from(f32::from_bits(b)), n, (1 << 30) - 1))
            }),
            10 => special_floats().prop_map(Value::Float),
            5 => any::<i64>().prop_map(|i| Value::Int(i.into())),
            2 => any::<bool>().prop_map(Value::Bool),
            1 => Just(Value::Bytes(b"1.0".to_vec())),
        ]
        .boxed(),
        b'e' => prop_oneof![
            20 => any::<u16>().prop_map(|b| Value::Float(half_value(b))),
            // Neighbours of halves: round-half-even, underflow, overflow.
            20 => (any::<u16>(), any::<u64>(), 0u32..44).prop_map(|(b, n, k)| {
                Value::Float(perturbed(half_value(b), n, (1u64 << k) - 1))
            }),
            10 => special_floats().prop_map(Value::Float),
            5 => (-70000i128..=70000).prop_map(Value::Int),
            2 => any::<bool>().prop_map(Value::Bool),
            1 => Just(Value::Bytes(b"1.0".to_vec())),
        ]
        .boxed(),
        b's' | b'p' => prop_oneof![
            30 => prop::collection::vec(any::<u8>(), 0..count + 4).prop_map(Value::Bytes),
            10 => prop::collection::vec(any::<u8>(), 250..300).prop_map(Value::Bytes),
            1 => wrong_type(false),
        ]
        .boxed(),
        b'c' => prop_oneof![
            40 => any::<u8>().prop_map(|b| Value::Bytes(vec![b])),
            1 => prop::sample::select(vec![0usize, 2]).prop_map(|n| Value::Bytes(vec![b'c'; n])),
            1 => wrong_type(false),
        ]
        .boxed(),
        _ => unreachable!("code {code}"),
    }
}

#[derive(Clone, Debug)]
pub struct Item {
    pub code: u8,
    pub count: Option<usize>,
    pub space: &'static str,
}

pub fn item(native: bool) -> impl Strategy<Value = Item> {
    let codes: Vec<u8> = CODES
        .iter()
        .copied()
        .filter(|c| native || !b"nNP".contains(c))
        .collect();
    let space = prop::sample::select(vec!["", "", "", " ", "  ", "\t", "\n", " \x0b\x0c\r"]);
    (
        prop::sample::select(codes),
        space,
        0usize..20,
        250usize..300,
    )
        .prop_map(|(code, space, pick, big)| {
            let count = match (code, pick) {
                (_, 0..=7) => None,
                (b'x' | b's' | b'p', 8..=17) => Some(pick - 8),
                (b'x' | b's' | b'p', _) => Some(big),
                (_, 8..=10) => Some(0),
                _ => Some(pick % 5),
            };
            // `0p` is not compared: CPython 3.11 mishandles it.
            let count = if code == b'p' && count == Some(0) {
                Some(1)
            } else {
                count
            };
            Item { code, count, space }
        })
}

pub fn case() -> impl Strategy<Value = Case> {
    prop::sample::select(PREFIXES.to_vec())
        .prop_flat_map(|prefix| {
            let native = prefix.is_empty() || prefix == "@";
            (
                Just(prefix),
                Just(native),
                prop::collection::vec(item(native), 0..8),
            )
        })
        .prop_flat_map(|(prefix, native, items)| {
            let mut format = prefix.to_owned();
            let mut slots = Vec::new();
            for it in &items {
                format.push_str(it.space);
                if let Some(n) = it.count {
                    format.push_str(&n.to_string());
                }
                format.push(char::from(it.code));
                let n = it.count.unwrap_or(1);
                match it.code {
                    b'x' => {}
                    b's' | b'p' => slots.push(value_strategy(it.code, n, native)),
                    c => slots.extend((0..n).map(|_| value_strategy(c, 1, native))),
                }
            }
            (
                Just(format),
                slots,
                0u8..40,
                prop::collection::vec(any::<u8>(), 1..64),
            )
        })
        .prop_map(|(format, mut values, mutation, data_seed)| {
            // Now and then, the wrong number of values.
            match mutation {
                0 => {
                    values.pop();
                }
                1 => values.push(Value::Int(0)),
                _ => {}
            }
            Case {
                format,
                values,
                data_seed,
            }
        })
}
